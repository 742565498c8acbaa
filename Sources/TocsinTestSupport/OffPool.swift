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

/// Held around `Process.run`, so children are launched one at a time (see `ProcessExit.run`).
private let launching = NSLock()

/// The exit of a child process, awaited without holding a thread: `Process.terminationHandler` resumes the waiters.
public final class ProcessExit: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []
    private var callbacks: [@Sendable () -> Void] = []
    private var processID: Int32 = 0

    /// Starts `process` with its termination handler set first, so an exit cannot be missed.
    public static func run(_ process: Process) throws -> ProcessExit {
        let exit = ProcessExit()
        process.terminationHandler = { ended in exit.finish(ended.terminationStatus) }
        // One launch at a time: concurrent `Process.run` calls crashed the suite once in Foundation's own copying
        // (memmove inside Process.run, clean-clone CI, 2026-12-06). A launch takes microseconds; the lock costs none.
        launching.lock()
        defer { launching.unlock() }
        try process.run()
        exit.lock.lock()
        exit.processID = process.processIdentifier
        exit.lock.unlock()
        return exit
    }

    private init() {}

    public var pid: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return processID
    }

    /// The exit status (or the signal's number, as Foundation reports it), once the process has ended.
    public var exitStatus: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return status
    }

    public var hasExited: Bool { exitStatus != nil }

    /// Waits for the end; a cancelled task kills the process (SIGKILL) rather than wait on it forever.
    @discardableResult
    public func wait() async -> Int32 {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                lock.lock()
                if let status {
                    lock.unlock()
                    continuation.resume(returning: status)
                } else {
                    waiters.append(continuation)
                    lock.unlock()
                }
            }
        } onCancel: {
            if !hasExited, pid > 0 { kill(pid, SIGKILL) }
        }
    }

    /// Calls `body` (on Foundation's thread, or at once) when the process has ended: clean-up from a `defer`.
    public func whenExited(_ body: @escaping @Sendable () -> Void) {
        lock.lock()
        guard status != nil else {
            callbacks.append(body)
            return lock.unlock()
        }
        lock.unlock()
        body()
    }

    fileprivate func finish(_ status: Int32) {
        lock.lock()
        self.status = status
        let waiters = waiters, callbacks = callbacks
        self.waiters = []
        self.callbacks = []
        lock.unlock()
        for waiter in waiters { waiter.resume(returning: status) }
        for callback in callbacks { callback() }
    }
}
