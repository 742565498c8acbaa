#if canImport(Glibc)
import Glibc
#endif

/// The kernel's random numbers (the source `SystemRandomNumberGenerator` reads), fetched 64 draws at a time.
///
/// `SystemRandomNumberGenerator` makes one `getrandom` call per 64-bit draw, and the kernel sets up its ChaCha
/// state at each: a 100-channel send drew ~300 for its delivery ids, ~12 % of planning it (perf, BENCHMARKS.md
/// "a send's critical path"). A value for one job's draws (a send's ids), never shared; what it holds back is
/// discarded with it.
public struct BatchedSystemRandom: RandomNumberGenerator {
    private var batch = [UInt64](repeating: 0, count: 64)
    private var used = 64

    public init() {}

    public mutating func next() -> UInt64 {
        if used == batch.count {
            // glibc's arc4random_buf fills the whole buffer from `getrandom` in one call (glibc 2.36, Debian 12).
            batch.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
            used = 0
        }
        defer { used += 1 }
        return batch[used]
    }
}
