import Foundation
import Synchronization
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

    /// The language of this run; French until ``decide(_:)`` is called.
    static var current: OperatorLanguage { chosen.withLock { $0 } }

    /// Sets the language of this run (at start-up, and again once the daemon named the organisation's language when
    /// neither the flag nor the environment decided).
    static func decide(_ language: OperatorLanguage) { chosen.withLock { $0 = language } }

    // A process-wide setting read by every screen; a Mutex keeps it safe under strict concurrency.
    private static let chosen = Mutex<OperatorLanguage>(.fr)
}

/// The text in the operator's language: `tr("Rien n'a été envoyé.", "Nothing was sent.")`.
func tr(_ french: String, _ english: String) -> String {
    OperatorLanguage.current == .fr ? french : english
}
