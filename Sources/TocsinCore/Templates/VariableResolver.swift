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
        var problems: [String] = []
        var values: [String: String] = [:]
        let declared = Set(template.content.variables.map(\.name))

        for name in given.keys.sorted() where !declared.contains(name) {
            let known = declared.sorted().joined(separator: ", ")
            problems.append(
                "unknown variable '\(shown(name))' for template '\(template.id)'"
                    + (known.isEmpty ? " (it takes none)" : " (it takes: \(known))")
            )
        }
        for spec in template.content.variables {
            guard let value = given[spec.name] ?? spec.defaultValue else {
                if spec.required {
                    problems.append("missing required variable '\(spec.name)': add --set \(spec.name)=…" + allowedHint(spec))
                }
                continue
            }
            if let problem = check(value, spec) {
                problems.append(problem)
                continue
            }
            values[spec.name] = value
        }
        if !problems.isEmpty { throw TemplateInputError(problems: problems) }
        return values
    }

    private static func check(_ value: String, _ spec: VariableSpec) -> String? {
        // Length and refused characters first: the "not an allowed value" message quotes the value, which must
        // then be short and printable (fault suite, HostileValueTests: a 100 kB value or an escape sequence
        // for a variable with an allowed list came back whole in the error, and on to the operator's terminal).
        if let problem = TextValidator.problem(in: value, limits: limits) {
            return "the value of '\(spec.name)' " + problem.explanation
        }
        if let limit = spec.maxLength, value.count > limit {
            return "the value of '\(spec.name)' has \(value.count) characters; this template allows at most \(limit) (max_length), so that its texts fit every channel: shorten it"
        }
        if let allowed = spec.allowed, !allowed.contains(value) {
            return "'\(value)' is not an allowed value of '\(spec.name)'" + allowedHint(spec)
        }
        if value.trimmingCharacters(in: .whitespaces).isEmpty, spec.required {
            return "the value of '\(spec.name)' is empty"
        }
        return nil
    }

    /// A caller-supplied variable name as an error may quote it (see ``TextValidator/printable(_:limit:)``).
    private static func shown(_ name: String) -> String { TextValidator.printable(name) }

    private static func allowedHint(_ spec: VariableSpec) -> String {
        guard let allowed = spec.allowed, !allowed.isEmpty else { return "" }
        return " (allowed: " + allowed.map { "\"\($0)\"" }.joined(separator: ", ") + ")"
    }
}

/// Why the values given for a send were refused; every problem is listed.
public struct TemplateInputError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}
