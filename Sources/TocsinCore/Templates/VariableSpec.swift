/// A variable a template declares: whether it must be given, its default, and the values it may take.
public struct VariableSpec: Sendable, Codable, Hashable {
    public var name: String
    public var required: Bool
    public var defaultValue: String?
    public var allowed: [String]?
    /// The longest value a send may give, in characters: what the template's texts were checked to fit with.
    /// Encoded only when declared, so a template without it hashes as before.
    public var maxLength: Int?

    public init(name: String, required: Bool = false, defaultValue: String? = nil, allowed: [String]? = nil, maxLength: Int? = nil) {
        self.name = name
        self.required = required
        self.defaultValue = defaultValue
        self.allowed = allowed
        self.maxLength = maxLength
    }
}
