import DequeModule
import Synchronization

/// A first-come first-served lock for async code: waiters are suspended, never blocking a thread of the pool.
/// `Mutex` cannot be held across an `await`; the sections that need this are the PostgreSQL store's commits (one
/// transaction at a time carries every batch queued meanwhile: group commit) and the audit checkpoints.
public final class AsyncLock: Sendable {
    private struct State {
        var locked = false
        // A deque: under a fan-out, hundreds of commits may wait, and each unlock takes the first.
        var waiters: Deque<CheckedContinuation<Void, Never>> = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Runs `body` holding the lock, and frees it however `body` ends.
    public func run<T, E: Error>(_ body: () async throws(E) -> T) async throws(E) -> T {
        await lock()
        defer { unlock() }
        return try await body()
    }

    /// Waits for the lock, in arrival order.
    public func lock() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state in
                if state.locked {
                    state.waiters.append(continuation)
                    return false
                }
                state.locked = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    /// Hands the lock to the first waiter, if any (it stays locked), else frees it.
    public func unlock() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.locked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
