import Foundation
import TocsinClient
import TocsinProtocol

/// A real `tocsind` process on a config in a temp folder, with helpers to drive it through the real CLI.
public final class DaemonProcess: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let configPath: String
    public var socketPath: String { directory.file("state/admin.sock") }
    public var databasePath: String { directory.file("state/tocsin.db") }
    public var logPath: String { directory.file("tocsind.log") }
    private var process: Process?

    public init(directory: TemporaryDirectory, configPath: String) {
        self.directory = directory
        self.configPath = configPath
    }

    /// Starts the daemon and waits until its admin socket answers.
    /// - Parameter environment: extra variables (e.g. `NOTIFY_SOCKET`, `WATCHDOG_USEC`).
    public func start(timeout: Duration = .seconds(30), environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PackagePaths.tocsind)
        process.arguments = ["--config", configPath, "--log-level", "debug"]
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let logFile = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        logFile.seekToEndOfFile()
        process.standardOutput = logFile
        process.standardError = logFile
        try process.run()
        self.process = process
        let ready = try waitUntil(timeout: timeout) {
            guard process.isRunning else { return true }
            guard let client = try? AdminClient(socketPath: socketPath) else { return false }
            return (try? client.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self)) != nil
        }
        guard ready, process.isRunning else {
            throw TestSupportError("tocsind did not start:\n\(log())")
        }
    }

    public var pid: Int32? { process?.processIdentifier }

    /// The exit status once the process has ended.
    public var exitStatus: Int32? { process.flatMap { $0.isRunning ? nil : $0.terminationStatus } }
    public var isRunning: Bool { process?.isRunning ?? false }

    /// Sends `signal` and waits for the process to end.
    public func kill(_ signal: Int32 = SIGKILL) {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    public func stop() {
        kill(SIGTERM)
    }

    public func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Runs `tocsinctl` against this daemon.
    public func ctl(_ arguments: String..., input: String? = nil) throws -> CommandResult {
        try runCommand(PackagePaths.tocsinctl, arguments, input: input, environment: ["TOCSIN_SOCKET": socketPath])
    }

    public func ctl(arguments: [String], input: String? = nil, as user: String? = nil) throws -> CommandResult {
        guard let user else {
            return try runCommand(PackagePaths.tocsinctl, arguments, input: input, environment: ["TOCSIN_SOCKET": socketPath])
        }
        return try runCommand(
            "/usr/bin/setpriv", ["--reuid=\(user)", "--regid=nogroup", "--clear-groups", PackagePaths.tocsinctl] + arguments,
            input: input, environment: ["TOCSIN_SOCKET": socketPath]
        )
    }

    /// A client on the admin socket, for calls and raw lines.
    public func client() throws -> AdminClient { try AdminClient(socketPath: socketPath) }

    /// Waits until every delivery of `incident` is final and returns its status.
    public func waitForFinish(_ incident: String, timeout: Duration = .seconds(60)) throws -> IncidentStatus {
        var last: IncidentStatus?
        _ = try waitUntil(timeout: timeout) {
            last = try? client().call(.incidentStatus, IncidentParams(incident: incident), as: IncidentStatus.self)
            return last?.isFinished ?? false
        }
        guard let last else { throw TestSupportError("no status for incident \(incident)") }
        return last
    }
}
