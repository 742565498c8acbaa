public import Foundation
public import Logging
import TocsinCore
import TocsinText

/// One line per event on standard error, `key=value` metadata after the message. When `$JOURNAL_STREAM` says
/// standard error is the journal, each line starts with its syslog priority (`<3>` …) so `journalctl -p err`
/// filters it and the timestamp is left to the journal.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let toJournal: Bool

    public init(label: String, level: Logger.Level, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.label = label
        self.logLevel = level
        toJournal = Self.stderrIsJournal(environment)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = toJournal
            ? "<\(Self.priority(event.level))>"
            : UTCTime.iso8601(millis: Date().millisecondsSince1970, milliseconds: false) + " \(event.level) "
        line += event.message.description
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            let text = "\(value)"
            line += " \(key)=" + (text.utf8.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") }) ? "\"\(text.replacing(ascii: UInt8(ascii: "\""), with: "\\\""))\"" : text)
        }
        // One event, one line: a newline (or a NUL, which journald also ends a line at) inside a value would forge a
        // second journal entry. Byte by byte, so the newline of a "\r\n" (one Character) goes too.
        line = line.replacing(ascii: UInt8(ascii: "\n"), with: "\\n").replacing(ascii: 0, with: "\\0") + "\n"
        // The throwing write: the old one traps on EPIPE, and a journal stream that went away must not take the
        // daemon (and the alerts it holds) with it.
        try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
    }

    /// syslog priorities: 2 critical, 3 error, 4 warning, 5 notice, 6 info, 7 debug.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }

    /// `$JOURNAL_STREAM` is `device:inode` of the journal's stream; it counts only if it is our stderr.
    static func stderrIsJournal(_ environment: [String: String]) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":").compactMap { UInt64($0) }
        guard parts.count == 2 else { return false }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return false }
        return UInt64(info.st_dev) == parts[0] && UInt64(info.st_ino) == parts[1]
    }
}
