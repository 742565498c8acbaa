import Foundation
import Logging
import Synchronization
import TocsinCore
import TocsinStore

/// Several nodes on one PostgreSQL database: the I/O of leases, which ``DeliveryScheduler`` decides on.
///
/// A delivery is sent by the node holding its lease. A node's own sends are born leased to it and sent under that
/// lease (``enqueue(_:bornAt:)``); what it finds at start or reopens is claimed (``claim(_:)``); every `poll` it
/// claims deliveries no node holds or whose lease lapsed (a node that died or stopped), reads them with the bytes
/// stored at send time and sends them with the same id; it renews what it holds a third into the lease and gives
/// everything up on a clean stop.
extension Dispatcher {
    /// Claims deliveries found unfinished at start or reopened by a resend; those another node got first are
    /// forgotten here.
    func claim(_ ids: [String]) async {
        guard let leasing else { return }
        let start = ContinuousClock.now
        do {
            let leases = try await store.claimDeliveries(
                ids, node: leasing.node, now: Date().millisecondsSince1970, leaseMillis: leasing.leaseMillis
            )
            let generations = Dictionary(leases.map { ($0.deliveryID, $0.generation) }, uniquingKeysWith: max)
            let others = ids.filter { generations[$0] == nil }
            await perform(handle { $0.claimed(leases.map(\.deliveryID), generations: generations, leaseUntil: start + leasing.lease) })
            if !others.isEmpty { await perform(handle { $0.notClaimed(others) }) }
        } catch {
            // Their birth lease lapses and the poll (here or on another node) takes them: late, never lost.
            logger.error("cannot claim new deliveries; they are taken over once their lease lapses", metadata: [
                "deliveries": "\(ids.count)", "store.error": "\(error)",
            ])
            await perform(handle { $0.notClaimed(ids) })
        }
    }

    /// Another node asked: renew now (a lease it took for a cancel is lost here before any retry starts under it), then look
    /// for deliveries it gave up.
    func wokenByAnotherNode() async {
        guard !stopping.load(ordering: .relaxed) else { return }
        await renewLeases()
        await takeOver()
    }

    /// Looks for unheld and lapsed deliveries at start, then every `interval` until the dispatcher stops; shares
    /// the channels' limits with the other busy nodes first each time.
    func pollForDeliveries(every interval: Duration) async {
        while !stopping.load(ordering: .relaxed) {
            await shareLimits()
            await takeOver()
            try? await Task.sleep(for: interval)
        }
    }

    /// Writes the channels this node has work on and reads those of the other nodes (one statement), and hands them
    /// to the scheduler, which shares each channel's `max_concurrency` and `rate_limit` among the nodes busy on it.
    /// A failed read keeps the last shares known (never none: an alert is never held back for a limit); it is tried
    /// again at the next poll.
    private func shareLimits() async {
        guard let leasing else { return }
        let busy = state.withLock { $0.machine.busyChannels }.sorted()
        do {
            let others = try await store.publishBusyChannels(busy, node: leasing.node, freshWithin: leasing.busyLifetime.milliseconds)
            await perform(handle { $0.nodesBusy(others, me: leasing.node) })
        } catch {
            logger.warning("cannot share the channels' limits with the other nodes; keeping the last shares known", metadata: [
                "store.error": "\(error)",
            ])
        }
    }

    /// One poll: claims what this node has room for, reads it and hands it to the scheduler.
    func takeOver() async {
        guard let leasing else { return }
        let room = Self.maximumHeld - state.withLock { $0.machine.jobs.count }
        guard room > 0 else { return }
        let start = ContinuousClock.now
        do {
            let leases = try await store.claimDeliveries(
                node: leasing.node, now: Date().millisecondsSince1970, leaseMillis: leasing.leaseMillis, limit: room
            )
            guard !leases.isEmpty else { return }
            let generations = Dictionary(leases.map { ($0.deliveryID, $0.generation) }, uniquingKeysWith: max)
            let known = state.withLock { state in Set(leases.map(\.deliveryID).filter { state.machine.jobs[$0] != nil }) }
            let jobs = try await storedJobs(leases.map(\.deliveryID).filter { !known.contains($0) })
            let until = start + leasing.lease
            logger.notice("deliveries taken over", metadata: [
                "deliveries": "\(leases.count)", "cluster.node": "\(leasing.node)", "delivery.id": "\(leases[0].deliveryID)",
            ])
            if !known.isEmpty { await perform(handle { $0.claimed(Array(known), generations: generations, leaseUntil: until) }) }
            if !jobs.isEmpty { await perform(handle { $0.adopted(jobs, generations: generations, leaseUntil: until) }) }
        } catch {
            logger.warning("cannot look for deliveries to take over", metadata: ["store.error": "\(error)"])
        }
    }

    /// The deliveries as stored, unfinished ones, with the bytes stored at send time.
    private func storedJobs(_ ids: [String]) async throws(StoreError) -> [DeliveryJob] {
        let records = try await store.unfinishedDeliveries(ids: ids)
        let payloads = try await store.payloads(for: Set(records.map { PayloadKey(incidentID: $0.incidentID, channel: $0.channel) }))
        let types = configuration.current.configuration.channels.mapValues(\.type)
        return records.compactMap { record -> DeliveryJob? in
            guard let payload = payloads[PayloadKey(incidentID: record.incidentID, channel: record.channel)] else { return nil }
            return DeliveryJob(record: record, payload: payload, type: types[record.channel])
        }
    }

    /// A cancel from any node (issue 17, item 5): the incident's unfinished deliveries this process does not hold —
    /// another node's, or leased to this node's name by a run before a restart — are cancelled in one commit with
    /// their audit entries, their generation raised. Their holder is woken (NOTIFY) and loses them at once, or at
    /// its next renewal; whatever it records after is fenced as late. On SQLite: nothing to do.
    /// - Returns: how many deliveries were cancelled this way.
    func cancelHeldElsewhere(incidentID: String, caller: Principal?) async throws(StoreError) -> Int {
        guard leasing != nil else { return 0 }
        let held = state.withLock { state in state.machine.jobs.values.filter { $0.incidentID == incidentID }.map(\.id) }
        let now = Date().millisecondsSince1970
        let cancel = CancelElsewhere(incident: incidentID, except: held, at: now) { delivery in
            var entry = StoreWrite()
            entry.auditFinal(
                delivery: delivery.id, incident: delivery.incidentID, channel: delivery.channel, recipient: delivery.recipient,
                state: .cancelled, attempts: delivery.attempts, misconfiguration: delivery.misconfiguration,
                error: delivery.lastError, actor: caller, at: now
            )
            return entry.audit[0]
        }
        try await store.commit(StoreWrite(cancelElsewhere: cancel))
        let cancelled = cancel.outcome.deliveries
        if !cancelled.isEmpty {
            for delivery in cancelled { DaemonMetrics.delivery(channel: delivery.channel, state: .cancelled) }
            logger.notice("deliveries held elsewhere cancelled", metadata: [
                "incident.id": "\(incidentID)", "deliveries": "\(cancelled.count)", "delivery.id": "\(cancelled[0].id)",
            ])
            // Its last deliveries became final here, not through this node's machine, which announces only the
            // incidents it held: the checkpoint and the heartbeat must still hear that it ended.
            if !state.withLock({ state in state.machine.jobs.values.contains { $0.incidentID == incidentID } }) {
                ends.announce(incidentID)
            }
        }
        return cancelled.count
    }

    /// Renews every lease this node holds; retries while the store fails, until the lease runs out (then the
    /// scheduler declares it lost and no attempt starts under it).
    func renewLeases() async {
        guard let leasing else { return }
        var delay = Duration.milliseconds(100)
        while !stopping.load(ordering: .relaxed) {
            let (held, current) = state.withLock { ($0.machine.heldLeases, $0.machine.leaseUntil) }
            let start = ContinuousClock.now
            guard let current, start < current else { return }
            let until = start + leasing.lease
            do {
                let asked = held.map { DeliveryLease(deliveryID: $0.id, node: leasing.node, generation: $0.generation, expiresAt: 0) }
                let renewed = asked.isEmpty
                    ? [] : try await store.renewLeases(asked, until: Date().millisecondsSince1970 + leasing.leaseMillis)
                let kept = Set(renewed.map { "\($0.deliveryID)\u{0}\($0.generation)" })
                let lost = held.filter { !kept.contains("\($0.id)\u{0}\($0.generation)") }.map(\.id)
                if !lost.isEmpty {
                    logger.warning("leases taken over by another node", metadata: ["deliveries": "\(lost.count)", "delivery.id": "\(lost[0])"])
                }
                await perform(handle { $0.leaseRenewed(until: until, lost: lost) })
                return
            } catch {
                logger.warning("cannot renew this node's leases; retrying until they lapse", metadata: [
                    "deliveries": "\(held.count)", "store.error": "\(error)",
                ])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, leasing.lease / 10)
            }
        }
    }

    /// On a clean stop: every lease still held, given up.
    func releaseHeldLeases() async {
        guard let leasing else { return }
        let held = state.withLock { $0.machine.heldLeases }
        guard !held.isEmpty else { return }
        do {
            try await store.releaseLeases(held.map {
                DeliveryLease(deliveryID: $0.id, node: leasing.node, generation: $0.generation, expiresAt: 0)
            })
            logger.notice("leases given up for other nodes", metadata: ["deliveries": "\(held.count)"])
        } catch {
            logger.warning("leases not given up; other nodes take over once they lapse", metadata: [
                "deliveries": "\(held.count)", "store.error": "\(error)",
            ])
        }
    }
}
