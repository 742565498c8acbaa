import Crypto
import Foundation
import TocsinAudit

/// A pre-written, approvable message: CAP fields, per-language texts and the variables they take.
public struct MessageTemplate: Sendable {
    /// The template as written, the part an approval signs.
    public struct Content: Sendable, Codable, Hashable {
        public var id: String
        public var category: CAP.Category
        public var severity: CAP.Severity
        public var urgency: CAP.Urgency
        public var certainty: CAP.Certainty
        public var response: CAP.ResponseType?
        public var route: String
        public var drillRoute: String?
        public var variables: [VariableSpec]
        /// Language code → text, for each text kind.
        public var event: [String: String]
        public var title: [String: String]
        public var body: [String: String]
        public var instruction: [String: String]?
        /// Language code → the text for channels with a small limit (SMS, X, ntfy), written and approved with the
        /// rest. Optional, and encoded only when present, so the hash of a template without it, and so its
        /// approvals, are what they were before short texts existed.
        public var short: [String: String]?

        public init(
            id: String, category: CAP.Category, severity: CAP.Severity, urgency: CAP.Urgency,
            certainty: CAP.Certainty, response: CAP.ResponseType? = nil, route: String, drillRoute: String? = nil,
            variables: [VariableSpec] = [], event: [String: String], title: [String: String],
            body: [String: String], instruction: [String: String]? = nil, short: [String: String]? = nil
        ) {
            self.id = id
            self.category = category
            self.severity = severity
            self.urgency = urgency
            self.certainty = certainty
            self.response = response
            self.route = route
            self.drillRoute = drillRoute
            self.variables = variables
            self.event = event
            self.title = title
            self.body = body
            self.instruction = instruction
            self.short = short
        }
    }

    /// The compiled texts of one language.
    public struct Texts: Sendable {
        public var event: TemplateText
        public var title: TemplateText
        public var body: TemplateText
        public var instruction: TemplateText?
        public var short: TemplateText?

        var all: [TemplateText] { [event, title, body] + [instruction, short].compactMap { $0 } }
    }

    public let content: Content
    /// Language code → compiled texts, for every language that has at least a title or body.
    public let texts: [String: Texts]
    /// SHA-256 of the canonical content (sorted-key JSON of `content`): what approvals sign.
    public let contentHash: String
    /// Where the template was read from, for messages.
    public let sourcePath: String?

    public var id: String { content.id }

    /// Compiles every text. Throws the first text that does not parse, naming its language and kind.
    public init(content: Content, sourcePath: String? = nil) throws(TemplateTextError) {
        self.content = content
        self.sourcePath = sourcePath
        var texts: [String: Texts] = [:]
        let languages = Set(content.title.keys).union(content.body.keys)
        for language in languages.sorted() {
            func compile(_ kind: String, _ source: String?) throws(TemplateTextError) -> TemplateText {
                do {
                    return try TemplateText(source ?? "")
                } catch {
                    throw TemplateTextError(message: "\(kind).\(language): \(error.message)", line: error.line)
                }
            }
            texts[language] = Texts(
                event: try compile("event", content.event[language]),
                title: try compile("title", content.title[language]),
                body: try compile("body", content.body[language]),
                instruction: try content.instruction?[language].map { (source) throws(TemplateTextError) in
                    try compile("instruction", source)
                },
                short: try content.short?[language].map { (source) throws(TemplateTextError) in try compile("short", source) }
            )
        }
        self.texts = texts
        self.contentHash = Self.canonicalHash(content)
    }

    /// Every placeholder used in any text of any language.
    public var placeholders: Set<String> {
        texts.values.reduce(into: Set<String>()) { names, texts in
            for text in texts.all { names.formUnion(text.placeholders) }
        }
    }

    public func variable(named name: String) -> VariableSpec? {
        content.variables.first { $0.name == name }
    }

    static func canonicalHash(_ content: Content) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a plain value type with sorted keys cannot fail; an empty hash would never match an approval.
        let data = (try? encoder.encode(content)) ?? Data()
        return SHA256.hash(data: data).hexString
    }
}
