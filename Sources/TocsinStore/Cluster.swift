/// A node's claim on one delivery (DESIGN.md "Several machines"): only the holder starts attempts under it, until
/// `expiresAt`; then any live node may take it over.
///
/// `generation` is the fencing token: it grows by one at every claim of the delivery, so a renewal or a release by a
/// node whose lease was taken over names an older generation and changes nothing.
public struct DeliveryLease: Sendable, Hashable {
    public var deliveryID: String
    public var node: String
    public var generation: Int64
    /// Milliseconds since 1970 UTC.
    public var expiresAt: Int64

    public init(deliveryID: String, node: String, generation: Int64, expiresAt: Int64) {
        self.deliveryID = deliveryID
        self.node = node
        self.generation = generation
        self.expiresAt = expiresAt
    }
}

/// A `tocsind` node as the shared database knows it.
public struct ClusterNode: Sendable, Hashable {
    public var name: String
    /// The machine it runs on and its process id, to tell an operator where it is.
    public var host: String
    public var pid: Int64
    /// Its config fingerprint (config file and templates).
    public var fingerprint: String
    public var startedAt: Int64
    /// Its last heartbeat, in milliseconds since 1970 UTC.
    public var lastSeen: Int64

    public init(name: String, host: String, pid: Int64, fingerprint: String, startedAt: Int64, lastSeen: Int64) {
        self.name = name
        self.host = host
        self.pid = pid
        self.fingerprint = fingerprint
        self.startedAt = startedAt
        self.lastSeen = lastSeen
    }
}
