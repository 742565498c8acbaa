import Synchronization
import TocsinStore

/// Whether the audit chain agrees with what was recorded of it outside the database.
///
/// Set when the chain contradicts its heads record (cut, rewritten, a checkpoint missing) or when the store saw its
/// head moved by someone else; cleared only by an approver's audited `audit accept`. While set, the daemon signs
/// nothing more (the store refuses a checkpoint over a moved head by itself), health is CRITICAL and status names
/// the problem, but every send goes on: alerting must not stop over an audit problem.
final class AuditIntegrity: Sendable {
    private let recorded = Mutex<String?>(nil)
    private let store: any Store

    init(store: any Store) { self.store = store }

    /// The standing problem, if any: one recorded, or a move of the head not yet accepted.
    var problem: String? { recorded.withLock { $0 } ?? store.auditHeadMoves.unaccepted }

    /// Records `problem`; returns false when one was already recorded (the first is the one to act on).
    @discardableResult
    func raise(_ problem: String) -> Bool {
        recorded.withLock { recorded in
            guard recorded == nil else { return false }
            recorded = problem
            return true
        }
    }

    /// An approver accepted the problem: signing resumes from the chain as it is now.
    func accept() {
        store.acceptAuditHeadMoves()
        recorded.withLock { $0 = nil }
    }
}
