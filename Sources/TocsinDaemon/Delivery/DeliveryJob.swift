import Foundation
import TocsinChannels
import TocsinCore
import TocsinStore

/// A delivery as the dispatcher holds it in memory while it is not final.
struct DeliveryJob: Sendable {
    let id: String
    let incidentID: String
    let channel: String
    let recipient: String?
    /// Shared by every delivery of the channel in this incident: encoded once, never per delivery.
    let payload: EncodedPayload
    /// The channel as configured when the delivery was created: used only if a reload has since removed it,
    /// so a reload never strands a delivery (a changed channel, e.g. a fixed token, applies to retries).
    let endpoint: (any ChannelEndpoint)?
    let createdAt: Date
    let deadlineAt: Date
    var state: DeliveryState
    var attempts: Int
    var nextAttemptAt: Date?
    var lastStatus: Int?
    var lastError: String?
    var misconfiguration = false
    var deliveredAt: Date?
    /// When this delivery's current run of failed attempts began (health: "failing for …"); nil when its last
    /// attempt did not fail, or when it was recovered at start (then its creation time stands in).
    var failingSince: Date?
    /// What one attempt spends of its channel's `rate_limit`: 1, or an SMS's segments (``cost(of:type:)``).
    var cost = 1
    /// Once delivered: the service's own id for the message, and what its acceptance means (``ProviderReceipt``).
    var receipt: String?
    var acceptance: String?
    /// How long the service took to answer the last attempt (progress shows it as the answer's time, not a delay).
    var lastLatencyMillis: Int64?
    /// The generation of this node's lease on the delivery (the fencing token its records carry); nil for one node
    /// on SQLite, which holds every delivery for good.
    var generation: Int64?

    /// An SMS costs its segments, as Twilio meters and paces them (a 4-segment message uses 4 of `rate_limit`);
    /// every other attempt costs 1. Read from the stored bytes, so a resumed delivery is paced as before.
    static func cost(of payload: EncodedPayload, type: ChannelType?) -> Int {
        guard type == .twilioSMS else { return 1 }
        let text = String(decoding: payload.body, as: UTF8.self)
        return max(SMSEncoding.of(text).segments(text), 1)
    }
}

extension DeliveryJob {
    /// A stored delivery as a job, with its stored payload bytes (a resumed or taken-over delivery is sent with
    /// the bytes written at send time, never rendered again).
    init(record: DeliveryRecord, payload: PayloadRecord, type: ChannelType?) {
        let encoded = EncodedPayload(contentType: payload.contentType, body: Array(payload.body))
        self.init(
            id: record.id, incidentID: record.incidentID, channel: record.channel, recipient: record.recipient,
            payload: encoded, endpoint: nil,
            createdAt: Date(millis: record.createdAt), deadlineAt: Date(millis: record.deadlineAt),
            state: record.state == DeliveryState.retrying.rawValue ? .retrying : .pending, attempts: record.attempts,
            nextAttemptAt: record.nextAttemptAt.map(Date.init(millis:)), lastStatus: record.lastStatus,
            lastError: record.lastError
        )
        cost = Self.cost(of: encoded, type: type)
    }
}
