import Foundation

/// Checks the `--set` values of a send against what the template declares, before anything is stored.
public enum VariableResolver {
    /// The longest value accepted: a building or a place, not a paragraph.
    public static let maximumLength = 200

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
                "unknown variable '\(name)' for template '\(template.id)'"
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
        if let allowed = spec.allowed, !allowed.contains(value) {
            return "'\(value)' is not an allowed value of '\(spec.name)'" + allowedHint(spec)
        }
        if value.count > maximumLength {
            return "the value of '\(spec.name)' is \(value.count) characters long; at most \(maximumLength) are accepted"
        }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "the value of '\(spec.name)' contains a control character (newline, tab, escape…); write it on one line"
        }
        if value.trimmingCharacters(in: .whitespaces).isEmpty, spec.required {
            return "the value of '\(spec.name)' is empty"
        }
        return nil
    }

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
