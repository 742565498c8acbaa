import Foundation

/// Checks a loaded template against the rest of the config: the mistakes that would embarrass on the day.
public enum TemplateLinter {
    public static func lint(
        _ template: MessageTemplate, languages: [String], routes: Set<String>, file: String? = nil
    ) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        let content = template.content
        func error(_ message: String) { problems.append(.error("template '\(content.id)': \(message)", file: file)) }
        func warning(_ message: String) { problems.append(.warning("template '\(content.id)': \(message)", file: file)) }

        for language in languages {
            for (kind, texts) in [("title", content.title), ("body", content.body), ("event", content.event)]
            where (texts[language] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                error("no \(kind) in language '\(language)' (the organisation sends in \(languages.joined(separator: ", ")))")
            }
        }
        let declared = Set(content.variables.map(\.name))
        for (language, texts) in template.texts.sorted(by: { $0.key < $1.key }) {
            for text in texts.all {
                for name in text.placeholders.subtracting(declared).sorted() {
                    error("placeholder {{\(name)}} in language '\(language)' is not declared under 'variables'")
                }
            }
        }
        for name in declared.subtracting(template.placeholders).sorted() {
            warning("variable '\(name)' is declared but no text uses it")
        }
        for spec in content.variables {
            if let allowed = spec.allowed, let value = spec.defaultValue, !allowed.contains(value) {
                error("the default of '\(spec.name)' (\"\(value)\") is not one of its allowed values")
            }
            if spec.required, spec.defaultValue != nil {
                warning("variable '\(spec.name)' is required but has a default, so it can never be missing")
            }
        }
        if !routes.contains(content.route) {
            error("route '\(content.route)' is not defined under 'routes'")
        }
        if let drill = content.drillRoute, !routes.contains(drill) {
            error("drill_route '\(drill)' is not defined under 'routes'")
        }
        return problems
    }
}
