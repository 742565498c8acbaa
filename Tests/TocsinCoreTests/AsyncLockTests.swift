import Synchronization
import Testing
import TocsinCore

/// The lock the PostgreSQL store's commits and the audit checkpoints take in turn.
struct AsyncLockTests {
    /// A value read, then written after a suspension: without the lock, concurrent sections lose updates.
    private final class Counter: Sendable {
        private let value = Mutex(0)
        func read() -> Int { value.withLock { $0 } }
        func write(_ new: Int) { value.withLock { $0 = new } }
    }

    @Test func sectionsThatSuspendInsideStillRunOneAtATime() async {
        let lock = AsyncLock(), counter = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<500 {
                group.addTask {
                    await lock.run {
                        let seen = counter.read()
                        await Task.yield()
                        counter.write(seen + 1)
                    }
                }
            }
        }
        #expect(counter.read() == 500)
    }

    @Test func anErrorThrownInsideFreesTheLock() async throws {
        struct Refused: Error {}
        let lock = AsyncLock()
        await #expect(throws: Refused.self) {
            try await lock.run { () async throws(Refused) in throw Refused() }
        }
        // Taken again at once: a lock left held would suspend this for ever (the suite's time limit would say so).
        let value = await lock.run { 42 }
        #expect(value == 42)
    }

    @Test func unlockHandsTheLockToAWaiter() async {
        let lock = AsyncLock()
        await lock.lock()
        let waiter = Task { await lock.run { "ran" } }
        lock.unlock()
        #expect(await waiter.value == "ran")
        await lock.lock()
        lock.unlock()
    }
}
