/// A template rendered in one language: plain text, not yet escaped for any channel.
public struct RenderedMessage: Sendable, Codable, Hashable {
    /// The config's language code (`fr`, `en`).
    public var language: String
    public var event: String
    public var title: String
    public var body: String
    public var instruction: String?
    /// The template's short text, for channels with a small limit; nil when the template has none (and then not
    /// encoded, so what was stored and hashed before short texts is unchanged).
    public var short: String?

    public init(language: String, event: String, title: String, body: String, instruction: String? = nil, short: String? = nil) {
        self.language = language
        self.event = event
        self.title = title
        self.body = body
        self.instruction = instruction
        self.short = short
    }
}
