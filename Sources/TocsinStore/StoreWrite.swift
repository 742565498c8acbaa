import Synchronization
public import TocsinAudit
public import TocsinCore

/// An audit entry to append; the store gives it its sequence number and chain hash at commit.
public struct AuditEvent: Sendable, Hashable {
    public var timeMillis: Int64
    public var kind: String
    public var actorUID: Int64?
    public var actorPID: Int64?
    public var subject: String
    public var detail: String
    /// The delivery whose fenced update (``DeliveryUpdate/generation``) this entry reports: when the fence refuses
    /// the update (the lease was taken over), the entry is still appended, its kind ending in `.late`.
    public var fence: String?

    public init(
        timeMillis: Int64, kind: String, actorUID: Int64? = nil, actorPID: Int64? = nil, subject: String, detail: String,
        fence: String? = nil
    ) {
        self.timeMillis = timeMillis
        self.kind = kind
        self.actorUID = actorUID
        self.actorPID = actorPID
        self.subject = subject
        self.detail = detail
        self.fence = fence
    }

    /// What a refused fence makes of an entry's kind: `delivery.attempt` → `delivery.attempt.late`.
    public static func lateKind(_ kind: String) -> String { kind + ".late" }
}

/// The new state of a delivery after an attempt or a cancel.
public struct DeliveryUpdate: Sendable, Hashable {
    public var id: String
    public var state: DeliveryState
    public var attempts: Int
    public var nextAttemptAt: Int64?
    public var lastStatus: Int?
    public var lastError: String?
    public var misconfiguration: Bool
    public var deliveredAt: Int64?
    public var updatedAt: Int64
    /// The service's id for the delivered message; nil keeps what the delivery has (an update never clears one).
    public var receipt: String?
    /// The fence: applied only while the delivery's lease is still at this generation (nobody took it over); nil
    /// for an unconditional update (one node on SQLite, which has no leases to fence).
    public var generation: Int64?

    public init(
        id: String, state: DeliveryState, attempts: Int, nextAttemptAt: Int64?, lastStatus: Int?, lastError: String?,
        misconfiguration: Bool, deliveredAt: Int64?, updatedAt: Int64, receipt: String? = nil, generation: Int64? = nil
    ) {
        self.id = id
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.misconfiguration = misconfiguration
        self.deliveredAt = deliveredAt
        self.updatedAt = updatedAt
        self.receipt = receipt
        self.generation = generation
    }
}

/// What one commit writes. Everything in a batch, and every batch grouped with it, lands in one transaction,
/// with its audit entries, or not at all.
public struct StoreWrite: Sendable {
    public var incidents: [IncidentRecord] = []
    public var payloads: [PayloadRecord] = []
    public var deliveries: [DeliveryRecord] = []
    public var attempts: [AttemptRecord] = []
    public var updates: [DeliveryUpdate] = []
    /// Failed deliveries a resend reopens (applied after `updates`).
    public var reopened: [DeliveryReopening] = []
    public var approvals: [ApprovalRecord] = []
    public var audit: [AuditEvent] = []
    /// A signed checkpoint, appended after `audit`: it signs the head as it stands inside the transaction, so it
    /// can never sign a head that another writer has already moved past.
    public var checkpoint: CheckpointRequest?
    /// Several nodes (PostgreSQL): a cancel of the deliveries other nodes hold, inside this write's transaction.
    /// SQLite ignores it: one node holds every delivery, and its own cancel closed them.
    public var cancelElsewhere: CancelElsewhere?
    /// Web console users added, reset, removed or unlocked (issue 18), each with its audit entry in `audit`.
    public var webUsers: [WebUserChange] = []
    /// The request key of a send, written with its incident: a key already taken fails the commit with
    /// `.constraint` (two nodes, or two connections, racing with the same key), and nothing of it is stored.
    public var sendRequests: [SendRequestRecord] = []

    public init(
        incidents: [IncidentRecord] = [], payloads: [PayloadRecord] = [], deliveries: [DeliveryRecord] = [],
        attempts: [AttemptRecord] = [], updates: [DeliveryUpdate] = [], approvals: [ApprovalRecord] = [],
        audit: [AuditEvent] = [], checkpoint: CheckpointRequest? = nil, cancelElsewhere: CancelElsewhere? = nil
    ) {
        self.incidents = incidents
        self.payloads = payloads
        self.deliveries = deliveries
        self.attempts = attempts
        self.updates = updates
        self.approvals = approvals
        self.audit = audit
        self.checkpoint = checkpoint
        self.cancelElsewhere = cancelElsewhere
    }
}

/// Asks the store to append a signed `audit.checkpoint` entry over the chain head.
///
/// `verified` is the head up to which the caller has checked the chain (from its last recorded head): inside the
/// transaction the store checks that the head still continues it, entry by entry, so a checkpoint never signs a
/// chain that was cut or rewritten between that check and the signature.
public struct CheckpointRequest: Sendable {
    public var timeMillis: Int64
    public var reason: String
    public var signer: AuditSigner
    public var verified: AuditHead

    public init(timeMillis: Int64, reason: String, signer: AuditSigner, verified: AuditHead) {
        self.timeMillis = timeMillis
        self.reason = reason
        self.signer = signer
        self.verified = verified
    }
}

/// Cancels, in the write's transaction, every unfinished delivery of `incident` except those this process holds
/// (`except`: its own cancel deals with them), whichever node holds them or whether their lease lapsed: each is
/// set `cancelled` with its generation raised (fencing whatever its former holder records after) and gets the
/// audit entry `final` makes for it. Cancelled and audited in one commit, so none can be claimed and sent again in
/// between, and none is cancelled without its entry.
public struct CancelElsewhere: Sendable {
    public var incident: String
    public var except: [String]
    public var at: Int64
    public var final: @Sendable (CancelledElsewhere) -> AuditEvent
    /// What the commit cancelled, for the caller to count (set by the transaction that committed).
    public let outcome: Outcome

    public init(incident: String, except: [String], at: Int64, final: @escaping @Sendable (CancelledElsewhere) -> AuditEvent) {
        self.incident = incident
        self.except = except
        self.at = at
        self.final = final
        outcome = Outcome()
    }

    public final class Outcome: Sendable {
        private let cancelled = Mutex<[CancelledElsewhere]>([])
        public init() {}
        public var deliveries: [CancelledElsewhere] { cancelled.withLock { $0 } }
        public func set(_ deliveries: [CancelledElsewhere]) { cancelled.withLock { $0 = deliveries } }
    }
}

/// A delivery another node held, as a ``CancelElsewhere`` cancelled it.
public struct CancelledElsewhere: Sendable, Hashable {
    public var id: String
    public var incidentID: String
    public var channel: String
    public var recipient: String?
    public var attempts: Int
    public var misconfiguration: Bool
    public var lastError: String?
    /// The generation the cancel took the delivery at.
    public var generation: Int64

    public init(id: String, incidentID: String, channel: String, recipient: String?, attempts: Int, misconfiguration: Bool, lastError: String?, generation: Int64) {
        self.id = id
        self.incidentID = incidentID
        self.channel = channel
        self.recipient = recipient
        self.attempts = attempts
        self.misconfiguration = misconfiguration
        self.lastError = lastError
        self.generation = generation
    }
}
