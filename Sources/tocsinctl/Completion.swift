import ArgumentParser
import Dispatch
import FoundationEssentials
import Synchronization
import TocsinClient
import TocsinProtocol

/// Shell completion candidates that only the daemon knows: template ids, incident ids, channel and route names, and
/// the variables and allowed values of a template for `--set` (issue 16, item 6).
///
/// The shell runs `tocsinctl ---completion …` at each TAB. When the daemon is down, refuses the caller or does not
/// answer within ``timeout``, the answer is simply no candidates: nothing is printed on the terminal and the shell
/// is never held.
extension CompletionKind {
    static var templateIDs: CompletionKind { .custom { words, _, _ in DaemonCompletion.templates(words).map(\.id) } }
    static var incidentIDs: CompletionKind { .custom { words, _, _ in DaemonCompletion.incidents(words) } }
    static var channelNames: CompletionKind { .custom { words, _, _ in DaemonCompletion.channels(words).map(\.name) } }
    static var routeNames: CompletionKind {
        .custom { words, _, _ in Array(Set(DaemonCompletion.channels(words).flatMap(\.routes))).sorted() }
    }
    static var assignments: CompletionKind { .custom { words, index, prefix in DaemonCompletion.assignments(words, index, prefix) } }
    static var languages: CompletionKind { .list(OperatorLanguage.allCases.map(\.rawValue)) }
}

enum DaemonCompletion {
    /// Long enough for a daemon under load on a small machine, short enough that a TAB never feels stuck.
    static let timeout: DispatchTimeInterval = .milliseconds(1500)

    static func templates(_ words: [String]) -> [TemplateSummary] {
        ask(words) { try $0.call(AdminCall.templateList, EmptyParams()) } ?? []
    }

    static func incidents(_ words: [String]) -> [String] {
        ask(words) { try $0.call(AdminCall.incidentList, ListParams(limit: 50)).map(\.incident) } ?? []
    }

    static func channels(_ words: [String]) -> [ChannelInfo] {
        ask(words) { try $0.call(AdminCall.channelList, EmptyParams()) } ?? []
    }

    /// `--set`: `name=` for each variable of the template on the command line, then `name=value` for each allowed
    /// value once the name is typed.
    static func assignments(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        let known = templates(words)
        guard !known.isEmpty else { return [] }
        // The template is the last positional word naming a known template (send/drill/preview TEMPLATE, update
        // INCIDENT TEMPLATE); all-clear takes --template, else the all-clear template.
        let ids = Set(known.map(\.id))
        let before = Array(words.prefix(index))
        let named = option("--template", in: before) ?? before.last { ids.contains(unquoted($0)) }.map(unquoted)
            ?? (before.contains("all-clear") ? "all-clear" : nil)
        guard let template = known.first(where: { $0.id == named }) else { return [] }
        let typed = unquoted(prefix)
        if let equals = typed.firstIndex(of: "=") {
            let name = String(typed[..<equals])
            guard let variable = template.variables.first(where: { $0.name == name }) else { return [] }
            return (variable.allowed ?? variable.defaultValue.map { [$0] } ?? []).map { "\(name)=\($0)" }
        }
        return template.variables.map { "\($0.name)=" }
    }

    /// Runs `body` against the daemon on a thread of its own and gives up after ``timeout``.
    static func ask<T: Sendable>(_ words: [String], _ body: @escaping @Sendable (AdminClient) throws -> T) -> T? {
        let path = socketPath(words)
        let answer = Answer<T>()
        let done = DispatchSemaphore(value: 0)
        // A worker thread: a daemon that accepts and never answers leaves that thread blocked, not the shell;
        // the process ends right after the candidates are printed.
        DispatchQueue.global().async {
            let value = try? body(AdminClient(socketPath: path))
            answer.value.withLock { $0 = value }
            done.signal()
        }
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        return answer.value.withLock { $0 }
    }

    /// `--socket PATH` or `--socket=PATH` on the command line being completed, else as every verb finds it.
    static func socketPath(_ words: [String]) -> String {
        option("--socket", in: words) ?? ProcessInfo.processInfo.environment["TOCSIN_SOCKET"] ?? "/run/tocsin/admin.sock"
    }

    static func option(_ name: String, in words: [String]) -> String? {
        for (offset, word) in words.enumerated().reversed() {
            if word == name, offset + 1 < words.count { return unquoted(words[offset + 1]) }
            if word.hasPrefix(name + "=") { return unquoted(String(word.dropFirst(name.count + 1))) }
        }
        return nil
    }

    /// The shell hands words over verbatim: `"Pavillon A"`, `'x'` or `Pavillon\ A` as typed.
    static func unquoted(_ word: String) -> String {
        var result = ""
        var quote: Character?
        var escaped = false
        for character in word {
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\", quote != "'" {
                escaped = true
            } else if let open = quote, character == open {
                quote = nil
            } else if quote == nil, character == "\"" || character == "'" {
                quote = character
            } else {
                result.append(character)
            }
        }
        return result
    }

    private final class Answer<T: Sendable>: Sendable {
        let value = Mutex<T?>(nil)
    }
}
