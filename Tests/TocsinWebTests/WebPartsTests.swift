import Foundation
import HTTPTypes
import Hummingbird
import Testing
import TocsinProtocol

@testable import TocsinWeb

/// The console's pure parts: what a form, a browser's headers and a proxy say, read as the pages need them.
struct WebPartsTests {
    static func request(_ path: String = "/", headers: HTTPFields = [:]) -> Request {
        Request(head: HTTPRequest(method: .get, scheme: "https", authority: "alertes.cegep.example", path: path, headerFields: headers), body: .init(buffer: ByteBuffer()))
    }

    @Test func aFormReadsSpacesPercentEscapesAndTheTemplatesValues() {
        let form = Form("csrf=abc&var.building=Pavillon+A&var.assembly_point=%C3%89cole%20%26%20parc&var.empty=++&kind=live")
        #expect(form["csrf"] == "abc" && form["kind"] == "live")
        #expect(form.variables == ["building": "Pavillon A", "assembly_point": "École & parc"], "blank values are left to the template's default")
        #expect(Form("")["csrf"] == nil)
    }

    @Test func frenchComesFirstThenTheBrowsersChoiceThenTheSwitch() {
        #expect(OperatorLanguage.of(Self.request()) == .fr, "no preference: French")
        #expect(OperatorLanguage.of(Self.request(headers: [.acceptLanguage: "en-CA,en;q=0.9,fr;q=0.8"])) == .en)
        #expect(OperatorLanguage.of(Self.request(headers: [.acceptLanguage: "de-DE,fr-CA;q=0.7,en;q=0.5"])) == .fr, "the best of the two it speaks")
        #expect(OperatorLanguage.of(Self.request(headers: [.acceptLanguage: "en;q=0.5,fr;q=0.5"])) == .en, "a tie goes to the first listed")
        #expect(OperatorLanguage.of(Self.request("/?lang=fr", headers: [.acceptLanguage: "en"])) == .fr, "the switch wins")
        #expect(OperatorLanguage.of(Self.request(headers: [.acceptLanguage: "en", .cookie: "tocsin_lang=fr"])) == .fr, "the switch is remembered")
    }

    @Test func forwardedForIsBelievedOnlyFromATrustedProxy() {
        let addresses = ClientAddress(trustedProxies: ["10.0.0.5", "10.0.0.6"])
        let forwarded = Self.request(headers: [HTTPField.Name("X-Forwarded-For")!: "198.51.100.7, 203.0.113.9, 10.0.0.6"])
        #expect(addresses.of(forwarded, peer: "10.0.0.5") == "203.0.113.9", "the last hop before the trusted proxies")
        #expect(addresses.of(forwarded, peer: "192.0.2.1") == "192.0.2.1", "anyone else's header is ignored")
        #expect(addresses.of(Self.request(), peer: "10.0.0.5") == "10.0.0.5")
        #expect(addresses.of(Self.request(), peer: nil) == "unknown")
    }

    @Test func aPostFromAnotherSiteIsNotSameOrigin() {
        #expect(SecurityMiddleware<WebContext>.isSameOrigin(Self.request(headers: [HTTPField.Name("Sec-Fetch-Site")!: "same-origin"])))
        #expect(!SecurityMiddleware<WebContext>.isSameOrigin(Self.request(headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"])))
        #expect(!SecurityMiddleware<WebContext>.isSameOrigin(Self.request(headers: [HTTPField.Name("Sec-Fetch-Site")!: "same-site"])), "a sibling subdomain is another site here")
        #expect(SecurityMiddleware<WebContext>.isSameOrigin(Self.request(headers: [.origin: "https://alertes.cegep.example"])))
        #expect(!SecurityMiddleware<WebContext>.isSameOrigin(Self.request(headers: [.origin: "https://attacker.example"])))
    }

    @Test func pagesEscapeWhatPeopleAndServicesTyped() {
        let html = Pages().html("message", ["heading": "<b>", "text": "\"><script>alert(1)</script>"], frame: .init(language: .fr, title: "x'y"))
        #expect(!html.contains("<script>alert") && html.contains("&lt;script&gt;") && html.contains("&lt;b&gt;") && html.contains("x&#39;y"))
        #expect(!html.contains(" style=") && !html.contains("<script>"), "no inline style or script for the CSP to refuse")
    }

    @Test func tokensCompareWholeAndNeverEmpty() {
        let token = Token.make()
        #expect(token.count == 43 && Token.equal(token, token) && !Token.equal(token, Token.make()))
        #expect(!Token.equal("", ""), "a missing token is no token")
    }
}

/// Sessions end after 12 hours whatever the activity: a phone left in a drawer since yesterday is signed out.
struct WebSessionTests {
    @Test func aSessionSignedInTwelveHoursAgoHasEnded() {
        let fresh = WebSession(user: "marie", roles: ["operator"], csrf: "t", signedInAt: Date())
        #expect(!fresh.isTooOld && fresh.may("operator") && !fresh.may("approver"))
        #expect(WebSession(user: "marie", roles: [], csrf: "t", signedInAt: Date(timeIntervalSinceNow: -12 * 3600)).isTooOld)
        #expect(!WebSession(user: "marie", roles: [], csrf: "t", signedInAt: Date(timeIntervalSinceNow: -11.9 * 3600)).isTooOld)
        #expect(WebSession.idle == .seconds(15 * 60))
    }
}
