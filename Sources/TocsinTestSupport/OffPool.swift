import Foundation

/// Runs blocking work (a socket read, a blocking client call) on a thread of its own, so it never holds one of the
/// cooperative pool's few threads while other tests wait for them.
///
/// When the awaiting task is cancelled (a hang guard fired), this returns `CancellationError` at once and leaves the
/// thread to finish on its own: a stuck read must not keep the test from ending.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    let once = ResumeOnce<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            once.set(continuation)
            Thread { once.resume(with: Result { try work() }) }.start()
        }
    } onCancel: {
        once.resume(with: .failure(CancellationError()))
    }
}

/// A continuation resumed by whichever comes first: the work's result or the task's cancellation.
private final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var early: Result<T, any Error>?
    private var done = false

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        lock.lock()
        if let early {
            done = true
            lock.unlock()
            continuation.resume(with: early)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func resume(with result: Result<T, any Error>) {
        lock.lock()
        guard !done else { return lock.unlock() }
        guard let continuation else {
            // Cancelled before the continuation was handed over: `set` resumes it with this.
            if early == nil { early = result }
            return lock.unlock()
        }
        done = true
        self.continuation = nil
        lock.unlock()
        continuation.resume(with: result)
    }
}
