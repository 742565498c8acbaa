import Foundation

/// What a finished command printed and how it exited.
public struct CommandResult: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }

    /// The stdout lines parsed as JSON objects (for `--json` output).
    public var jsonLines: [[String: Any]] {
        stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }
}

/// Runs a program to completion, feeding `input` on standard input (closed afterwards).
public func runCommand(
    _ executable: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:]
) async throws -> CommandResult {
    try await runCommand(executable, arguments, bytes: input.map { Array($0.utf8) }, environment: environment)
}

/// Runs a program to completion with `bytes` on standard input (closed afterwards).
///
/// Nothing here holds a cooperative-pool thread: the pipes are written and read on threads of their own and the
/// exit is awaited through the termination handler. A cancelled task (a hang guard) kills the child.
public func runCommand(
    _ executable: String, _ arguments: [String], bytes: [UInt8]?, environment: [String: String] = [:]
) async throws -> CommandResult {
    let stdin = Pipe(), out = Pipe(), err = Pipe()
    let exit = try ChildProcess.spawn(
        executable, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
        standardInput: .pipe(stdin), standardOutput: .pipe(out), standardError: .pipe(err)
    )
    let (outData, errData) = try await withTaskCancellationHandler {
        // Each pipe is drained on a thread of its own while the input is written, so a child that answers before
        // reading all of its input never blocks on a full pipe.
        async let outData = offPool { try out.fileHandleForReading.readToEndRetrying() }
        async let errData = offPool { try err.fileHandleForReading.readToEndRetrying() }
        try await offPool {
            if let bytes { try stdin.fileHandleForWriting.write(contentsOf: Data(bytes)) }
            try stdin.fileHandleForWriting.close()
        }
        return try await (outData, errData)
    } onCancel: {
        exit.signal(SIGKILL)
    }
    let status = await exit.wait()
    return CommandResult(
        status: status,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self)
    )
}

/// The environment that gives `tocsinctl` English screens whatever the machine's locale (French is its default
/// when the locale names no language, as Debian's C.UTF-8): tests that read its human text in English run it with
/// this. Only the messages' category is set, so other programs keep the machine's character set. A test of French
/// screens passes `--lang fr`, or sets `LC_MESSAGES` itself.
public let englishScreens: [String: String] = ["LC_ALL": "", "LC_MESSAGES": "en_US.UTF-8"]

/// Polls `condition` until it holds or `timeout` passes; for waiting on other processes, never for timing them.
/// Sleeps with `Task.sleep`, so a waiting test leaves its thread to others (and a cancelled one stops).
public func waitUntil(
    timeout: Duration = .seconds(30), interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try await condition()
}
