import Foundation
import Logging
import Synchronization
import TocsinAudit
import TocsinCore
import TocsinStore

/// Counts what the admin socket refuses to callers in no role (every request they make) and connections refused
/// for load, and turns the counts into one `admin.refused` audit entry per uid per minute (DESIGN.md "Audit log").
///
/// A caller who may do nothing cannot grow the audit log, or keep the store busy, by one entry per request: 10,000
/// refused requests in a minute are one entry with `"count": 10000`. Callers with a role are still audited request
/// by request (they are accountable for what they try). Counts not yet written are lost if the daemon is killed;
/// a graceful stop writes them.
final class RefusalAggregator: Sendable {
    private struct Tally {
        var user: String?
        var count = 0
        var firstMillis: Int64
        var lastMillis: Int64
        var lastPID: Int32
        var reasons: [String: Int] = [:]
    }

    /// Distinct reasons kept per uid and window (method × outcome, never the caller's own words); the rest are
    /// counted under "other".
    static let maximumReasons = 32
    /// Uids tracked in one window; refusals of further uids are counted together under uid 4294967295 (-1).
    static let maximumCallers = 4096

    private let pending = Mutex<[UInt32: Tally]>([:])

    /// Counts one refusal. `reason` must come from a fixed set (a method name from `AdminMethod`, an outcome).
    func record(uid: UInt32, user: String?, pid: Int32, reason: String) {
        let now = Date().millisecondsSince1970
        pending.withLock { pending in
            let key = pending[uid] != nil || pending.count < Self.maximumCallers ? uid : UInt32.max
            var tally = pending[key] ?? Tally(user: key == uid ? user : nil, firstMillis: now, lastMillis: now, lastPID: pid)
            tally.count += 1
            tally.lastMillis = now
            tally.lastPID = pid
            let kept = tally.reasons[reason] != nil || tally.reasons.count < Self.maximumReasons ? reason : "other"
            tally.reasons[kept, default: 0] += 1
            pending[key] = tally
        }
    }

    func record(_ caller: Principal, reason: String) {
        record(uid: caller.uid, user: caller.userName, pid: caller.pid, reason: reason)
    }

    /// The counts so far as audit entries (one per uid, dated now), emptied; and the number of refusals they hold.
    func drain() -> (events: [AuditEvent], refusals: Int) {
        let tallies = pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        let now = Date().millisecondsSince1970
        let events = tallies.sorted { $0.key < $1.key }.map { uid, tally in
            var reasons = AuditDetail()
            for (reason, count) in tally.reasons.sorted(by: { $0.key < $1.key }) { reasons.set(reason, count) }
            var detail = AuditDetail()
            detail.set("user", tally.user)
            detail.set("count", tally.count)
            detail.set("first_millis", Int(tally.firstMillis))
            detail.set("last_millis", Int(tally.lastMillis))
            detail.setJSON("reasons", reasons.json)
            return AuditEvent(
                timeMillis: now, kind: "admin.refused", actorUID: Int64(uid), actorPID: Int64(tally.lastPID),
                subject: "admin", detail: detail.json
            )
        }
        return (events, tallies.values.reduce(0) { $0 + $1.count })
    }

    /// Writes the entries of the minute that just ended, every minute on the minute, until cancelled.
    func run(store: any Store, logger: Logger) async {
        while !Task.isCancelled {
            let millis = Date().millisecondsSince1970
            let untilNextMinute = 60_000 - millis % 60_000
            do {
                try await Task.sleep(for: .milliseconds(untilNextMinute))
            } catch {
                return
            }
            await flush(to: store, logger: logger)
        }
    }

    /// Writes what is counted now (also at shutdown).
    func flush(to store: any Store, logger: Logger) async {
        let (events, refusals) = drain()
        guard !events.isEmpty else { return }
        logger.warning("admin requests or connections refused to callers in no role or for load", metadata: [
            "callers": "\(events.count)", "refusals": "\(refusals)",
        ])
        do {
            try await store.commit(StoreWrite(audit: events))
        } catch {
            logger.error("cannot record refused admin requests in the audit log", metadata: ["store.error": "\(error)"])
        }
    }
}
