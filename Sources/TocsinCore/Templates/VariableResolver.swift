import Foundation

/// Checks the `--set` values of a send against what the template declares, before anything is stored.
public enum VariableResolver {
    /// The longest value accepted, in characters: a building or a place, not a paragraph.
    public static let maximumLength = 200
    /// ``maximumLength`` characters, and at most 800 bytes of UTF-8 and 400 code points (see ``TextValidator``).
    public static let limits = TextValidator.Limits(characters: maximumLength)

    /// Returns every variable's final value (given or default), or every problem at once.
    public static func resolve(
        _ given: [String: String], for template: MessageTemplate
    ) throws(TemplateInputError) -> [String: String] {
        var problems: [InputProblem] = []
        var values: [String: String] = [:]
        let declared = Set(template.content.variables.map(\.name))

        for name in given.keys.sorted() where !declared.contains(name) {
            problems.append(.unknownVariable(name: shown(name), template: template.id, known: declared.sorted()))
        }
        for spec in template.content.variables {
            guard let value = given[spec.name] ?? spec.defaultValue else {
                if spec.required { problems.append(.missing(name: spec.name, allowed: spec.allowed ?? [])) }
                continue
            }
            if let problem = check(value, spec) {
                problems.append(problem)
                continue
            }
            values[spec.name] = value
        }
        if !problems.isEmpty { throw TemplateInputError(details: problems) }
        return values
    }

    private static func check(_ value: String, _ spec: VariableSpec) -> InputProblem? {
        // Length and refused characters first: the "not an allowed value" message quotes the value, which must
        // then be short and printable (fault suite, HostileValueTests: a 100 kB value or an escape sequence
        // for a variable with an allowed list came back whole in the error, and on to the operator's terminal).
        if let problem = TextValidator.problem(in: value, limits: limits) {
            return .refusedText(name: spec.name, problem)
        }
        if let limit = spec.maxLength, value.count > limit {
            return .overMaxLength(name: spec.name, characters: value.count, limit: limit)
        }
        if let allowed = spec.allowed, !allowed.contains(value) {
            return .notAllowed(value: value, name: spec.name, allowed: allowed)
        }
        if value.trimmingCharacters(in: .whitespaces).isEmpty, spec.required {
            return .empty(name: spec.name)
        }
        return nil
    }

    /// A caller-supplied variable name as an error may quote it (see ``TextValidator/printable(_:limit:)``).
    private static func shown(_ name: String) -> String { TextValidator.printable(name) }
}

/// One thing wrong with the values typed for a send: kept as data so that a client can say it in the operator's
/// language; ``text`` is the English sentence (the daemon's message, logs, scripts).
public enum InputProblem: Sendable, Hashable {
    /// `name` is already made printable and short (it is the caller's own text).
    case unknownVariable(name: String, template: String, known: [String])
    case missing(name: String, allowed: [String])
    case refusedText(name: String, TextValidator.Problem)
    case overMaxLength(name: String, characters: Int, limit: Int)
    /// `value` has passed ``TextValidator`` (short, printable), so it may be quoted.
    case notAllowed(value: String, name: String, allowed: [String])
    case empty(name: String)

    public var text: String {
        switch self {
        case .unknownVariable(let name, let template, let known):
            "unknown variable '\(name)' for template '\(template)'"
                + (known.isEmpty ? " (it takes none)" : " (it takes: \(known.joined(separator: ", ")))")
        case .missing(let name, let allowed):
            "missing required variable '\(name)': add --set \(name)=…" + Self.allowedHint(allowed)
        case .refusedText(let name, let problem):
            "the value of '\(name)' " + problem.explanation
        case .overMaxLength(let name, let characters, let limit):
            "the value of '\(name)' has \(characters) characters; this template allows at most \(limit) (max_length), so that its texts fit every channel: shorten it"
        case .notAllowed(let value, let name, let allowed):
            "'\(value)' is not an allowed value of '\(name)'" + Self.allowedHint(allowed)
        case .empty(let name):
            "the value of '\(name)' is empty"
        }
    }

    private static func allowedHint(_ allowed: [String]) -> String {
        allowed.isEmpty ? "" : " (allowed: " + allowed.map { "\"\($0)\"" }.joined(separator: ", ") + ")"
    }
}

/// Why the values given for a send were refused; every problem is listed.
public struct TemplateInputError: Error, Sendable, CustomStringConvertible {
    public var details: [InputProblem]
    /// The problems in English, one sentence each.
    public var problems: [String] { details.map(\.text) }
    public var description: String { problems.joined(separator: "\n") }

    public init(details: [InputProblem]) { self.details = details }
}
