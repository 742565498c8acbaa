import Foundation
import TocsinCore
import Yams

/// One template file (`templates/*.yaml`) into a compiled `MessageTemplate`.
struct TemplateParser {
    var reader: YAMLReader
    var diagnostics: [Diagnostic] { reader.diagnostics }

    init(file: String) { reader = YAMLReader(file: file) }

    mutating func parse(_ text: String) -> MessageTemplate? {
        guard let root = reader.compose(text) else {
            if !reader.diagnostics.hasErrors { reader.error("the template file is empty", at: nil) }
            return nil
        }
        let map = reader.mapping(root, "template", allowed: ConfigKeys.allowedInTemplate(under: ""))
        let id = reader.string(map["id"], "id", required: true, parent: root)
        if let id, !id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
            reader.error("template id '\(id)' may use only letters, digits, '-' and '_'", at: map["id"])
        }
        let fileStem = ((reader.file as NSString).lastPathComponent as NSString).deletingPathExtension
        if let id, id != fileStem {
            reader.warning("template id '\(id)' differs from its file name '\(fileStem)'", at: map["id"])
        }
        let category = reader.enumValue(map["category"], "category", CAP.Category.self, required: true, parent: root)
        let severity = reader.enumValue(map["severity"], "severity", CAP.Severity.self, required: true, parent: root)
        let urgency = reader.enumValue(map["urgency"], "urgency", CAP.Urgency.self, required: true, parent: root)
        let certainty = reader.enumValue(map["certainty"], "certainty", CAP.Certainty.self, required: true, parent: root)
        let response = reader.enumValue(map["response"], "response", CAP.ResponseType.self, required: false, parent: root)
        let route = reader.string(map["route"], "route", required: true, parent: root)
        let drillRoute = reader.string(map["drill_route"], "drill_route")
        let variables = parseVariables(map["variables"])
        let event = localized(map["event"], "event", required: true, parent: root)
        let title = localized(map["title"], "title", required: true, parent: root)
        let body = localized(map["body"], "body", required: true, parent: root)
        let instruction = map["instruction"].map { localized($0, "instruction", required: false, parent: root) }
        let short = map["short"].map { localized($0, "short", required: false, parent: root) }
        if let short {
            for language in Set(title.keys).union(body.keys).subtracting(short.keys).sorted() {
                reader.error("'short' has no text for '\(language)': give one for every language of the template, or none", at: map["short"])
            }
        }

        guard let id, let category, let severity, let urgency, let certainty, let route, !reader.diagnostics.hasErrors
        else { return nil }
        let content = MessageTemplate.Content(
            id: id, category: category, severity: severity, urgency: urgency, certainty: certainty,
            response: response, route: route, drillRoute: drillRoute, variables: variables,
            event: event, title: title, body: body, instruction: instruction, short: short
        )
        do {
            return try MessageTemplate(content: content, sourcePath: reader.file)
        } catch {
            // Mustache reports lines within the text; the text's own entry in the file is the best anchor we have.
            let parts = error.message.split(separator: ":", maxSplits: 1).first?.split(separator: ".").map(String.init) ?? []
            let kindNode = parts.first.flatMap { map[$0] }
            let languageNode = parts.count > 1 ? kindNode?.mapping?[Node(parts[1])] : nil
            reader.error("template '\(id)': \(error.message)", at: languageNode ?? kindNode ?? root)
            return nil
        }
    }

    private mutating func parseVariables(_ node: Node?) -> [VariableSpec] {
        var specs: [VariableSpec] = []
        for (name, keyNode, value) in reader.orderedMapping(node, "variables") {
            if !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                reader.error("variable name '\(name)' may use only letters, digits and '_'", at: keyNode)
            }
            let map = reader.mapping(value, "variables.\(name)", allowed: ConfigKeys.allowedInTemplate(under: "variables.<variable>"))
            let allowed = reader.strings(map["allowed"], "variables.\(name).allowed")
            if let allowed, allowed.isEmpty { reader.error("'variables.\(name).allowed' is empty", at: map["allowed"]) }
            let defaultValue = reader.string(map["default"], "variables.\(name).default")
            var maxLength: Int?
            if let value = reader.number(map["max_length"], "variables.\(name).max_length", minimum: 1) {
                let limit = VariableResolver.maximumLength
                if Double(Int(value)) != value || Int(value) > limit {
                    reader.error("'variables.\(name).max_length' must be a whole number from 1 to \(limit)", at: map["max_length"])
                } else {
                    maxLength = Int(value)
                    for text in (allowed ?? []) + [defaultValue].compactMap({ $0 }) where text.count > Int(value) {
                        reader.error("'\(text)' of variable '\(name)' is longer than its max_length (\(text.count) > \(Int(value)) characters)", at: map["max_length"])
                    }
                }
            }
            specs.append(
                VariableSpec(
                    name: name,
                    required: reader.bool(map["required"], "variables.\(name).required") ?? false,
                    defaultValue: defaultValue, allowed: allowed, maxLength: maxLength
                )
            )
        }
        return specs
    }

    private mutating func localized(_ node: Node?, _ path: String, required: Bool, parent: Node) -> [String: String] {
        guard let node else {
            if required { reader.error("'\(path)' is required, with a text per language (fr: …, en: …)", at: parent) }
            return [:]
        }
        var texts: [String: String] = [:]
        for (language, _, value) in reader.orderedMapping(node, path) {
            if let text = reader.string(value, "\(path).\(language)") { texts[language] = text }
        }
        return texts
    }
}
