import Foundation

extension SQLiteStore {
    public func sizeInBytes() async throws(StoreError) -> Int64 {
        [databasePath, databasePath + "-wal"].reduce(0) { total, path in
            total + (((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int64) ?? 0)
        }
    }
}

/// One machine, one node: SQLite's state folder is locked by one `tocsind` (StateLock), so every unfinished
/// delivery is this node's and there is no other node to record.
extension SQLiteStore {
    public func claimDeliveries(node: String, now: Int64, leaseMillis: Int64, limit: Int) async throws(StoreError) -> [DeliveryLease] {
        try await unfinishedDeliveries().prefix(max(0, limit)).map {
            DeliveryLease(deliveryID: $0.id, node: node, generation: 1, expiresAt: now + leaseMillis)
        }
    }

    public func claimDeliveries(_ ids: [String], node: String, now: Int64, leaseMillis: Int64) async throws(StoreError) -> [DeliveryLease] {
        try await unfinishedDeliveries(ids: ids).map {
            DeliveryLease(deliveryID: $0.id, node: node, generation: 1, expiresAt: now + leaseMillis)
        }
    }

    public func unfinishedDeliveries(ids: [String]) async throws(StoreError) -> [DeliveryRecord] {
        guard !ids.isEmpty else { return [] }
        let wanted = Set(ids)
        // One node: what it asks for is what it wrote; the unfinished list is its own and small.
        return try await unfinishedDeliveries().filter { wanted.contains($0.id) }
    }

    public func renewLeases(_ leases: [DeliveryLease], until: Int64) async throws(StoreError) -> [DeliveryLease] {
        leases.map { lease in
            var renewed = lease
            renewed.expiresAt = until
            return renewed
        }
    }

    public func releaseLeases(_ leases: [DeliveryLease]) async throws(StoreError) {}

    public func startNode(_ node: ClusterNode, refusingOthersSeenWithin liveWithin: Int64) async throws(StoreError) {}

    public func nodeHeartbeat(name: String, at: Int64) async throws(StoreError) {}

    public func nodeReloaded(name: String, fingerprint: String) async throws(StoreError) {}

    public func followWakeUps(_ wake: @escaping @Sendable () async -> Void) async {}

    public func stopNode(name: String) async throws(StoreError) {}

    public func nodes() async throws(StoreError) -> [ClusterNode] { [] }

    public func publishBusyChannels(_ channels: [String], node: String, freshWithin: Int64) async throws(StoreError) -> [String: Set<String>] {
        [:]
    }
}
