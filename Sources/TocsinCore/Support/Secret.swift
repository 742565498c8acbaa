/// A secret value (token, password, signing key) that never prints itself.
///
/// Interpolating, logging or dumping a `Secret` shows a mask; only `reveal()` gives the value,
/// so every place that can leak one is easy to find with grep.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The raw value, for the one place that must send it (a header, a signature key).
    public func reveal() -> String { value }

    public var description: String { "••••••" }
    public var debugDescription: String { "Secret(••••••)" }
    /// `dump` and debuggers walk stored properties unless told otherwise.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
