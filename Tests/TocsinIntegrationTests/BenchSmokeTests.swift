import Foundation
import Testing
import TocsinTestSupport

/// Keeps `make bench` working: the benchmark driver once in tiny mode against the debug binaries.
/// It checks only that every measurement runs and the table is printed; it never judges a time.
@Suite(.serialized, .integration, .timeLimit(.minutes(5)))
struct BenchSmokeTests {
    @Test(.enabled(
        if: required(FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") && PostgresServer.available),
        "needs nginx as the benchmark's receiver and Debian's postgresql: apt-get install -y nginx-light postgresql (scripts/install-deps.sh does)"
    ))
    func tinyBenchRunsEveryMeasurementAndPrintsTheTable() async throws {
        let script = PackagePaths.root.appendingPathComponent("scripts/bench/bench.py").path
        let result = try await runCommand("/usr/bin/python3", [script, "--tiny", "--bin-dir", PackagePaths.binaries.path])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("| Measurement | Median | Min – max | Runs | Target | Met |"), "\(result)")
        for row in [
            "Time to notify, 2 channels (Tocsin)", "Time to notify, 2 channels, the first send after start (Tocsin)",
            "curl --parallel floor", "Tocsin / floor",
            "Fan-out, 50 recipients", "Attempts recorded in SQLite (all runs) | 50 of 50", "tocsind RSS idle (1 channel), after start",
            "tocsind RSS idle (1 channel), after one send",
            "tocsind peak RSS", "`audit verify`, 1,000 entries", "Start of tocsind to READY=1",
            "Time to notify, 2 channels (PostgreSQL, 1 node)", "PostgreSQL / SQLite, time to notify 2 channels",
            "Fan-out, 50 recipients, PostgreSQL 1 node, to last receipt", "Attempts recorded in PostgreSQL, 1 node (all runs) | 50 of 50",
            "Fan-out, 50 recipients, PostgreSQL 2 nodes", "Attempts recorded in PostgreSQL, 2 nodes (all runs)",
            "Take-over after kill -9, 50-recipient fan-out", "Take-over: kill to the other node's first receipt",
        ] {
            #expect(result.stdout.contains(row), "the table has '\(row)'")
        }
    }
}
