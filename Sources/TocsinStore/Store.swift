public import TocsinAudit
import TocsinCore

/// Durable state behind one small protocol, so a PostgreSQL store can later serve several machines.
///
/// `commit` returns only once the write is on disk (WAL, fsync): callers acknowledge sends after it.
public protocol Store: Sendable {
    func commit(_ write: StoreWrite) async throws(StoreError)

    func unfinishedDeliveries() async throws(StoreError) -> [DeliveryRecord]
    func payloads(for keys: Set<PayloadKey>) async throws(StoreError) -> [PayloadKey: PayloadRecord]

    func incident(_ id: String) async throws(StoreError) -> IncidentRecord?
    /// Incidents newest first, heartbeats left out.
    func recentIncidents(limit: Int) async throws(StoreError) -> [IncidentRecord]
    /// The newest heartbeat (an incident with CAP status `System`).
    func lastHeartbeat() async throws(StoreError) -> IncidentRecord?
    /// Updates and all-clears that reference incident `id`, oldest first.
    func followUps(of id: String) async throws(StoreError) -> [IncidentRecord]
    func deliveries(ofIncident id: String) async throws(StoreError) -> [DeliveryRecord]
    func attempts(ofIncident id: String) async throws(StoreError) -> [AttemptRecord]

    func approvals(ofTemplate id: String) async throws(StoreError) -> [ApprovalRecord]
    /// The send a request key made, or nil when no send has used it.
    func sendRequest(key: String) async throws(StoreError) -> SendRequestRecord?
    /// The web console's users, by name.
    func webUsers() async throws(StoreError) -> [WebUserRecord]
    /// One web user, or nil when there is none of that name (each request a gateway makes for a user reads it).
    func webUser(named name: String) async throws(StoreError) -> WebUserRecord?

    /// Per channel: the last delivery and the last failed attempt, for `channels list` and health checks.
    func channelActivity() async throws(StoreError) -> [String: ChannelActivity]

    /// A consistent copy of the whole database, taken while the daemon runs (SQLite's online backup API).
    /// Writes to a temporary file beside `path` and renames it, so `path` is never half-written.
    func backup(to path: String) async throws(StoreError) -> AuditHead

    /// About how many bytes a backup takes: the database file and its WAL on SQLite, `pg_database_size` on
    /// PostgreSQL (an over-estimate: indexes and free space are not exported).
    func sizeInBytes() async throws(StoreError) -> Int64

    /// The most recently failed deliveries, newest first.
    func recentFailures(limit: Int) async throws(StoreError) -> [DeliveryRecord]

    /// Writes and commits a row about the size of a send's (`healthProbe`): what `health` checks the disk with.
    func probeWrite(at timeMillis: Int64) async throws(StoreError)

    func auditHead() async throws(StoreError) -> AuditHead
    /// Entries in order, after `afterSeq`, at most `limit`, only those about `subject` when given; with `newest`,
    /// the last `limit` such entries (still in order).
    func auditEntries(afterSeq: Int64, limit: Int, subject: String?, newest: Bool) async throws(StoreError) -> [AuditEntry]
    /// Recomputes the whole chain and finds the first entry that was altered, deleted or unlinked; with keys,
    /// also checks every signed checkpoint against them.
    func verifyAudit(trusting keys: [AuditPublicKey]) async throws(StoreError) -> AuditVerification
    /// Checks only the entries after `anchor`, which must still be in the chain with its hash: the increment a
    /// checkpoint is about to sign.
    func verifyAudit(from anchor: AuditHead, trusting keys: [AuditPublicKey]) async throws(StoreError) -> AuditVerification
    /// From now on, the entries this store appends name `node` (`cluster.node`; entry format 2, see `AuditEntry`).
    /// Called once at start, before the first append; until then they name the host.
    func nameAuditEntries(by node: String)
    /// Commits that found the chain's head elsewhere than this process left it: someone else wrote, cut or rewrote
    /// the audit table while the daemon ran.
    var auditHeadMoves: AuditHeadMoves { get }
    /// Compares the head on disk with the one this process left, now, without writing: health asks before the
    /// next commit would notice.
    func checkAuditHead() async throws(StoreError)
    /// An approver accepted the moves seen so far: checkpoints may be signed again (until the next move).
    func acceptAuditHeadMoves()
    /// Called each time a move of the head is found, so the daemon can record it at once rather than at its next
    /// checkpoint.
    func onAuditHeadMoved(_ handler: @escaping @Sendable (String) -> Void)
    // MARK: Several nodes

    /// Claims up to `limit` unfinished deliveries that no node holds, or whose lease lapsed by `now`, for `node`
    /// until `now + leaseMillis`, oldest first; each claim raises the delivery's generation. On SQLite (one node)
    /// every unfinished delivery is this node's: the claim always succeeds, at generation 1.
    func claimDeliveries(node: String, now: Int64, leaseMillis: Int64, limit: Int) async throws(StoreError) -> [DeliveryLease]
    /// Claims these deliveries (just written by this node) for `node` until `now + leaseMillis`: those unfinished
    /// and unheld, lapsed, or held by `node` already (PostgreSQL leases a new delivery to the node that wrote it).
    /// One another node holds is left out of the answer. SQLite: every unfinished one, at generation 1.
    func claimDeliveries(_ ids: [String], node: String, now: Int64, leaseMillis: Int64) async throws(StoreError) -> [DeliveryLease]
    /// These deliveries as stored, those still unfinished (what a node that claimed them needs to send them).
    func unfinishedDeliveries(ids: [String]) async throws(StoreError) -> [DeliveryRecord]
    /// Extends the leases still held as given (same node, same generation) to `until`; returns those, renewed. A
    /// lease another node took over (or a cancel elsewhere fenced) is missing from the answer: stop starting attempts
    /// under it. A delivery the holder itself finished meanwhile (final at the same generation) is in the answer:
    /// it was not taken, and the holder learns of its end from its own commit.
    func renewLeases(_ leases: [DeliveryLease], until: Int64) async throws(StoreError) -> [DeliveryLease]
    /// Gives the leases up (for a delivery finished, or a node stopping); one taken over meanwhile is left alone.
    func releaseLeases(_ leases: [DeliveryLease]) async throws(StoreError)

    /// Runs until its task is cancelled, calling `wake` each time another node asks the others to look at their
    /// leases at once (a cancel seized deliveries, a node gave its leases up), and once after each (re)connection,
    /// since a wake-up sent while disconnected is not heard; reconnects by itself, the lease poll covering the gap.
    /// SQLite (one node): returns at once.
    func followWakeUps(_ wake: @escaping @Sendable () async -> Void) async
    /// Records `node` as running, unless a node of the same name on another host was seen within `liveWithin`
    /// milliseconds of its start: then throws ``StoreError/Code/busy`` naming it (two nodes of one name would take
    /// each other's leases). Atomic across nodes starting together. The same name on the same host is this node,
    /// restarted, and is replaced. SQLite: nothing to record (the state folder's lock keeps one process).
    func startNode(_ node: ClusterNode, refusingOthersSeenWithin liveWithin: Int64) async throws(StoreError)
    /// The node's heartbeat: `lastSeen` set to `at`.
    func nodeHeartbeat(name: String, at: Int64) async throws(StoreError)
    /// The node's configuration changed (a reload): its row names the new fingerprint, so `health` compares the
    /// configs the nodes run now, not the ones they started with. SQLite: nothing to record.
    func nodeReloaded(name: String, fingerprint: String) async throws(StoreError)
    /// Removes the node's row on a clean stop, so a restart is never mistaken for a second node.
    func stopNode(name: String) async throws(StoreError)
    /// Every node recorded, by name (empty on SQLite).
    func nodes() async throws(StoreError) -> [ClusterNode]
    /// At every poll, in one statement: records the channels `node` has work on now (deliveries it holds unfinished
    /// or attempts in flight; empty for none) and returns those of every other node that recorded its own within
    /// `freshWithin` milliseconds, by name (times on the database's clock, so the nodes' clocks need not agree). A
    /// channel's limits are shared among the nodes busy on it (issue 17, item 3). SQLite (one node): nothing.
    func publishBusyChannels(_ channels: [String], node: String, freshWithin: Int64) async throws(StoreError) -> [String: Set<String>]

    /// The migrations this process applied when it opened the database (empty when it was already current): the
    /// first start of a release that adds the heads file may start that file; any later start may not.
    var migrationsAppliedAtOpen: [String] { get }
}

/// Names of migrations other modules reason about.
public enum StoreMigrations {
    /// The first migration of the release that keeps the audit heads file: a database that gets it at this start
    /// comes from an older release, whose last checkpoint may start the file.
    public static let headsRecord = "v2: health probe"
    /// One payload row per distinct body of an incident; deliveries name theirs by number.
    public static let sharedPayloads = "v3: one payload per distinct body"
    /// The service's own id for each accepted attempt and delivered delivery (`receipt` columns).
    public static let providerReceipts = "v4: provider receipts"
    /// Each attempt's lease generation (fencing token) and whether its outcome came late, after a take-over.
    public static let leaseGenerations = "v5: attempt lease generations"
    /// The node that appended each audit entry (entry format 2); entries written before keep none.
    public static let auditNodes = "v6: audit entry nodes"
    /// The web console's users (issue 18).
    public static let webUsers = "v7: web users"
    /// The request keys of sends, so that a repeated request answers with its incident instead of sending twice.
    public static let sendRequests = "v8: send request keys"
}

/// How often the audit head was found moved by another writer, and the last such finding in words.
public struct AuditHeadMoves: Sendable, Hashable {
    public var count = 0
    /// Moves an approver accepted (`audit accept`).
    public var accepted = 0
    public var last: String?

    public init(count: Int = 0, accepted: Int = 0, last: String? = nil) {
        self.count = count
        self.accepted = accepted
        self.last = last
    }

    /// A move not yet accepted: no checkpoint may be signed while one stands.
    public var unaccepted: String? { count > accepted ? last : nil }
}

public struct PayloadKey: Sendable, Hashable {
    public var incidentID: String
    public var channel: String

    public init(incidentID: String, channel: String) {
        self.incidentID = incidentID
        self.channel = channel
    }
}

public struct AuditVerification: Sendable, Hashable {
    public var checked: Int64
    public var head: AuditHead
    public var problem: AuditVerifier.Problem?
    /// Checkpoints whose signature verified, and the last of them.
    public var checkpoints: Int64
    public var lastCheckpoint: VerifiedCheckpoint?

    public init(checked: Int64, head: AuditHead, problem: AuditVerifier.Problem?, checkpoints: Int64 = 0, lastCheckpoint: VerifiedCheckpoint? = nil) {
        self.checked = checked
        self.head = head
        self.problem = problem
        self.checkpoints = checkpoints
        self.lastCheckpoint = lastCheckpoint
    }

    /// - Parameter base: the seq the verifier started after (0 for the whole chain).
    init(_ verifier: AuditVerifier, problem: AuditVerifier.Problem?, base: Int64 = 0) {
        self.init(
            checked: verifier.checked, head: AuditHead(seq: base + verifier.checked, hash: verifier.head), problem: problem,
            checkpoints: verifier.checkpoints.verified, lastCheckpoint: verifier.checkpoints.last
        )
    }
}

/// Why the store could not do what was asked, in words an operator can act on.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable { case open, corrupt, full, busy, io, constraint, tampered, other }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

public struct ChannelActivity: Sendable, Hashable {
    public var lastDeliveredAt: Int64?
    public var lastErrorAt: Int64?
    public var lastError: String?
    /// Whether the channel's most recently finished delivery failed (rather than was delivered).
    public var lastFinalFailed = false

    public init(lastDeliveredAt: Int64? = nil, lastErrorAt: Int64? = nil, lastError: String? = nil) {
        self.lastDeliveredAt = lastDeliveredAt
        self.lastErrorAt = lastErrorAt
        self.lastError = lastError
    }
}

extension Store {
    /// The chain alone, without checking checkpoint signatures.
    public func verifyAudit() async throws(StoreError) -> AuditVerification { try await verifyAudit(trusting: []) }
}
