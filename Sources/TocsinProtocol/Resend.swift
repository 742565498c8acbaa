/// `incident.resend`: reopen an incident's failed deliveries on one channel and send them again.
public struct ResendParams: Codable, Sendable, Hashable {
    public var incident: String
    public var channel: String
    /// Check and count only: what the confirmation screen shows, refused for the same reasons as the resend itself.
    public var dryRun: Bool?

    public init(incident: String, channel: String, dryRun: Bool? = nil) {
        self.incident = incident
        self.channel = channel
        self.dryRun = dryRun
    }
}

/// What a resend reopens (or, for a dry run, would reopen).
public struct ResendResult: Codable, Sendable, Hashable {
    public var incident: String
    public var channel: String
    /// The channel's type (`webhook`, `twilio-sms`, …).
    public var type: String
    public var template: String
    /// CAP status of the incident (Actual, Exercise, Test).
    public var status: String
    /// CAP msgType of the incident (Alert, Update).
    public var msgType: String
    public var dryRun: Bool
    /// Failed deliveries of the channel: every one is reopened and sent again.
    public var failed: Int
    /// Of those, how many go to a recipient of a per-recipient channel (phones, e-mail addresses); 0 otherwise.
    public var recipients: Int
    /// Deliveries of the channel that are not sent again: delivered (received already) and cancelled ones.
    public var delivered: Int
    public var cancelled: Int
    /// The new deadline of the reopened deliveries (ISO 8601).
    public var deadline: String
    /// The reopened deliveries (after a resend: pending again, same ids); their ids are their `webhook-id`s.
    public var deliveries: [DeliveryStatus]

    public init(
        incident: String, channel: String, type: String, template: String, status: String, msgType: String, dryRun: Bool,
        failed: Int, recipients: Int, delivered: Int, cancelled: Int, deadline: String, deliveries: [DeliveryStatus]
    ) {
        self.incident = incident
        self.channel = channel
        self.type = type
        self.template = template
        self.status = status
        self.msgType = msgType
        self.dryRun = dryRun
        self.failed = failed
        self.recipients = recipients
        self.delivered = delivered
        self.cancelled = cancelled
        self.deadline = deadline
        self.deliveries = deliveries
    }
}
