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
        // Length and control characters first: the "not an allowed value" message quotes the value, which must
        // then be short and printable (fault suite, HostileValueTests: a 100 kB value or an escape sequence
        // for a variable with an allowed list came back whole in the error, and on to the operator's terminal).
        if value.count > maximumLength {
            return "the value of '\(spec.name)' is \(value.count) characters long; at most \(maximumLength) are accepted"
        }
        if value.unicodeScalars.contains(where: isControl) {
            return "the value of '\(spec.name)' contains a control character (newline, tab, escape, bidirectional override…); write it on one line"
        }
        if let allowed = spec.allowed, !allowed.contains(value) {
            return "'\(value)' is not an allowed value of '\(spec.name)'" + allowedHint(spec)
        }
        if value.trimmingCharacters(in: .whitespaces).isEmpty, spec.required {
            return "the value of '\(spec.name)' is empty"
        }
        return nil
    }

    /// C0 and C1 controls, and what acts like them in a one-line value: the Unicode line and paragraph separators
    /// (a line break in most renderers) and the bidirectional embedding, override and isolate controls, which can
    /// make an alert read differently from what was typed (U+202E turns "A nollivaP" into "Pavillon A").
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        }
    }

    /// A caller-supplied variable name as an error may quote it: at most 100 characters, controls as `\u{…}`.
    private static func shown(_ name: String) -> String {
        var result = ""
        for scalar in name.unicodeScalars.prefix(100) {
            if isControl(scalar) { result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" } else { result.unicodeScalars.append(scalar) }
        }
        return name.unicodeScalars.count > 100 ? result + "…" : result
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
