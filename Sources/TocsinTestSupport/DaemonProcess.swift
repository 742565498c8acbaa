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
    private var exit: ProcessExit?

    public init(directory: TemporaryDirectory, configPath: String) {
        self.directory = directory
        self.configPath = configPath
    }

    /// Starts the daemon and waits until its admin socket answers.
    /// - Parameter environment: extra variables (e.g. `NOTIFY_SOCKET`, `WATCHDOG_USEC`).
    public func start(timeout: Duration = .seconds(30), environment: [String: String] = [:]) async throws {
        let exit = try ChildProcess.spawn(
            PackagePaths.tocsind, ["--config", configPath, "--log-level", "debug"],
            environment: environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 },
            logTo: logPath, appending: true
        )
        self.exit = exit
        let socketPath = socketPath
        let ready = try await waitUntil(timeout: timeout) {
            guard !exit.hasExited else { return true }
            return try await offPool {
                guard let client = try? AdminClient(socketPath: socketPath) else { return false }
                return (try? client.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self)) != nil
            }
        }
        guard ready, !exit.hasExited else {
            throw TestSupportError("tocsind did not start:\n\(log())")
        }
    }

    public var pid: Int32? { exit?.pid }

    /// The exit status once the process has ended.
    public var exitStatus: Int32? { exit?.exitStatus }
    public var isRunning: Bool { exit.map { !$0.hasExited } ?? false }

    /// Sends `signal` and waits for the process to end.
    public func kill(_ signal: Int32 = SIGKILL) async {
        guard let exit else { return }
        exit.signal(signal)
        await exit.wait()
    }

    public func stop() async {
        await kill(SIGTERM)
    }

    /// Sends `signal` without waiting for the end: for a `defer`, which cannot await.
    public func signal(_ signal: Int32 = SIGKILL) {
        exit?.signal(signal)
    }

    /// Calls `body` once the process has ended (at once if it is not running): clean-up from a `defer`.
    public func whenExited(_ body: @escaping @Sendable () -> Void) {
        guard let exit else { return body() }
        exit.whenExited(body)
    }

    public func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Runs `tocsinctl` against this daemon.
    public func ctl(_ arguments: String..., input: String? = nil) async throws -> CommandResult {
        try await runCommand(PackagePaths.tocsinctl, arguments, input: input, environment: ctlEnvironment)
    }

    /// The CLI's environment in tests: this daemon's socket, and English screens (``englishScreens``).
    public var ctlEnvironment: [String: String] { englishScreens.merging(["TOCSIN_SOCKET": socketPath]) { $1 } }

    public func ctl(arguments: [String], input: String? = nil, as user: String? = nil) async throws -> CommandResult {
        guard let user else {
            return try await runCommand(PackagePaths.tocsinctl, arguments, input: input, environment: ctlEnvironment)
        }
        return try await runCommand(
            "/usr/bin/setpriv", ["--reuid=\(user)", "--regid=nogroup", "--clear-groups", PackagePaths.tocsinctl] + arguments,
            input: input, environment: ctlEnvironment
        )
    }

    /// Runs `body` with a fresh client on the admin socket, on a thread of its own (the client blocks on the socket).
    public func withClient<T: Sendable>(_ body: @escaping @Sendable (AdminClient) throws -> T) async throws -> T {
        let socketPath = socketPath
        return try await offPool { try body(AdminClient(socketPath: socketPath)) }
    }

    /// Waits until every delivery of `incident` is final and returns its status.
    public func waitForFinish(_ incident: String, timeout: Duration = .seconds(60)) async throws -> IncidentStatus {
        var last: IncidentStatus?
        _ = try await waitUntil(timeout: timeout) {
            last = try? await withClient { try $0.call(.incidentStatus, IncidentParams(incident: incident), as: IncidentStatus.self) }
            return last?.isFinished ?? false
        }
        guard let last else { throw TestSupportError("no status for incident \(incident)") }
        return last
    }
}
