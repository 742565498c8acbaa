import FoundationEssentials
import Synchronization
import TocsinClient
import TocsinDisplay
import TocsinProtocol

/// The language this operator reads: French or English (issue 16, item 2).
///
/// Resolved once per run, in this order: `--lang fr|en`, then `LC_ALL`, `LC_MESSAGES`, `LANG` (the first that is set
/// and not empty decides: `fr*` is French, `C`/`POSIX` nothing, anything else English), then the organisation's
/// first language as the daemon reports it, then French. `--json` output stays language-neutral: only text meant for
/// a person goes through ``tr(_:_:)``.
extension OperatorLanguage {
    /// What the environment and the flag say; nil when neither decides (the organisation's language then, or French).
    static func resolve(flag: String?, environment: [String: String]) -> OperatorLanguage? {
        if let flag, let language = OperatorLanguage(rawValue: flag.lowercased()) { return language }
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let value = environment[name], !value.isEmpty else { continue }
            let locale = value.lowercased()
            // C and POSIX name no language (Debian's default C.UTF-8 among them): the next rule decides.
            if locale == "c" || locale == "posix" || locale.hasPrefix("c.") { return nil }
            return locale.hasPrefix("fr") ? .fr : .en
        }
        return nil
    }

    /// The language the command line and the environment name, read before ArgumentParser parses anything: the
    /// `--help` abstracts are built when parsing starts, before ``GlobalOptions/validate()`` runs. `--lang X` and
    /// `--lang=X` anywhere before a `--` count (the last one wins, as when parsed); a value that is neither fr nor en
    /// is left to `validate()` to refuse.
    static func atStart(
        arguments: [String] = CommandLine.arguments, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> OperatorLanguage? {
        var flag: String?
        var words = arguments.dropFirst().makeIterator()
        while let word = words.next(), word != "--" {
            if word == "--lang" {
                flag = words.next()
            } else if word.hasPrefix("--lang=") {
                flag = String(word.dropFirst("--lang=".count))
            }
        }
        return resolve(flag: flag, environment: environment)
    }

    /// The language of this run: from ``atStart(arguments:environment:)`` (else French) until ``decide(_:)``.
    static var current: OperatorLanguage { chosen.withLock { $0 } }

    /// Sets the language of this run (at start-up, and again once the daemon named the organisation's language when
    /// neither the flag nor the environment decided).
    static func decide(_ language: OperatorLanguage) { chosen.withLock { $0 = language } }

    /// Marks this run's language as left to the organisation's (neither the flag nor the environment named one);
    /// ``fromDaemon(_:)`` then asks once.
    static func leaveToOrganisation(_ undecided: Bool) { organisationDecides.withLock { $0 = undecided } }

    /// Once per run, when neither the flag nor the environment decided: the organisation's first language, as the
    /// daemon reports it (`daemon.languages`). An older daemon, a refusal or a language other than French or
    /// English leaves French.
    static func fromDaemon(_ client: AdminClient) {
        guard isLeftToOrganisation, asked.withLock({ asked in defer { asked = true }; return !asked }) else { return }
        // Briefly: a daemon that does not answer this will not answer the verb either, which then says so.
        if let languages = try? client.call(AdminCall.languages, EmptyParams(), within: .seconds(5)) { adopt(languages) }
    }

    /// As ``fromDaemon(_:)``, from the languages an answer carries (`incident.send`'s): no request of its own, so
    /// none during the fan-out it just started. An answer without them (an older daemon) asks.
    static func fromAnswer(_ languages: [String]?, else client: AdminClient) {
        guard let languages else { return fromDaemon(client) }
        guard isLeftToOrganisation else { return }
        adopt(languages)
    }

    /// Neither the flag nor the environment decided, and the daemon has not said the organisation's language (not
    /// asked yet, or no answer): what the client says of its own failures is then said in both languages.
    static var isLeftToOrganisation: Bool { organisationDecides.withLock { $0 } }

    private static func adopt(_ languages: [String]) {
        guard let first = languages.first?.lowercased() else { return }
        organisationDecides.withLock { $0 = false }
        decide(first.hasPrefix("en") ? .en : .fr)
    }

    /// `text` said in French, then in English (the language in force is restored): for a failure said before the
    /// organisation's language could be learned.
    static func inBoth(_ text: () -> String) -> [String] {
        let kept = current
        defer { decide(kept) }
        decide(.fr)
        let french = text()
        decide(.en)
        return [french, text()]
    }

    private static let organisationDecides = Mutex(false)
    private static let asked = Mutex(false)

    // A process-wide setting read by every screen; a Mutex keeps it safe under strict concurrency. Initialised on
    // first use, which is ArgumentParser reading the first `CommandConfiguration`: help is already in the right
    // language, with no change to `main`.
    private static let chosen = Mutex<OperatorLanguage>(atStart() ?? .fr)
}

/// The text in the operator's language: `tr("Rien n'a été envoyé.", "Nothing was sent.")`.
func tr(_ french: String, _ english: String) -> String {
    OperatorLanguage.current == .fr ? french : english
}

extension FailureText {
    /// A delivery's failure in the operator's language (``OperatorLanguage/current``).
    static func said(_ error: String, kind: ErrorKind?, status: Int?, channelType: String?, latencyMillis: Int64? = nil) -> String {
        said(error, kind: kind, status: status, channelType: channelType, latencyMillis: latencyMillis, in: OperatorLanguage.current)
    }
}

extension Elapsed {
    /// In the operator's language (``OperatorLanguage/current``).
    static func text(_ millis: Int64?) -> String { text(millis, in: OperatorLanguage.current) }
}

extension CAPWords {
    /// CAP's status as this operator's screen shows it: French words on a French screen, CAP's own otherwise.
    static func status(_ value: String) -> String {
        OperatorLanguage.current == .fr ? french(status: value) : value
    }

    static func msgType(_ value: String) -> String {
        OperatorLanguage.current == .fr ? french(msgType: value) : value
    }
}
