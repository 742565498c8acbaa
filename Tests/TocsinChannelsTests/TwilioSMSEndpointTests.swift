import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests

struct TwilioSMSEndpointTests {
    static let accountSID = "AC0123456789abcdef0123456789abcdef"
    static let authToken = "f00dSECRETauthTOKEN"

    static func endpoint(
        _ languages: [String] = Fixtures.bilingual, maxSegments: String? = nil, from: String? = "+15145550000",
        service: String? = nil, apiBase: String? = nil
    ) throws -> TwilioSMSEndpoint {
        var settings = ["account_sid": accountSID]
        settings["from"] = from
        settings["messaging_service_sid"] = service
        settings["max_segments"] = maxSegments
        settings["api_base"] = apiBase
        return try TwilioSMSEndpoint(
            Fixtures.definition(
                .twilioSMS, name: "sms-staff", languages: languages, settings: settings, secrets: ["auth_token": authToken],
                recipients: ["+15145551234", "+15145559876"]
            ),
            timeout: .seconds(10)
        )
    }

    static let french = "ÉVACUATION - Pavillon A\nQuittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.\nNe prenez pas les ascenseurs."
    static let english = "EVACUATION - Pavillon A\nLeave Pavillon A now. Assembly point: Stationnement P1."

    @Test(arguments: [
        (Fixtures.french, french, 1), (Fixtures.english, english, 1), (Fixtures.bilingual, french + "\n--\n" + english, 2),
    ])
    func sendsOneFormPerRecipient(languages: [String], text: String, segments: Int) throws {
        let endpoint = try Self.endpoint(languages)
        let payload = try endpoint.encode(Fixtures.message())
        #expect(String(decoding: payload.body, as: UTF8.self) == text)
        #expect(SMSEncoding.of(text) == .gsm7 && SMSEncoding.gsm7.segments(text) == segments)
        // The em dash alone would have made every message UCS-2: it is replaced, and the audit says so.
        #expect(payload.notes == ["typographic characters replaced by GSM-7 look-alikes to keep the SMS in GSM-7"])

        for recipient in ["+15145551234", "+15145559876"] {
            let request = try #require(endpoint.request(deliveryID: "msg_1", recipient: recipient, payload: payload, at: Fixtures.attemptTime).http)
            #expect(request.method == "POST")
            #expect(request.url == "https://api.twilio.com/2010-04-01/Accounts/\(Self.accountSID)/Messages.json")
            #expect(request.headers == [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Accept", "application/json")])
            #expect(request.basicAuth == HTTPBasicAuth(user: Self.accountSID, password: Self.authToken))
            let form = Fixtures.form(request.body)
            #expect(form.map(\.0) == ["To", "From", "Body"])
            #expect(form.map(\.1) == [recipient, "+15145550000", text])
            #expect(!String(decoding: request.body, as: UTF8.self).contains(Self.authToken))
        }
    }

    @Test func formEncodingIsExact() throws {
        let endpoint = try Self.endpoint(Fixtures.english, from: nil, service: "MG0123456789abcdef0123456789abcdef", apiBase: "http://127.0.0.1:9/twilio/")
        var message = Fixtures.message()
        message.messages[1] = RenderedMessage(language: "en", event: "x", title: "A&B", body: "x=1+2 %")
        let request = try #require(endpoint.request(deliveryID: "m", recipient: "+15145551234", payload: try endpoint.encode(message), at: Fixtures.attemptTime).http)
        #expect(request.url == "http://127.0.0.1:9/twilio/2010-04-01/Accounts/\(Self.accountSID)/Messages.json")
        #expect(String(decoding: request.body, as: UTF8.self)
            == "To=%2B15145551234&MessagingServiceSid=MG0123456789abcdef0123456789abcdef&Body=A%26B%0Ax%3D1%2B2+%25")
    }

    @Test func frenchAccentsDecideTheEncoding() {
        #expect(SMSEncoding.of("é è ù ì ò Ç É à") == .gsm7)
        for accent in ["â", "ê", "î", "ô", "û", "ë", "ï", "ç"] {
            #expect(SMSEncoding.of("Quittez le \(accent)") == .ucs2, "'\(accent)' is not in GSM-7")
        }
        #expect(SMSEncoding.of("Évacuez le bâtiment") == .ucs2)
        #expect(SMSEncoding.firstNonGSM(in: "Évacuez le bâtiment") == "â")
        #expect(SMSEncoding.of("Évacuez le bâtiment".replacingOccurrences(of: "â", with: "a")) == .gsm7)
    }

    @Test(arguments: [
        (String(repeating: "a", count: 160), SMSEncoding.gsm7, 1), (String(repeating: "a", count: 161), .gsm7, 2),
        (String(repeating: "a", count: 306), .gsm7, 2), (String(repeating: "a", count: 307), .gsm7, 3),
        (String(repeating: "€", count: 80), .gsm7, 1), (String(repeating: "€", count: 81), .gsm7, 2),
        (String(repeating: "â", count: 70), .ucs2, 1), (String(repeating: "â", count: 71), .ucs2, 2),
        (String(repeating: "â", count: 134), .ucs2, 2), (String(repeating: "â", count: 135), .ucs2, 3),
        ("Évacuez le bâtiment", .ucs2, 1), ("", .gsm7, 0),
    ])
    func segmentsAreCounted(text: String, encoding: SMSEncoding, segments: Int) {
        #expect(SMSEncoding.of(text) == encoding)
        #expect(encoding.segments(text) == segments)
    }

    @Test(arguments: [(nil as String?, 4), ("2", 2), ("1", 1)])
    func longTextIsKeptWithinMaxSegments(maxSegments: String?, expected: Int) throws {
        let long = Array(repeating: "Évacuez le bâtiment par l'escalier le plus proche et rendez-vous au stationnement.", count: 8)
            .joined(separator: " ")
        let payload = try Self.endpoint(Fixtures.french, maxSegments: maxSegments).encode(Fixtures.message(frenchBody: long))
        let text = String(decoding: payload.body, as: UTF8.self)
        #expect(SMSEncoding.of(text) == .ucs2)
        #expect(SMSEncoding.ucs2.segments(text) == expected)
        #expect(text.hasPrefix("ÉVACUATION — Pavillon A\nÉvacuez le bâtiment"))
        #expect(text.hasSuffix("..."), "GSM-7 dots, which cost less than an ellipsis character would in GSM-7")
        #expect(long.contains(text.components(separatedBy: "\n")[1].dropLast(3)), "whole words from the start")
        #expect(payload.notes.contains { $0.contains("SMS segments (UCS-2, max_segments \(expected)) for twilio-sms") })
        #expect(payload.notes.contains { $0.hasPrefix("SMS sent as UCS-2") && $0.contains("'—'") })
    }

    @Test(arguments: ["0", "11", "quatre", "-1"])
    func invalidMaxSegmentsIsAChannelError(value: String) {
        #expect {
            _ = try Self.endpoint(maxSegments: value)
        } throws: { error in
            "\(error)".contains("max_segments") && !"\(error)".contains(Self.authToken)
        }
    }

    @Test func aSenderIsRequired() {
        #expect(throws: ChannelError.self) { _ = try Self.endpoint(from: nil, service: nil) }
    }

    @Test func answersAreMapped() throws {
        let endpoint = try Self.endpoint()
        let at = Fixtures.attemptTime
        let created = #"{"sid":"SM1234","status":"queued","error_code":null,"to":"+15145551234"}"#
        #expect(endpoint.interpret(Fixtures.response(201, created), at: at) == .delivered)
        let invalidTo = #"{"code":21211,"message":"Invalid 'To' Phone Number: +1514555","more_info":"https://www.twilio.com/docs/errors/21211","status":400}"#
        let badNumber = endpoint.interpret(Fixtures.response(400, invalidTo), at: at)
        #expect(badNumber.isMisconfiguration && badNumber.reason.contains("21211"))
        let tooMany = #"{"code":20429,"message":"Too Many Requests","more_info":"https://www.twilio.com/docs/errors/20429","status":429}"#
        #expect(endpoint.interpret(Fixtures.response(429, tooMany, headers: [HTTPHeader("Retry-After", "2")]), at: at).retryAfter == .seconds(2))
        let auth = endpoint.interpret(Fixtures.response(401, #"{"code":20003,"message":"Authenticate","status":401}"#), at: at)
        #expect(auth.isMisconfiguration && auth.reason.contains("auth_token") && !auth.reason.contains(Self.authToken))
        let stopped = endpoint.interpret(Fixtures.response(400, #"{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}"#), at: at)
        #expect(stopped.isPermanent && !stopped.isMisconfiguration)
        let other = endpoint.interpret(Fixtures.response(400, #"{"code":21602,"message":"Message body is required.","status":400}"#), at: at)
        #expect(other.isMisconfiguration && other.reason.hasSuffix("Twilio 21602: Message body is required."))
        #expect(endpoint.interpret(Fixtures.response(503), at: at).isRetryable)
    }
}
