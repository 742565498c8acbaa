public import Foundation
public import GRDB

/// One send: a template rendered with its variables, as stored. Times are milliseconds since 1970 (UTC).
public struct IncidentRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "incident"

    public var id: String
    public var templateID: String
    public var templateHash: String
    /// Whether the template was approved (and unchanged since) at send time; drills may go out unapproved.
    public var approved: Bool
    /// CAP status: Actual, Exercise, Test.
    public var status: String
    /// CAP msgType: Alert, Update, Cancel.
    public var msgType: String
    /// The incident this one follows up (Update, Cancel).
    public var references: String?
    public var route: String
    /// The resolved variables, as JSON.
    public var variables: String
    /// The rendered messages, as JSON: what every channel's payload was built from.
    public var messages: String
    /// SHA-256 of `messages`, recorded in the audit entry of the incident.
    public var contentHash: String
    /// CAP `<sent>`, with its numeric offset.
    public var sent: String
    public var createdAt: Int64
    public var actorUID: Int64?
    public var actorPID: Int64?
    public var actorName: String?

    public init(
        id: String, templateID: String, templateHash: String, approved: Bool, status: String, msgType: String,
        references: String?, route: String, variables: String, messages: String, contentHash: String, sent: String,
        createdAt: Int64, actorUID: Int64?, actorPID: Int64?, actorName: String?
    ) {
        self.id = id
        self.templateID = templateID
        self.templateHash = templateHash
        self.approved = approved
        self.status = status
        self.msgType = msgType
        self.references = references
        self.route = route
        self.variables = variables
        self.messages = messages
        self.contentHash = contentHash
        self.sent = sent
        self.createdAt = createdAt
        self.actorUID = actorUID
        self.actorPID = actorPID
        self.actorName = actorName
    }
}

/// The encoded request body of one channel for one incident, built once and shared by its deliveries.
///
/// The store keeps one row per distinct body of an incident (schema v3): channels whose payloads carry the same
/// bytes share it, and each delivery row names its payload by number.
public struct PayloadRecord: Codable, Sendable, Hashable {
    public var incidentID: String
    public var channel: String
    public var contentType: String
    /// `Data`, not `[UInt8]`: GRDB stores Data as one blob, where Codable would encode an array byte by byte.
    public var body: Data

    public init(incidentID: String, channel: String, contentType: String, body: Data) {
        self.incidentID = incidentID
        self.channel = channel
        self.contentType = contentType
        self.body = body
    }
}

/// One message to one channel (or one recipient of a channel). `id` is the Standard Webhooks `webhook-id`.
///
/// Written by the store only (it adds the number of the delivery's payload), hence fetchable but not persistable.
public struct DeliveryRecord: Codable, Sendable, Hashable, FetchableRecord, TableRecord {
    public static let databaseTableName = "delivery"

    public var id: String
    public var incidentID: String
    public var channel: String
    public var recipient: String?
    public var state: String
    public var attempts: Int
    public var createdAt: Int64
    public var deadlineAt: Int64
    public var nextAttemptAt: Int64?
    public var lastStatus: Int?
    public var lastError: String?
    /// A permanent failure that points at our configuration (bad URL, revoked token), not the service.
    public var misconfiguration: Bool
    public var deliveredAt: Int64?
    public var updatedAt: Int64
    /// The service's own id for the delivered message (schema v4): a Twilio SID, a post id, an SMTP queue id.
    public var receipt: String?

    public init(
        id: String, incidentID: String, channel: String, recipient: String?, state: String, attempts: Int = 0,
        createdAt: Int64, deadlineAt: Int64, nextAttemptAt: Int64? = nil, lastStatus: Int? = nil,
        lastError: String? = nil, misconfiguration: Bool = false, deliveredAt: Int64? = nil, updatedAt: Int64,
        receipt: String? = nil
    ) {
        self.id = id
        self.incidentID = incidentID
        self.channel = channel
        self.recipient = recipient
        self.state = state
        self.attempts = attempts
        self.createdAt = createdAt
        self.deadlineAt = deadlineAt
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.misconfiguration = misconfiguration
        self.deliveredAt = deliveredAt
        self.updatedAt = updatedAt
        self.receipt = receipt
    }
}

/// One try of a delivery: when, how long, and what the service answered.
public struct AttemptRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "attempt"

    public var deliveryID: String
    public var number: Int
    public var startedAt: Int64
    public var latencyMillis: Int64
    public var httpStatus: Int?
    public var error: String?
    /// `delivered`, `retrying`, `failed`.
    public var outcome: String
    /// The service's own id for the message this attempt got accepted (schema v4), when it gave one.
    public var receipt: String?
    /// The generation of the lease the attempt was started under (schema v5, the fencing token): 1 on one node.
    public var generation: Int64
    /// The outcome came after another node had taken the delivery over (a higher generation): recorded for the
    /// history, but it changed nothing of the delivery, which is the new holder's (schema v5).
    public var late: Bool

    public init(
        deliveryID: String, number: Int, startedAt: Int64, latencyMillis: Int64, httpStatus: Int?, error: String?,
        outcome: String, receipt: String? = nil, generation: Int64 = 1, late: Bool = false
    ) {
        self.deliveryID = deliveryID
        self.number = number
        self.startedAt = startedAt
        self.latencyMillis = latencyMillis
        self.httpStatus = httpStatus
        self.error = error
        self.outcome = outcome
        self.receipt = receipt
        self.generation = generation
        self.late = late
    }
}

/// The request key a client gave a send (`SendParams.requestKey`) and the incident it made: the same key again
/// answers with that incident instead of sending twice. `digest` fingerprints what was asked, and by whom, so a key
/// reused for a different send is refused rather than taken for a repeat.
public struct SendRequestRecord: Codable, Sendable, Hashable, FetchableRecord, TableRecord {
    public static let databaseTableName = "send_request"

    public var key: String
    public var digest: String
    public var incidentID: String
    public var createdAt: Int64

    public init(key: String, digest: String, incidentID: String, createdAt: Int64) {
        self.key = key
        self.digest = digest
        self.incidentID = incidentID
        self.createdAt = createdAt
    }
}

/// An approver's signature over a template's canonical content hash.
public struct ApprovalRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "approval"

    public var templateID: String
    public var contentHash: String
    public var approverUID: Int64
    public var approverName: String?
    public var approvedAt: Int64

    public init(templateID: String, contentHash: String, approverUID: Int64, approverName: String?, approvedAt: Int64) {
        self.templateID = templateID
        self.contentHash = contentHash
        self.approverUID = approverUID
        self.approverName = approverName
        self.approvedAt = approvedAt
    }
}
