/// A variable a template declares: whether it must be given, its default, and the values it may take.
public struct VariableSpec: Sendable, Codable, Hashable {
    public var name: String
    public var required: Bool
    public var defaultValue: String?
    public var allowed: [String]?

    public init(name: String, required: Bool = false, defaultValue: String? = nil, allowed: [String]? = nil) {
        self.name = name
        self.required = required
        self.defaultValue = defaultValue
        self.allowed = allowed
    }
}
