import Foundation
import Testing
import TocsinTestSupport

/// Keeps `make bench` working: the benchmark driver once in tiny mode against the debug binaries.
/// It checks only that every measurement runs and the table is printed; it never judges a time.
@Suite(.serialized, .integration, .timeLimit(.minutes(5)))
struct BenchSmokeTests {
    @Test(.enabled(
        if: required(FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx")),
        "needs nginx as the benchmark's receiver: apt-get install -y nginx-light (scripts/install-deps.sh does)"
    ))
    func tinyBenchRunsEveryMeasurementAndPrintsTheTable() async throws {
        let script = PackagePaths.root.appendingPathComponent("scripts/bench/bench.py").path
        let result = try await runCommand("/usr/bin/python3", [script, "--tiny", "--bin-dir", PackagePaths.binaries.path])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("| Measurement | Median | Min – max | Runs | Target | Met |"), "\(result)")
        for row in [
            "Time to notify, 2 channels (Tocsin)", "curl --parallel floor", "Tocsin / floor",
            "Fan-out, 50 recipients", "Attempts recorded in SQLite (all runs) | 50 of 50", "tocsind RSS idle",
            "tocsind peak RSS", "`audit verify`, 1,000 entries", "Start of tocsind to READY=1",
        ] {
            #expect(result.stdout.contains(row), "the table has '\(row)'")
        }
    }
}
