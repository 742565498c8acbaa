import CCurl
import Synchronization

/// The only state shared between callers of ``CurlTransport``'s `send` methods and the transfer thread.
///
/// Each waiting continuation lives in `waiters` until someone removes it under the lock; only the
/// remover resumes it, which is what guarantees that no continuation is resumed twice, whichever of
/// completion, cancellation and shutdown comes first.
final class CurlSubmissionQueue: Sendable {
    // Unsafe rather than Checked: each is resumed exactly once by construction (see above), and the checked kind
    // allocated one more object per request.
    typealias Continuation = UnsafeContinuation<Result<CurlReply, TransportError>, Never>

    enum Command: Sendable {
        case start(id: UInt64, job: CurlJob)
        case cancel(id: UInt64)
    }

    /// The multi handle as seen from other threads: only `curl_multi_wakeup` may be called through it,
    /// and only under the lock while the queue is open (after closing, the thread frees the handle).
    struct MultiHandle: @unchecked Sendable {
        let raw: UnsafeMutableRawPointer
    }

    private struct Waiter {
        let continuation: Continuation
        let submittedAt: ContinuousClock.Instant
    }

    private struct State {
        var multi: MultiHandle?
        /// Set once, by shutdown or a failed start; every later send fails with it.
        var closedReason: TransportError?
        var commands: [Command] = []
        var waiters: [UInt64: Waiter] = [:]
        /// A wakeup was sent and the thread has not drained since, so another is not needed.
        var wakeupPending = false
        var nextID: UInt64 = 0

        mutating func wakeThread() {
            guard !wakeupPending, let multi else { return }
            wakeupPending = true
            _ = curl_multi_wakeup(multi.raw)
        }
    }

    private let state = Mutex(State())

    // MARK: Callers' side

    func makeID() -> UInt64 {
        state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
    }

    /// Registers the waiter and queues the transfer, or fails at once if the queue is closed.
    func submit(id: UInt64, job: CurlJob, continuation: Continuation) {
        let now = ContinuousClock.now
        let refusal: TransportError? = state.withLock { state in
            if let reason = state.closedReason { return reason }
            state.waiters[id] = Waiter(continuation: continuation, submittedAt: now)
            state.commands.append(.start(id: id, job: job))
            state.wakeThread()
            return nil
        }
        if let refusal { continuation.resume(returning: .failure(refusal)) }
    }

    /// Whether shutdown (or a failed start) closed the queue: every send is refused, no thread need start for one.
    var isClosed: Bool {
        state.withLock { $0.closedReason != nil }
    }

    /// Completes `id` with `.cancelled` now and asks the thread to drop its transfer.
    func cancel(id: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            guard let waiter = state.waiters.removeValue(forKey: id) else { return nil }
            if state.closedReason == nil {
                state.commands.append(.cancel(id: id))
                state.wakeThread()
            }
            return waiter
        }
        guard let waiter else { return }
        let latency = ContinuousClock.now - waiter.submittedAt
        waiter.continuation.resume(returning: .failure(Self.cancelled("request cancelled", latency: latency)))
    }

    /// Closes the queue: pending sends complete with `reason` and the thread is told to stop.
    func close(reason: TransportError) {
        let waiters: [Waiter] = state.withLock { state in
            guard state.closedReason == nil else { return [] }
            state.closedReason = reason
            state.commands.removeAll()
            let waiters = Array(state.waiters.values)
            state.waiters.removeAll()
            // Bypasses `wakeupPending`: a pending wakeup would do too, but this is once per process life.
            if let multi = state.multi { _ = curl_multi_wakeup(multi.raw) }
            return waiters
        }
        let now = ContinuousClock.now
        for waiter in waiters {
            var error = reason
            error.latency = now - waiter.submittedAt
            waiter.continuation.resume(returning: .failure(error))
        }
    }

    // MARK: Transfer thread's side

    /// Makes the thread wakeable; `false` if the queue was closed before the thread got going.
    func publish(multi: MultiHandle) -> Bool {
        state.withLock { state in
            guard state.closedReason == nil else { return false }
            state.multi = multi
            return true
        }
    }

    /// Takes everything queued since the last call, and whether the thread must stop.
    func drain() -> (commands: [Command], stop: Bool) {
        state.withLock { state in
            state.wakeupPending = false
            var commands: [Command] = []
            swap(&commands, &state.commands)
            return (commands, state.closedReason != nil)
        }
    }

    /// Resumes the waiters of finished transfers; results for already-cancelled ones are dropped.
    func complete(_ results: [(id: UInt64, result: Result<CurlReply, TransportError>)]) {
        let ready: [(Continuation, Result<CurlReply, TransportError>)] = state.withLock { state in
            results.compactMap { item in
                state.waiters.removeValue(forKey: item.id).map { ($0.continuation, item.result) }
            }
        }
        for (continuation, result) in ready {
            continuation.resume(returning: result)
        }
    }

    static func cancelled(_ message: String, latency: Duration = .zero) -> TransportError {
        TransportError(kind: .cancelled, message: message, latency: latency)
    }
}
