import Foundation
import Testing
import TocsinTestSupport
import TocsinRequests
import TocsinTransport

/// Every form a service may echo a secret in is masked; the rest of the text stays as it was.
///
/// The expectations are computed independently of the redactor: base64 with Foundation's encoder, percent-encoding
/// with Foundation, case with `lowercased()`/`uppercased()`.
struct SecretRedactorTests {
    static let secret = "tw1L1oS3cr3tT0k3nZ9x"
    static let placeholder = SecretRedactor.placeholder

    /// The runs of `length` characters of `form` that a redacted text must not contain (compared ignoring case).
    static func runs(of form: String, length: Int = 8) -> [String] {
        let characters = Array(form)
        guard characters.count >= length else { return [form] }
        return (0...(characters.count - length)).map { String(characters[$0..<$0 + length]) }
    }

    /// The runs still present in `text` (ignoring case), for a failure message that shows what leaked.
    static func leaked(_ runs: [String], in text: String) -> [String] {
        let lowered = text.lowercased()
        return runs.filter { lowered.contains($0.lowercased()) }
    }

    /// The characters of `prefix + secret + suffix`'s base64 that depend on the secret's bytes alone (those
    /// mixing in a neighbour's bits are not the secret's), from Foundation's encoder.
    static func secretPart(prefix: [UInt8], secret: [UInt8], suffix: [UInt8] = [], urlSafe: Bool = false) -> (blob: String, part: String) {
        var blob = Data(prefix + secret + suffix).base64EncodedString()
        if urlSafe { blob = blob.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_") }
        let first = (8 * prefix.count + 5) / 6
        let end = 8 * (prefix.count + secret.count) / 6
        let characters = Array(blob)
        return (blob, String(characters[first..<end]))
    }

    @Test func theRawSecretIsMaskedAndTheRestStaysReadable() {
        let redactor = SecretRedactor(secrets: [Self.secret])
        let text = "HTTP 401: token \(Self.secret) is not valid (see https://example.org/docs)"
        #expect(redactor.redact(text) == "HTTP 401: token \(Self.placeholder) is not valid (see https://example.org/docs)")
    }

    @Test(arguments: ["", "A", "AC", "ACx", "AC01", "tocsin", "AC0123456789abcdef0123456789abcdef"])
    func basicCredentialsAreMaskedWhateverTheUser(user: String) {
        let redactor = SecretRedactor(secrets: [Self.secret])
        let prefix = Array("\(user):".utf8), secret = Array(Self.secret.utf8)
        for urlSafe in [false, true] {
            let (blob, part) = Self.secretPart(prefix: prefix, secret: secret, urlSafe: urlSafe)
            for echoed in [blob, blob.lowercased(), blob.uppercased(), String(blob.prefix(prefix.count * 4 / 3 + 12))] {
                let text = "{\"error\":\"bad credentials\",\"authorization\":\"Basic \(echoed)\"}"
                let redacted = redactor.redact(text)
                #expect(Self.leaked(Self.runs(of: part), in: redacted).isEmpty, "\(user) urlSafe=\(urlSafe): \(redacted)")
                #expect(redacted.hasPrefix("{\"error\":\"bad credentials\",\"authorization\":\"Basic "), "\(redacted)")
            }
            // The user's own characters (those not mixing in the secret's bits) stay: the SID is not a secret.
            let userPart = String(blob.prefix(prefix.count * 8 / 6))
            #expect(redactor.redact("Basic \(blob)").hasPrefix("Basic \(userPart)"))
        }
    }

    @Test func base64OfTheSecretAloneIsMaskedAtEveryAlignmentInsideAnyBlob() {
        let redactor = SecretRedactor(secrets: [Self.secret])
        let secret = Array(Self.secret.utf8)
        var random = SeededGenerator(seed: 13)
        for prefixLength in 0...5 {
            for suffixLength in 0...3 {
                let prefix = (0..<prefixLength).map { _ in UInt8.random(in: 0...255, using: &random) }
                let suffix = (0..<suffixLength).map { _ in UInt8.random(in: 0...255, using: &random) }
                for urlSafe in [false, true] {
                    let (blob, part) = Self.secretPart(prefix: prefix, secret: secret, suffix: suffix, urlSafe: urlSafe)
                    let redacted = redactor.redact("echo: \(blob) end")
                    #expect(Self.leaked(Self.runs(of: part), in: redacted).isEmpty, "\(prefixLength)/\(suffixLength): \(redacted)")
                    #expect(redacted.hasPrefix("echo: ") && redacted.hasSuffix(" end"))
                }
            }
        }
    }

    @Test func percentEncodedAndJSONEscapedFormsAreMasked() {
        let secret = "ab/cd+ef:gh/ij=kl@mn op"
        let redactor = SecretRedactor(secrets: [secret])
        let strict = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let query = secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
        let form = strict.replacingOccurrences(of: "%20", with: "+")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let json = String(decoding: try! encoder.encode(secret), as: UTF8.self).dropFirst().dropLast()
        let phpJSON = json.replacingOccurrences(of: "/", with: "\\/")
        #expect(phpJSON.contains("\\/") && !json.contains("\\/"))
        for echoed in [secret, strict, strict.lowercased(), query, form, String(json), phpJSON] {
            let redacted = redactor.redact("{\"message\":\"invalid \(echoed)\"}")
            #expect(Self.leaked(Self.runs(of: echoed), in: redacted).isEmpty, "\(echoed) → \(redacted)")
            #expect(redacted.hasPrefix("{\"message\":\"invalid ") && redacted.hasSuffix("\"}"), "\(redacted)")
        }
        // One encoder's exact form is masked whole; a mix of two (a lenient query encoder) may leave fewer than eight
        // characters of the secret's tail, which the contract allows.
        #expect(redactor.redact("[\(strict)]") == "[\(Self.placeholder)]")
        #expect(redactor.redact("[\(form)]") == "[\(Self.placeholder)]")
        #expect(redactor.redact("[\(phpJSON)]") == "[\(Self.placeholder)]")
        #expect(redactor.redact("<p>token ab/cd+ef:gh/ij=kl@mn op</p>") == "<p>token \(Self.placeholder)</p>")
        let html = SecretRedactor(secrets: ["a<b>&\"c'd-efgh"])
        #expect(html.redact("<p>a&lt;b&gt;&amp;&quot;c&#39;d-efgh</p>") == "<p>\(Self.placeholder)</p>")
    }

    @Test func otherLetterCaseIsMasked() {
        let redactor = SecretRedactor(secrets: [Self.secret])
        for echoed in [Self.secret.lowercased(), Self.secret.uppercased(), "Tw1l1Os3CR3Tt0K3Nz9X"] {
            #expect(redactor.redact("token=\(echoed);") == "token=\(Self.placeholder);")
        }
    }

    @Test(arguments: [8, 12, 19])
    func anyRunOfEightOrMoreCharactersIsMasked(length: Int) {
        let redactor = SecretRedactor(secrets: [Self.secret])
        let characters = Array(Self.secret)
        for start in 0...(characters.count - length) {
            let run = String(characters[start..<start + length])
            #expect(redactor.redact("[\(run)]") == "[\(Self.placeholder)]", "\(run)")
        }
        // A 12-character prefix of the base64 form, as an echo of a header's first characters would give.
        let base64 = Data(Self.secret.utf8).base64EncodedString()
        #expect(redactor.redact("[\(base64.prefix(12))]") == "[\(Self.placeholder)]")
    }

    @Test func runsShorterThanEightCharactersAreNotTheSecret() {
        // The boundary the contract draws: seven characters of a long secret are left alone, so that ordinary words
        // sharing a few letters with a secret survive.
        let redactor = SecretRedactor(secrets: [Self.secret])
        #expect(redactor.redact("[\(Self.secret.prefix(7))]") == "[\(Self.secret.prefix(7))]")
    }

    @Test func shortSecretsAreMatchedWholeInAnyCaseAndTinyOnesIgnored() {
        let redactor = SecretRedactor(secrets: ["pw12", "on", "1"])
        #expect(redactor.redact("password pw12 / PW12") == "password \(Self.placeholder) / \(Self.placeholder)")
        #expect(redactor.redact("turn on 1 light") == "turn on 1 light")
        // Its base64 whole too: `cHcxM`, the characters made of its bits alone (`g` mixes in the padding).
        #expect(redactor.redact("Basic cHcxMg==") == "Basic \(Self.placeholder)g==")
    }

    @Test func aSecretURLKeepsItsSchemeAndHost() {
        let url = "https://hooks.slack.com/services/T000/B000/SLACKsecretXYZ123"
        let redactor = SecretRedactor(secrets: [url])
        let text = "POST \(url) failed: could not connect to hooks.slack.com port 443"
        #expect(redactor.redact(text) == "POST https://hooks.slack.com\(Self.placeholder) failed: could not connect to hooks.slack.com port 443")
        let encoded = url.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(!redactor.redact("url=\(encoded)").contains("SLACKsecret"))
        // A query-string credential (Teams' `sig=`) and user-info.
        let teams = SecretRedactor(secrets: ["https://prod.westeurope.logic.azure.com:443/workflows/abc/triggers/manual?sig=SIGsecret0123456789"])
        #expect(teams.redact("no route for sig=SIGsecret0123456789 at prod.westeurope.logic.azure.com:443")
            == "no route for \(Self.placeholder) at prod.westeurope.logic.azure.com:443")
        let withUser = SecretRedactor(secrets: ["smtp://mailer:HUNTER2hunter@mail.example.org:587"])
        #expect(withUser.redact("login mailer:HUNTER2hunter refused by mail.example.org:587") == "login \(Self.placeholder) refused by mail.example.org:587")
    }

    @Test func ordinaryTextIsUntouched() {
        let redactor = SecretRedactor(secrets: [
            Self.secret, "https://hooks.slack.com/services/T000/B000/SLACKsecretXYZ123", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "987654321:TGsecretABCDEF", "Bearer hdrTOKENabcdef0123",
        ])
        let texts = [
            "Quittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.",
            #"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
            "HTTP 503 Service Unavailable — retry after 30 seconds; see https://status.example.org/incidents/2026-12-04",
            "Failed to connect to 127.0.0.1 port 8080 after 0 ms: Couldn't connect to server",
            "Graph API error 190: Invalid OAuth access token - Cannot parse access token",
        ]
        for text in texts { #expect(redactor.redact(text) == text) }
    }

    @Test func multiByteTextAroundASecretStaysWholeCharacters() {
        let redactor = SecretRedactor(secrets: ["clé-secrète-ÉTÉ-2026"])
        #expect(redactor.redact("« clé-secrète-ÉTÉ-2026 » refusée — évacuez") == "« \(Self.placeholder) » refusée — évacuez")
        // Case is folded for ASCII letters only; the secret's long ASCII-cased runs still mask most of it.
        #expect(!redactor.redact("« clé-secrète-été-2026 »").contains("secr"))
        // As Python's json.dumps writes it (non-ASCII as `\uXXXX`, lowercase hex).
        #expect(redactor.redact(#"{"detail":"cl\u00e9-secr\u00e8te-\u00c9T\u00c9-2026"}"#) == #"{"detail":"\#(Self.placeholder)"}"#)
        // A match that starts inside a character (`Ĩ` and `è` share their second byte) takes the whole character.
        #expect(SecretRedactor(secrets: ["xè-abcdefgh"]).redact("ZĨ-abcdefgh!") == "Z\(Self.placeholder)!")
    }

    @Test func aRequestsCredentialsAreMaskedButItsPublicHeadersAreNot() {
        let request = HTTPRequest(
            url: "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json",
            headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Authorization", "Bearer ntfyTOKENabc123456")],
            basicAuth: HTTPBasicAuth(user: "AC0123456789abcdef0123456789abcdef", password: "TWILIOauthTOKEN0123")
        )
        let basic = Data("AC0123456789abcdef0123456789abcdef:TWILIOauthTOKEN0123".utf8).base64EncodedString()
        let text = "expected application/x-www-form-urlencoded; got Authorization: Basic \(basic), Bearer ntfytokenABC123456"
        let redacted = request.redacting(text)
        #expect(redacted.hasPrefix("expected application/x-www-form-urlencoded; got Authorization: Basic "), "\(redacted)")
        let (_, part) = Self.secretPart(prefix: Array("AC0123456789abcdef0123456789abcdef:".utf8), secret: Array("TWILIOauthTOKEN0123".utf8))
        #expect(Self.leaked(Self.runs(of: part), in: redacted).isEmpty, "\(redacted)")
        #expect(!redacted.lowercased().contains("ntfytoken"), "\(redacted)")
    }

    @Test func redactingTheFailuresOfALargeFanOutStaysCheap() {
        // A 1,000-delivery fan-out to a failing service that echoes an X-style OAuth header: one redactor built and
        // one 4 KB answer masked per failure. No timing assertion (a busy machine); the figure is printed.
        let authorization = #"OAuth oauth_consumer_key="xConsumerKey", oauth_nonce="a9f1c2", oauth_signature="k%2Fq8Zx%3D", "#
            + #"oauth_signature_method="HMAC-SHA1", oauth_timestamp="1733330000", oauth_token="XaccessTOKEN0123456789", oauth_version="1.0""#
        let request = HTTPRequest(url: "https://api.x.com/2/tweets", headers: [HTTPHeader("Authorization", authorization)])
        let secrets = ["XconsumerSECRET0123456789", "XaccessTOKEN0123456789", "XaccessSECRET0123456789"] + request.secretValues
        let echo = String(repeating: "Service said: the request was refused; ", count: 90) + "header: \(authorization)"
        let clock = ContinuousClock()
        var masked = 0
        let elapsed = clock.measure {
            for _ in 0..<1_000 {
                let redacted = SecretRedactor(secrets: secrets).redact(echo)
                if !redacted.contains("XaccessTOKEN") { masked += 1 }
            }
        }
        #expect(masked == 1_000)
        print("SECRETS redactor: 1,000 failures (build + mask a \(echo.utf8.count)-byte echo) in \(elapsed)")
    }
}
