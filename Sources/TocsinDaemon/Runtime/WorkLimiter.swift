import DequeModule
import Synchronization

/// At most `running` pieces of work at once, `waiting` more queued, the rest refused at once: for CPU work that
/// anyone who can reach a web page can ask for (bcrypt at sign-in), so that a flood of requests waits in a short
/// queue or is told "busy", and never holds the threads that deliveries and file drops need.
final class WorkLimiter: Sendable {
    private struct State {
        var running = 0
        var waiters: Deque<CheckedContinuation<Void, Never>> = []
    }

    let running: Int
    let waiting: Int
    private let state = Mutex(State())

    init(running: Int, waiting: Int) {
        precondition(running > 0 && waiting >= 0)
        self.running = running
        self.waiting = waiting
    }

    /// Takes a slot, waiting in the queue; false, at once, when the queue is full. Each true is followed by one
    /// ``leave()``.
    func enter() async -> Bool {
        enum Entry { case now, queued, refused }
        var entry = Entry.refused
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            entry = state.withLock { state in
                if state.running < running {
                    state.running += 1
                    return .now
                }
                guard state.waiters.count < waiting else { return .refused }
                state.waiters.append(continuation)
                return .queued
            }
            if entry != .queued { continuation.resume() }
        }
        return entry != .refused
    }

    /// How many wait for a slot now.
    var queued: Int { state.withLock { $0.waiters.count } }

    /// Hands the slot to the first waiter (it stays taken), else frees it.
    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.running -= 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
