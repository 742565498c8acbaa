/// One value of a follow-up that differs from the message it follows (`assembly_point: Stationnement P1 →
/// Stationnement P3`): the one thing an operator must check before confirming an update.
public struct ValueChange: Codable, Sendable, Hashable {
    public var name: String
    /// The value in the message followed; nil when that message had none (a value the follow-up's template adds).
    public var before: String?
    public var after: String

    public init(name: String, before: String?, after: String) {
        self.name = name
        self.before = before
        self.after = after
    }

    /// The changes from `previous` to `current`: every value that moved, and every value newly `given` by the
    /// operator. A value that only a different template's default brings in is left out (noise on an all-clear).
    public static func between(previous: [String: String], current: [String: String], given: Set<String>) -> [ValueChange] {
        current.sorted { $0.key < $1.key }.compactMap { name, value in
            let before = previous[name]
            guard before != value, before != nil || given.contains(name) else { return nil }
            return ValueChange(name: name, before: before, after: value)
        }
    }
}
