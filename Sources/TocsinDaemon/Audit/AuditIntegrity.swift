import Synchronization
import TocsinStore

/// Whether the audit chain agrees with what was recorded of it outside the database.
///
/// Set when the chain contradicts its heads record (cut, rewritten, a checkpoint missing) or when the store saw its
/// head moved by someone else; cleared only by an approver's audited `audit accept`. While set, the daemon signs
/// nothing more, health is CRITICAL and status names the problem, but every send goes on: alerting must not stop
/// over an audit problem.
final class AuditIntegrity: Sendable {
    private struct State {
        var problem: String?
        /// Moves of the head the store had seen when the last problem was accepted.
        var acceptedMoves = 0
    }

    private let state = Mutex(State())
    private let store: any Store

    init(store: any Store) { self.store = store }

    /// The standing problem, if any: one recorded, or a move of the head seen since the last accept.
    var problem: String? {
        let moves = store.auditHeadMoves
        return state.withLock { state in
            state.problem ?? (moves.count > state.acceptedMoves ? moves.last : nil)
        }
    }

    /// Records `problem`; returns false when one already stands (the first is the one to act on).
    @discardableResult
    func raise(_ problem: String) -> Bool {
        state.withLock { state in
            guard state.problem == nil else { return false }
            state.problem = problem
            return true
        }
    }

    /// An approver accepted the problem: signing resumes from the chain as it is now.
    func accept() {
        let moves = store.auditHeadMoves.count
        state.withLock { $0 = State(problem: nil, acceptedMoves: moves) }
    }
}
