public import Foundation
public import TocsinCore
public import TocsinRequests

/// SMS through Twilio's Programmable Messaging, one delivery per recipient.
///
/// Source: Twilio docs, "Messages resource — Create a Message resource"
/// (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource), "Twilio API responses"
/// (https://www.twilio.com/docs/usage/twilios-response) and the error dictionary
/// (https://www.twilio.com/docs/api/errors: 20003, 20429, 21211, 21610, 21614).
///
/// `POST {api_base|https://api.twilio.com}/2010-04-01/Accounts/{account_sid}/Messages.json`, form-encoded `To`,
/// `From` and/or `MessagingServiceSid`, `Body`, with HTTP Basic auth `account_sid:auth_token`. Success is 201 with
/// the queued message; errors are JSON `{"code", "message", "more_info", "status"}`.
///
/// The text is composed once per incident (`encode`) and the form is built per recipient (`request`). It is kept
/// within `max_segments` segments (default 4): GSM-7 holds 153 characters a part, UCS-2 only 67, and one `ê` or
/// `ç` makes the whole message UCS-2, so the segment count is what is limited, not characters. Typographic
/// dashes, quotes and ellipses become GSM-7 look-alikes when that keeps the message in GSM-7.
public struct TwilioSMSEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String
    private let credentials: HTTPBasicAuth
    private let from: String?
    private let messagingServiceSID: String?
    private let maxSegments: Int
    private let timeout: Duration

    public static let defaultMaxSegments = 4
    /// Twilio refuses a `Body` over 1,600 characters; ten segments stay under it in either encoding.
    static let segmentRange = 1...10
    static let layout = TextLayout(markup: .plain, separator: "\n--\n", ellipsis: "...")

    public init(_ definition: ChannelDefinition, timeout: Duration) throws(ChannelError) {
        self.definition = definition
        let accountSID = try EndpointSupport.required("account_sid", of: definition)
        credentials = HTTPBasicAuth(user: accountSID, password: try EndpointSupport.required("auth_token", of: definition))
        from = definition.value("from")
        messagingServiceSID = definition.value("messaging_service_sid")
        guard from != nil || messagingServiceSID != nil else {
            throw ChannelError(channel: definition.name, "no 'from' or 'messaging_service_sid'")
        }
        if let text = definition.settings["max_segments"] {
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), Self.segmentRange.contains(value) else {
                throw ChannelError(channel: definition.name, "'max_segments' is '\(text)'; it must be a whole number from 1 to 10")
            }
            maxSegments = value
        } else {
            maxSegments = Self.defaultMaxSegments
        }
        let base = EndpointSupport.apiBase(of: definition, default: "https://api.twilio.com")
        url = "\(base)/2010-04-01/Accounts/\(OAuth1Signer.percentEncode(accountSID))/Messages.json"
        self.timeout = timeout
    }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        var sections = TextSection.sections(of: message, for: definition, short: true)
        var notes: [String] = []
        if SMSEncoding.gsmLookalike(Self.layout.render(sections)) != nil {
            sections = sections.map(Self.lookalikes)
            notes.append("typographic characters replaced by GSM-7 look-alikes to keep the SMS in GSM-7")
        }
        let encoding = SMSEncoding.of(Self.layout.render(sections))
        let limit = TextLimit(encoding.capacity(segments: maxSegments), .sms(encoding))
        let fitted = TextFitter.fit(sections, layout: Self.layout, limit: limit)
        let original = encoding.segments(Self.layout.render(sections))
        let sentEncoding = SMSEncoding.of(fitted.text)
        let segments = sentEncoding.segments(fitted.text)
        if fitted.isShortened {
            notes.append("text shortened from \(original) to \(segments) SMS segments (\(sentEncoding.rawValue), max_segments \(maxSegments)) for twilio-sms")
        }
        if sentEncoding == .ucs2, let culprit = SMSEncoding.firstNonGSM(in: fitted.text) {
            notes.append("SMS sent as UCS-2 (70 characters a segment, 67 in a long message) because of '\(culprit)': \(segments) segment(s)")
        }
        let shown = ShownText(
            text: fitted.text, length: fitted.length, limit: limit.maximum, unit: fitted.measure.unit, smsEncoding: sentEncoding,
            segments: segments
        )
        return EncodedPayload(contentType: "text/plain; charset=utf-8", body: Array(fitted.text.utf8), notes: notes, shown: shown)
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        var fields = [("To", recipient ?? "")]
        if let from { fields.append(("From", from)) }
        if let messagingServiceSID { fields.append(("MessagingServiceSid", messagingServiceSID)) }
        fields.append(("Body", String(decoding: payload.body, as: UTF8.self)))
        let headers = [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Accept", "application/json")]
        return .http(HTTPRequest(
            method: "POST", url: url, headers: headers, body: EndpointSupport.form(fields), timeout: timeout, basicAuth: credentials
        ))
    }

    public func interpret(_ response: HTTPResponse, at time: Date) -> AttemptOutcome {
        if (200..<300).contains(response.status) { return .delivered }
        let answer = EndpointSupport.jsonObject(response.body)
        let code = EndpointSupport.int(answer?["code"])
        let message = EndpointSupport.snippet(answer?["message"])
        let detail = [code.map { "Twilio \($0)" }, message].compactMap { $0 }.joined(separator: ": ")
        let label = "HTTP \(response.status)" + (detail.isEmpty ? "" : ", \(detail)")
        let retryAfter = response.header("retry-after").flatMap { RetryAfter.parse($0, now: time) }
        switch (response.status, code) {
        case (429, _), (_, 20429), (500..<600, _):
            return .retryable(reason: label, retryAfter: retryAfter)
        case (401, _), (_, 20003):
            return .permanent(reason: "\(label); check the channel's account_sid and auth_token", misconfiguration: true)
        case (_, 21610):
            return .permanent(reason: "\(label); the recipient has opted out (STOP) and must opt in again", misconfiguration: false)
        case (_, 21211), (_, 21614):
            return .permanent(reason: "\(label); check this recipient's number", misconfiguration: true)
        default:
            return AttemptOutcome.classify(status: response.status, retryAfter: response.header("retry-after"), now: time)
                .adding(detail: detail)
        }
    }

    private static func lookalikes(_ section: TextSection) -> TextSection {
        func replace(_ text: String) -> String { text.map { SMSEncoding.lookalikes[$0] ?? String($0) }.joined() }
        return TextSection(
            language: section.language, title: replace(section.title), body: replace(section.body),
            instruction: section.instruction.map(replace)
        )
    }
}
