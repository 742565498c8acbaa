import Foundation
import Testing

/// At most a few integration suites at a time, each running its tests one after another (`.serialized`).
///
/// The tests no longer block the cooperative pool, so nothing limits them any more: started all at once, 125 tests
/// would run 125 daemons on two cores, and every test would take as long as the whole run (past its hang guard).
/// The slot is taken around the whole suite, before any test's time limit starts, so waiting for one is never counted
/// against a test. `TOCSIN_TEST_SUITES` sets the number (default 4: the tests mostly wait on their daemons).
struct IntegrationSlot: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await IntegrationSlots.shared.acquire()
        defer { IntegrationSlots.shared.release() }
        try await function()
    }
}

extension Trait where Self == IntegrationSlot {
    /// One of the few integration suites running at a time (see ``IntegrationSlot``).
    static var integration: Self { IntegrationSlot() }
}

/// A counting semaphore whose waiters are suspended tasks, not blocked threads.
final class IntegrationSlots: @unchecked Sendable {
    static let shared = IntegrationSlots(
        count: ProcessInfo.processInfo.environment["TOCSIN_TEST_SUITES"].flatMap { Int($0) }.map { max(1, $0) } ?? 4
    )

    private let lock = NSLock()
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = count }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if free > 0 {
                free -= 1
                lock.unlock()
                continuation.resume()
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }

    func release() {
        lock.lock()
        if waiters.isEmpty {
            free += 1
            lock.unlock()
        } else {
            let next = waiters.removeFirst()
            lock.unlock()
            next.resume()
        }
    }
}
