import Foundation
import TocsinChannels
import TocsinCore
import TocsinStore

/// A delivery as the dispatcher holds it in memory while it is not final.
///
/// What never changes (ids, payload, endpoint, dates) is held once in ``Fixed``: a job is copied into every attempt,
/// outcome, record and action, and each copy retained and released its eight strings and references: a share of the
/// 88,000 retains of a 100-channel send, 27,000 fewer since (BENCHMARKS.md, 7 December night). Now a copy retains
/// one object.
struct DeliveryJob: Sendable {
    final class Fixed: Sendable {
        let id: String
        let incidentID: String
        let channel: String
        let recipient: String?
        let payload: EncodedPayload
        let endpoint: (any ChannelEndpoint)?
        let createdAt: Date
        let deadlineAt: Date

        init(
            id: String, incidentID: String, channel: String, recipient: String?, payload: EncodedPayload,
            endpoint: (any ChannelEndpoint)?, createdAt: Date, deadlineAt: Date
        ) {
            self.id = id
            self.incidentID = incidentID
            self.channel = channel
            self.recipient = recipient
            self.payload = payload
            self.endpoint = endpoint
            self.createdAt = createdAt
            self.deadlineAt = deadlineAt
        }
    }

    let fixed: Fixed
    var id: String { fixed.id }
    var incidentID: String { fixed.incidentID }
    var channel: String { fixed.channel }
    var recipient: String? { fixed.recipient }
    /// Shared by every delivery of the channel in this incident: encoded once, never per delivery.
    var payload: EncodedPayload { fixed.payload }
    /// The channel as configured when the delivery was created: used only if a reload has since removed it,
    /// so a reload never strands a delivery (a changed channel, e.g. a fixed token, applies to retries).
    var endpoint: (any ChannelEndpoint)? { fixed.endpoint }
    var createdAt: Date { fixed.createdAt }
    var deadlineAt: Date { fixed.deadlineAt }
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

    init(
        id: String, incidentID: String, channel: String, recipient: String?, payload: EncodedPayload,
        endpoint: (any ChannelEndpoint)?, createdAt: Date, deadlineAt: Date, state: DeliveryState, attempts: Int,
        nextAttemptAt: Date? = nil, lastStatus: Int? = nil, lastError: String? = nil
    ) {
        fixed = Fixed(
            id: id, incidentID: incidentID, channel: channel, recipient: recipient, payload: payload, endpoint: endpoint,
            createdAt: createdAt, deadlineAt: deadlineAt
        )
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
    }

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
