import Foundation

/// A helper server run as a child process that prints `LISTENING <port>` once ready and exits when its standard
/// input closes, so a crashed test run cannot leave it behind.
///
/// Starting one blocks until the child listens (a Python start, a fraction of a second): async code starts it, and
/// the servers built on it, through ``offPool(_:)``, never on a cooperative-pool thread.
// Unchecked: after `init` the process is only signalled (through the locked `ProcessExit`) and the input closed.
public struct ListeningChild: @unchecked Sendable {
    private let stdin: Pipe
    public let port: Int
    let exit: ProcessExit

    /// Starts `python3 arguments…` and waits for its `LISTENING` line.
    /// - Parameter what: named in the error when it does not start ("the SMTP server (is aiosmtpd installed?)").
    public init(python arguments: [String], what: String) throws {
        let out = Pipe()
        stdin = Pipe()
        exit = try ChildProcess.spawn("/usr/bin/env", ["python3"] + arguments, standardInput: .pipe(stdin), standardOutput: .pipe(out))
        let line = try out.fileHandleForReading.readLineRetrying()
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("LISTENING "), let port = Int(text.dropFirst("LISTENING ".count)) else {
            // Not waited for: its watching thread reaps it whenever it ends, and the error says all there is to say.
            try? stdin.fileHandleForWriting.close()
            exit.signal(SIGTERM)
            throw TestSupportError("\(what) did not start: '\(text)'")
        }
        self.port = port
    }

    /// Closes its input and sends SIGTERM without waiting: it ends by itself (callable from a `defer`).
    public func stop() {
        try? stdin.fileHandleForWriting.close()
        exit.signal(SIGTERM)
    }
}
