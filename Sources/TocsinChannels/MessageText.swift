import TocsinCore

/// One language of a message as the template rendered it: plain text, variable values included.
public struct TextSection: Sendable, Hashable {
    public var language: String
    public var title: String
    public var body: String
    public var instruction: String?
    /// Variable values in the text: shortening never cuts inside one (a building name stays whole or goes whole).
    public var protected: [String]

    public init(language: String, title: String, body: String, instruction: String? = nil, protected: [String] = []) {
        self.language = language
        self.title = title
        self.body = body
        self.instruction = instruction
        self.protected = protected
    }

    init(_ message: RenderedMessage, protected: [String]) {
        self.init(language: message.language, title: message.title, body: message.body, instruction: message.instruction, protected: protected)
    }

    /// The channel's languages of `message`, in the organisation's order (French first when it leads).
    /// - Parameter short: for a channel with a small limit (SMS, X, ntfy): each language's approved short text,
    ///   untitled, where the template has one; the full text otherwise.
    static func sections(of message: OutgoingMessage, for definition: ChannelDefinition, short: Bool = false) -> [TextSection] {
        message.messages(for: definition.languages).map { rendered in
            if short, let text = rendered.short {
                return TextSection(language: rendered.language, title: "", body: text, protected: message.variableValues)
            }
            return TextSection(rendered, protected: message.variableValues)
        }
    }

    /// Body and instruction, the text under the title.
    func content(paragraph: String) -> String {
        [body, instruction ?? ""].filter { !$0.isEmpty }.joined(separator: paragraph)
    }
}

/// How one medium lays a channel's languages out as one text: one language gives its title, body and
/// instruction; several are stacked in order with a separator suited to the medium.
public struct TextLayout: Sendable {
    public var markup: Markup
    /// Around the escaped title, e.g. `("**", "**")` in Markdown or `("<b>", "</b>")` in HTML.
    public var titleWrap: (prefix: String, suffix: String)
    /// Between the title and the body.
    public var afterTitle: String
    /// Between the body and the instruction.
    public var paragraph: String
    /// Between languages, e.g. a rule line in Markdown, a dashed line in an SMS.
    public var separator: String
    /// Marks where text was shortened.
    public var ellipsis: String

    public init(
        markup: Markup, titleWrap: (prefix: String, suffix: String) = ("", ""), afterTitle: String = "\n",
        paragraph: String = "\n", separator: String, ellipsis: String = "…"
    ) {
        self.markup = markup
        self.titleWrap = titleWrap
        self.afterTitle = afterTitle
        self.paragraph = paragraph
        self.separator = separator
        self.ellipsis = ellipsis
    }

    /// The channel's text: every section escaped and joined.
    public func render(_ sections: [TextSection]) -> String {
        sections.map(render).filter { !$0.isEmpty }.joined(separator: separator)
    }

    /// One language's text: title, then body, then instruction, each escaped; empty parts are left out.
    public func render(_ section: TextSection) -> String {
        var text = ""
        if !section.title.isEmpty { text = titleWrap.prefix + markup.escape(section.title) + titleWrap.suffix }
        let content = [section.body, section.instruction ?? ""].filter { !$0.isEmpty }.map(markup.escape)
            .joined(separator: paragraph)
        if !content.isEmpty { text += (text.isEmpty ? "" : afterTitle) + content }
        return text
    }
}
