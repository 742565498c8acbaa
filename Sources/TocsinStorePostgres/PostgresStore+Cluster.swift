import Foundation
import PostgresNIO
public import TocsinStore

/// Leases and nodes: what lets several `tocsind` share one database.
extension PostgresStore {
    /// `FOR UPDATE SKIP LOCKED` in the subquery: nodes claiming at the same time each lock different rows and never
    /// wait for one another (the pattern of River, Oban, graphile-worker and pg-boss).
    public func claimDeliveries(node: String, now: Int64, leaseMillis: Int64, limit: Int) async throws(StoreError) -> [DeliveryLease] {
        let expires = now + leaseMillis
        return try await rows("claim deliveries", """
            UPDATE delivery AS d SET lease_node = \(node), lease_generation = d.lease_generation + 1, lease_expires_at = \(expires)
            WHERE d.id IN (
                SELECT id FROM delivery
                WHERE state <> 'delivered' AND state <> 'failed' AND state <> 'cancelled'
                AND (lease_expires_at IS NULL OR lease_expires_at <= \(now))
                ORDER BY created_at, id LIMIT \(max(0, limit)) FOR UPDATE SKIP LOCKED
            )
            RETURNING d.id, d.lease_generation
            """) { row in
            let (id, generation) = try row.decode((String, Int64).self)
            return DeliveryLease(deliveryID: id, node: node, generation: generation, expiresAt: expires)
        }.sorted { $0.deliveryID < $1.deliveryID }
    }

    public func claimDeliveries(_ ids: [String], node: String, now: Int64, leaseMillis: Int64) async throws(StoreError) -> [DeliveryLease] {
        guard !ids.isEmpty else { return [] }
        let expires = now + leaseMillis
        // Born leased to this node (or unheld, or lapsed): a row another node holds, or is claiming right now
        // (locked), stays that node's.
        return try await rows("claim deliveries", """
            UPDATE delivery AS d SET lease_node = \(node), lease_generation = d.lease_generation + 1, lease_expires_at = \(expires)
            WHERE d.id IN (
                SELECT id FROM delivery
                WHERE id = ANY(\(ids)) AND state <> 'delivered' AND state <> 'failed' AND state <> 'cancelled'
                AND (lease_node IS NULL OR lease_node = \(node) OR lease_expires_at IS NULL OR lease_expires_at <= \(now))
                ORDER BY id FOR UPDATE SKIP LOCKED
            )
            RETURNING d.id, d.lease_generation
            """) { row in
            let (id, generation) = try row.decode((String, Int64).self)
            return DeliveryLease(deliveryID: id, node: node, generation: generation, expiresAt: expires)
        }.sorted { $0.deliveryID < $1.deliveryID }
    }

    public func unfinishedDeliveries(ids: [String]) async throws(StoreError) -> [DeliveryRecord] {
        guard !ids.isEmpty else { return [] }
        var binds = PostgresBindings()
        binds.append(ids)
        return try await rows("read deliveries", PostgresQuery(
            unsafeSQL: PostgresReader.deliveryColumns
                + " WHERE id = ANY($1) AND state <> 'delivered' AND state <> 'failed' AND state <> 'cancelled' ORDER BY created_at, id",
            binds: binds
        ), PostgresReader.delivery)
    }

    public func renewLeases(_ leases: [DeliveryLease], until: Int64) async throws(StoreError) -> [DeliveryLease] {
        guard !leases.isEmpty else { return [] }
        // Same node and same generation, or it was taken over: the generation is what fences a late holder. A row
        // this node finished meanwhile keeps no lease (its commit cleared it) and gets none.
        let set = "SET lease_expires_at = CASE WHEN d.lease_node IS NULL THEN NULL ELSE $4::bigint END"
        func renew(_ leases: [DeliveryLease], skipLocked: Bool) async throws(StoreError) -> Set<String> {
            let held = try await rows("renew leases", Self.held(leases, set, returning: "d.id, d.lease_generation", skipLocked: skipLocked, until)) { row in
                try row.decode((String, Int64).self)
            }
            return Set(held.map { "\($0.0)\u{0}\($0.1)" })
        }
        // First every row no commit holds, at once; then the few a commit holds right now, waiting for those
        // commits only. In one statement waiting row by row, a renewal of thousands of rows queued behind this
        // node's own stream of commits for longer than the lease, which lapsed under attempts in flight (and
        // another node sent them again). Waiting, the second pass sees what a concurrent claim made of its rows.
        var kept = try await renew(leases, skipLocked: true)
        let passed = leases.filter { !kept.contains("\($0.deliveryID)\u{0}\($0.generation)") }
        if !passed.isEmpty { kept.formUnion(try await renew(passed, skipLocked: false)) }
        return leases.filter { kept.contains("\($0.deliveryID)\u{0}\($0.generation)") }.map { lease in
            var lease = lease
            lease.expiresAt = until
            return lease
        }
    }

    public func releaseLeases(_ leases: [DeliveryLease]) async throws(StoreError) {
        guard !leases.isEmpty else { return }
        _ = try await rows("release leases", Self.held(leases, "SET lease_node = NULL, lease_expires_at = NULL", returning: "d.id")) { _ in () }
        // Another node takes them at once rather than at its next poll.
        if let node = leases.first?.node { await wakeOtherNodes(from: node) }
    }

    /// `UPDATE delivery AS d <set> … RETURNING <returning>` of the rows `leases` still hold as given (same node, same
    /// generation; or final at that generation, finished by their holder: not taken), locked first in id order as
    /// every commit locks the rows it updates (``PostgresWriter/lockDeliveries(of:)``): locked in a join's order, a
    /// renewal deadlocked with a group commit, and the renewal PostgreSQL chose to fail let leases lapse under
    /// attempts in flight, which another node then sent again. `skipLocked` passes over rows another transaction
    /// holds instead of waiting for them. `$4` and on are `values`.
    private static func held(_ leases: [DeliveryLease], _ set: String, returning: String, skipLocked: Bool = false, _ values: Int64...) -> PostgresQuery {
        var binds = PostgresBindings(capacity: 3 + values.count)
        binds.append(leases.map(\.deliveryID))
        binds.append(leases.map(\.generation))
        binds.append(leases.map(\.node))
        for value in values { binds.append(value) }
        return PostgresQuery(unsafeSQL: """
            WITH held AS MATERIALIZED (
                SELECT d.id FROM delivery AS d
                JOIN unnest($1::text[], $2::bigint[], $3::text[]) AS l (id, generation, node)
                ON d.id = l.id AND d.lease_generation = l.generation
                AND (d.lease_node = l.node OR d.state IN ('delivered', 'failed', 'cancelled'))
                ORDER BY d.id FOR NO KEY UPDATE OF d\(skipLocked ? " SKIP LOCKED" : "")
            )
            UPDATE delivery AS d \(set) FROM held WHERE d.id = held.id RETURNING \(returning)
            """, binds: binds)
    }

    /// NOTIFY on ``PostgresSchema/wakeChannel``; a wake-up that cannot be sent leaves the others to their poll.
    private func wakeOtherNodes(from node: String) async {
        do {
            try await client.query("SELECT pg_notify(\(PostgresSchema.wakeChannel), \(node))", logger: logger)
        } catch {
            logger.notice("other nodes not woken; they find the change at their next poll", metadata: ["postgres.error": "\(String(reflecting: error))"])
        }
    }

    public func followWakeUps(_ wake: @escaping @Sendable () async -> Void) async {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let generation = primary.generation
            let client = self.client
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // PostgresClient has no LISTEN: one connection of the pool is held for it as long as it lives.
                        try await client.withConnection { connection in
                            try await connection.listen(on: PostgresSchema.wakeChannel) { notifications in
                                await wake()
                                for try await _ in notifications { await wake() }
                            }
                        }
                    }
                    group.addTask { [primary] in
                        // After a failover the wake-ups are sent on the new primary: listen there.
                        while primary.generation == generation { try await Task.sleep(for: .milliseconds(500)) }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            } catch {
                if Task.isCancelled { return }
                primary.suspect()
                logger.warning("not hearing other nodes' wake-ups (the lease poll still runs); reconnecting", metadata: [
                    "postgres.error": "\(String(reflecting: error))",
                ])
            }
            if Task.isCancelled { return }
            // A connection that lasted a while was fine: start the backoff again.
            if ContinuousClock.now - started > .seconds(10) { delay = .milliseconds(100) }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    public func startNode(_ node: ClusterNode, refusingOthersSeenWithin liveWithin: Int64) async throws(StoreError) {
        do {
            try await client.withTransaction(logger: logger) { connection in
                // One start at a time: two nodes starting together, the second sees the first.
                try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.nodeLock))", logger: logger)
                // Other names are other nodes, welcome: deliveries are leased. The same name on another host would
                // renew, release and fence as this node: refused while that one lives.
                let since = node.lastSeen - liveWithin
                let namesakes = try await connection.query("""
                    SELECT name, host, pid, last_seen FROM node WHERE name = \(node.name) AND host <> \(node.host) AND last_seen > \(since)
                    """, logger: logger)
                for try await (name, host, pid, lastSeen) in namesakes.decode((String, String, Int64, Int64).self) {
                    let ago = max(0, node.lastSeen - lastSeen) / 1000
                    throw StoreError(.busy, "another tocsind node named '\(name)' (pid \(pid) on \(host)) ran on this database \(ago) s ago: each node needs its own cluster.node (docs/configuration.md, cluster). Rename this one, or stop that one; a node that died is forgotten once it has been silent for \(liveWithin / 1000) s (3 leases)")
                }
                try await connection.query("""
                    INSERT INTO node (name, host, pid, fingerprint, started_at, last_seen)
                    VALUES (\(node.name), \(node.host), \(node.pid), \(node.fingerprint), \(node.startedAt), \(node.lastSeen))
                    ON CONFLICT (name) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, fingerprint = EXCLUDED.fingerprint,
                    started_at = EXCLUDED.started_at, last_seen = EXCLUDED.last_seen
                    """, logger: logger)
            }
        } catch {
            throw StoreError.wrap(postgres: error, doing: "start this node")
        }
    }

    public func nodeHeartbeat(name: String, at: Int64) async throws(StoreError) {
        _ = try await rows("record this node's heartbeat", "UPDATE node SET last_seen = \(at) WHERE name = \(name) RETURNING name") { _ in () }
    }

    public func nodeReloaded(name: String, fingerprint: String) async throws(StoreError) {
        _ = try await rows("record this node's new configuration", "UPDATE node SET fingerprint = \(fingerprint) WHERE name = \(name) RETURNING name") { _ in () }
    }

    public func stopNode(name: String) async throws(StoreError) {
        _ = try await rows("record this node's stop", "DELETE FROM node WHERE name = \(name) RETURNING name") { _ in () }
    }

    public func nodes() async throws(StoreError) -> [ClusterNode] {
        try await rows("read the nodes", "SELECT name, host, pid, fingerprint, started_at, last_seen FROM node ORDER BY name") { row in
            let (name, host, pid, fingerprint, startedAt, lastSeen) = try row.decode((String, String, Int64, String, Int64, Int64).self)
            return ClusterNode(name: name, host: host, pid: pid, fingerprint: fingerprint, startedAt: startedAt, lastSeen: lastSeen)
        }
    }

    public func publishBusyChannels(_ channels: [String], node: String, freshWithin: Int64) async throws(StoreError) -> [String: Set<String>] {
        // The write and the read in one statement (one round trip per poll); the CTE's update is not visible to the
        // SELECT, which leaves this node's own row out anyway.
        let busy = try await rows("share the channels' limits with the other nodes", """
            WITH clock AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT AS now),
            mine AS (UPDATE node SET busy_channels = \(channels), busy_at = (SELECT now FROM clock) WHERE name = \(node))
            SELECT name, busy_channels FROM node, clock
            WHERE name <> \(node) AND busy_at > clock.now - \(freshWithin) AND cardinality(busy_channels) > 0
            """) { row in try row.decode((String, [String]).self) }
        return Dictionary(busy.map { ($0.0, Set($0.1)) }, uniquingKeysWith: { $0.union($1) })
    }
}
