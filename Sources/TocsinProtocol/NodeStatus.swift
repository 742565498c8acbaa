/// One `tocsind` node as `status` shows it (DESIGN.md "Several machines"): every node that shares the database on
/// PostgreSQL, the one process on SQLite.
public struct NodeStatus: Codable, Sendable, Hashable {
    /// `cluster.node`.
    public var name: String
    /// The machine it runs on, and its process id there.
    public var host: String
    public var pid: Int64
    /// ISO 8601 (UTC).
    public var startedAt: String
    /// Its last heartbeat, ISO 8601 (UTC): every third of a lease while it runs.
    public var lastSeen: String
    /// Its config fingerprint (config file and templates) as it recorded it.
    public var configFingerprint: String
    /// The node that answered this `status`.
    public var thisNode: Bool
    /// Not seen for 3 leases: stopped without saying so, cut off, or its machine lost.
    public var silent: Bool

    public init(
        name: String, host: String, pid: Int64, startedAt: String, lastSeen: String, configFingerprint: String, thisNode: Bool,
        silent: Bool
    ) {
        self.name = name
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.lastSeen = lastSeen
        self.configFingerprint = configFingerprint
        self.thisNode = thisNode
        self.silent = silent
    }
}
