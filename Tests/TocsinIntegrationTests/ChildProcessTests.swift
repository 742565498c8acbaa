import Foundation
import Testing
import TocsinTestSupport

/// The tests' own launcher (`ChildProcess`, in place of Foundation's `Process`, whose `run` read past a buffer and
/// crashed the suite): every child starts as a shell would start it, whatever the test process holds at that moment.
@Suite(.timeLimit(.minutes(3)))
struct ChildProcessTests {
    /// A pipe held open here must not stay open in a child: a test reading it to the end would wait for that child.
    @Test func aChildHoldsNoDescriptorButItsThree() async throws {
        let held = Pipe()
        let script = """
            import os
            def is_open(fd):
                try:
                    os.fstat(fd)
                    return True
                except OSError:
                    return False
            print(sorted(fd for fd in range(3, 4096) if is_open(fd)))
            """
        let result = try await runCommand("/usr/bin/env", ["python3", "-c", script])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "[]\n", "descriptors open in the child (this process holds \(held.fileHandleForWriting.fileDescriptor)): \(result)")
        try held.fileHandleForWriting.close()
        try held.fileHandleForReading.close()
    }

    /// The cooperative pool's threads block signals (libdispatch's workers do), and this process may ignore some: a
    /// child inheriting either would never hear the SIGTERM that a test sends to stop it. Signals 1 to 31 only: glibc's
    /// `posix_spawn` leaves its own two (32 and 33, for thread cancellation and set*id) ignored in every child.
    @Test func aChildStartsWithNoSignalBlockedOrIgnored() async throws {
        let result = try await runCommand("/bin/grep", ["-E", "^(SigBlk|SigIgn):", "/proc/self/status"])
        #expect(result.status == 0, "\(result)")
        let masks = Dictionary(uniqueKeysWithValues: result.stdout.split(separator: "\n").map { line in
            let field = line.split(separator: ":\t")
            return (String(field[0]), UInt64(field[1], radix: 16) ?? .max)
        })
        let standardSignals: UInt64 = (1 << 31) - 1
        #expect(masks["SigBlk"].map { $0 & standardSignals } == 0, "\(result.stdout)")
        #expect(masks["SigIgn"].map { $0 & standardSignals } == 0, "\(result.stdout)")
    }

    @Test func anExitStatusOrTheEndingSignalIsReported() async throws {
        #expect(try await runCommand("/bin/sh", ["-c", "exit 3"]).status == 3)
        #expect(try await runCommand("/bin/sh", ["-c", "kill -TERM $$"]).status == SIGTERM)
        let sleeper = try ChildProcess.spawn("/bin/sleep", ["600"], standardInput: .null, standardOutput: .null, standardError: .null)
        sleeper.signal(SIGKILL)
        #expect(await sleeper.wait() == SIGKILL)
    }

    /// `make test` runs through scripts/run-tests.sh: whatever a run leaves running (a crashed test process leaves its
    /// daemons, in process groups of their own) is ended after it and named, and the run's exit status is kept.
    @Test func whatATestRunLeavesRunningIsEndedAfterIt() async throws {
        let script = PackagePaths.root.appendingPathComponent("scripts/run-tests.sh").path
        let result = try await runCommand(script, ["/bin/sh", "-c", "setsid sleep 600 & echo $!; exit 3"])
        #expect(result.status == 3, "\(result)")
        let pid = try #require(Int32(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(result)")
        #expect(result.stderr.contains("run-tests: ended pid \(pid), left running by the tests: sleep 600"), "\(result)")
        // Gone, or a zombie until its new parent reaps it: no longer running either way.
        #expect(try await waitUntil {
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
            return state == nil || state == "Z"
        })
    }

    @Test func aProgramThatCannotStartSaysWhich() async throws {
        let error = #expect(throws: TestSupportError.self) {
            try ChildProcess.spawn("/nonexistent/tool", [])
        }
        #expect(error?.description == "cannot start /nonexistent/tool: No such file or directory")
    }
}
