import ArgumentParser
import Foundation
import Logging
import TocsinConfig
import TocsinCore
import TocsinDaemon
import TocsinProtocol
import TocsinText

/// `tocsind`: the crisis-communication daemon.
@main
struct Tocsind: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tocsind",
        abstract: "Tocsin daemon: fans approved urgent notices out to every configured channel, durably, with an audit trail.",
        version: TocsinVersion.string
    )

    @Option(name: .long, help: "The config file (default: $TOCSIN_CONFIG or /etc/tocsin/tocsin.yaml).")
    var config: String?

    @Flag(name: .long, help: "Validate the config and templates, list every problem, and exit (0 valid, 1 invalid).")
    var checkConfig = false

    @Option(name: .customLong("import-sqlite"), help: ArgumentHelp(
        "Copy the SQLite state at PATH (incidents, deliveries, attempts, approvals, the audit chain) into the empty PostgreSQL database of storage.postgresql, then exit (runbooks/moving-to-postgresql.md).",
        valueName: "PATH"
    ))
    var importSQLite: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical (default: $TOCSIN_LOG_LEVEL or info).")
    var logLevel: String?

    func run() async throws {
        // A journal stream that went away must cost a log line, not the daemon: NIO ignores SIGPIPE once its first
        // socket opens, which is after the first lines are logged (JournalLogTests).
        _ = signal(SIGPIPE, SIG_IGN)
        let environment = ProcessInfo.processInfo.environment
        let path = config ?? environment["TOCSIN_CONFIG"] ?? "/etc/tocsin/tocsin.yaml"
        let (loaded, diagnostics) = ConfigLoader.load(path: path, environment: environment)
        for diagnostic in diagnostics { FileHandle.standardError.write(Data("\(diagnostic)\n".utf8)) }
        guard let loaded else {
            let count = diagnostics.errors.count
            FileHandle.standardError.write(Data("tocsind: \(path): \(Plural.en(count, "error", "errors")); the configuration was not loaded\n".utf8))
            throw ExitCode(1)
        }
        if checkConfig {
            // The daemon still starts and sends with these; an approval of such a template is refused.
            for warning in Daemon.fitWarnings(loaded, path: path) { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            print("\(path): OK — \(Plural.en(loaded.templates.count, "template", "templates")), \(Plural.en(loaded.channels.count, "channel", "channels")), \(Plural.en(loaded.routes.count, "route", "routes")) (fingerprint \(loaded.fingerprint.prefix(12)))")
            // Which all-clear `tocsinctl all-clear` sends (DESIGN.md: the built-in one is the exception to approval).
            print(loaded.templates[BuiltInAllClear.id] == nil
                ? "all-clear: Tocsin's built-in one (FIN DE L'ALERTE / ALL CLEAR, fixed wording, counted as approved); no all-clear template is configured"
                : "all-clear: the configured template 'all-clear' (a live all-clear needs its approval)")
            // Whether receivers can check that an alert comes from the college (CAP 1.2 XML Signature).
            for line in loaded.capSignatureLines { print(line) }
            // Which store this node opens; a password appears only as the file it is read from.
            print("storage: \(loaded.storage.summary(paths: loaded.paths, cluster: loaded.cluster))")
            return
        }
        let level = Logger.Level(rawValue: (logLevel ?? environment["TOCSIN_LOG_LEVEL"] ?? "info").lowercased()) ?? .info
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, level: level) }
        let logger = Logger(label: "tocsind")
        if let importSQLite {
            do {
                for line in try await SQLiteImport.run(configuration: loaded, path: importSQLite, logger: logger) { print(line) }
            } catch {
                FileHandle.standardError.write(Data("tocsind: \(error)\n".utf8))
                throw ExitCode(1)
            }
            return
        }
        do {
            try await Daemon.run(configuration: loaded, configPath: path, logger: logger)
        } catch {
            logger.critical("tocsind cannot run", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("tocsind: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
