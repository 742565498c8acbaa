import ArgumentParser
import FoundationEssentials
import TocsinClient
import TocsinDisplay
import TocsinProtocol
import TocsinText

/// Options every verb takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(tr("Le socket d'administration (par défaut : $TOCSIN_SOCKET ou /run/tocsin/admin.sock).", "The admin socket (default: $TOCSIN_SOCKET or /run/tocsin/admin.sock).")))
    var socket: String?

    @Flag(name: .long, help: ArgumentHelp(tr("Sortie pour les programmes : JSON (un objet par ligne pour les flux).", "Machine-readable output: JSON (one object per line for streams).")))
    var json = false

    @Option(name: .long, help: ArgumentHelp(tr("La langue des écrans et des messages : fr ou en (par défaut : selon LC_ALL/LC_MESSAGES/LANG, sinon le français).", "The language of screens and messages: fr or en (default: from LC_ALL/LC_MESSAGES/LANG, else French).")), completion: .languages)
    var lang: String?

    @Flag(name: .long, help: ArgumentHelp(tr("Afficher les heures en UTC plutôt que dans le fuseau local (TZ).", "Show times in UTC rather than the local time zone (TZ).")))
    var utc = false

    /// Runs as the verb's arguments are parsed: every verb takes these options, so the language is decided before
    /// anything is printed.
    func validate() throws {
        if let lang, OperatorLanguage(rawValue: lang.lowercased()) == nil {
            throw ValidationError(tr("--lang prend fr ou en (reçu « \(lang) »)", "--lang takes fr or en (got '\(lang)')"))
        }
        let named = OperatorLanguage.resolve(flag: lang, environment: ProcessInfo.processInfo.environment)
        OperatorLanguage.decide(named ?? .fr)
        // --json says nothing to a person: no need to ask the daemon for the organisation's language.
        OperatorLanguage.leaveToOrganisation(named == nil && !json)
        TimeDisplay.useUTC(utc)
    }

    /// The command line with the global options typed before the verb (`tocsinctl --lang en status`) moved to its
    /// end, where the verb's parser finds them: every verb takes them, but the root command has none of its own.
    static func afterTheVerb(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let word = rest.first {
            if word == "--json" || word == "--utc" || word.hasPrefix("--lang=") || word.hasPrefix("--socket=") {
                leading.append(word)
                rest = rest.dropFirst()
            } else if (word == "--lang" || word == "--socket"), rest.count >= 2 {
                leading.append(contentsOf: rest.prefix(2))
                rest = rest.dropFirst(2)
            } else {
                break
            }
        }
        guard !leading.isEmpty, !rest.isEmpty else { return arguments }
        // Before a `--`, if any: what follows it is taken as values, never as options.
        let end = rest.firstIndex(of: "--") ?? rest.endIndex
        return Array(rest[..<end]) + leading + Array(rest[end...])
    }

    var socketPath: String {
        socket ?? ProcessInfo.processInfo.environment["TOCSIN_SOCKET"] ?? "/run/tocsin/admin.sock"
    }

    /// - Parameter askLanguageNow: false when nothing will be said before the first answer (`send --yes`): the
    ///   organisation's language then comes with that answer (``OperatorLanguage/fromAnswer(_:else:)``), instead of
    ///   a round trip and an audited request ahead of the alert (~1 ms of a 100-channel send, BENCHMARKS.md).
    /// - Parameter answerLimit: how long each answer may take (``AdminClient/answerLimit``); nil for the default.
    func connect(askLanguageNow: Bool = true, answerLimit: Duration? = nil) throws -> AdminClient {
        do {
            let client = try AdminClient(socketPath: socketPath)
            if let answerLimit { client.answerLimit = answerLimit }
            if askLanguageNow { OperatorLanguage.fromDaemon(client) }
            return client
        } catch {
            throw Failure(error)
        }
    }
}

/// The contract's exit codes (DESIGN.md).
enum Exit {
    static let ok = ExitCode(0)
    static let someFailed = ExitCode(1)
    static let usage = ExitCode(2)
    static let unreachable = ExitCode(3)
    static let refused = ExitCode(4)
}

/// Turns client errors into a message on standard error and the right exit code.
struct Failure: Error {
    let error: ClientError

    init(_ error: ClientError) { self.error = error }

    var exitCode: ExitCode {
        switch error {
        case .unreachable, .connectionLost, .noAnswer: Exit.unreachable
        case .permissionDenied: Exit.refused
        case .badAnswer: Exit.someFailed
        case .refused(let rpc):
            switch rpc.code {
            case RPCError.notAuthorisedCode, RPCError.notApprovedCode, RPCError.refusedCode: Exit.refused
            // Refused for load before anything was read: the daemon could not be used, as when it is unreachable.
            case RPCError.busyCode: Exit.unreachable
            case RPCError.unavailableCode, RPCError.internalErrorCode: Exit.someFailed
            default: Exit.usage
            }
        }
    }
}

/// Runs a verb's body and reports failures the way the contract says; with `--json`, also as a JSON line.
func runReporting(json: Bool, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let failure as Failure {
        report(failure.error, json: json)
        throw failure.exitCode
    } catch let error as ClientError {
        report(error, json: json)
        throw Failure(error).exitCode
    }
}

/// Says `error` on standard error (and as a JSON line with `--json`), in both languages when none is known yet.
/// - Parameter requestKey: a send's key, in the JSON line, when the send's fate is unknown (a script asks again with it).
func report(_ error: ClientError, json: Bool, requestKey: String? = nil) {
    if OperatorLanguage.isLeftToOrganisation, !error.isRefusal {
        // The daemon could not be asked which language (no answer, a lost connection): both, French first.
        for text in OperatorLanguage.inBoth({ error.operatorText }) { Console.error(text) }
    } else {
        Console.error(error.operatorText)
    }
    guard json else { return }
    if case .refused(let rpc) = error {
        Console.jsonLine(ErrorLine(error: rpc, requestKey: requestKey))
    } else {
        Console.jsonLine(ErrorLine(error: RPCError(code: RPCError.unavailableCode, message: error.description), requestKey: requestKey))
    }
}

struct ErrorLine: Encodable {
    var event = "error"
    var error: RPCError
    /// A send whose answer was lost: the key to ask again with (`--request-key`).
    var requestKey: String?
}

/// `k=v` pairs of `--set`.
func parseAssignments(_ items: [String]) throws -> [String: String] {
    var values: [String: String] = [:]
    for item in items {
        guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
            throw ValidationError(tr(
                "--set prend nom=valeur, par exemple --set building=\"Pavillon A\" (reçu « \(item) »)",
                "--set takes name=value, e.g. --set building=\"Pavillon A\" (got '\(item)')"
            ))
        }
        let name = String(item[..<equals]).trimmingWhitespace()
        if values[name] != nil { throw ValidationError(tr("--set \(name) est donné deux fois", "--set \(name) is given twice")) }
        values[name] = String(item[item.index(after: equals)...])
    }
    return values
}

extension ClientError {
    /// The daemon answered and said no: its words (``OperatorText``) follow the language it was asked in.
    var isRefusal: Bool {
        if case .refused = self { true } else { false }
    }
}
