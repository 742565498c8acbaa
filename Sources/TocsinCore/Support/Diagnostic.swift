/// One problem found in a config or template file, with where it is when the parser knows.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case error, warning }

    public var severity: Severity
    public var file: String?
    public var line: Int?
    public var message: String

    public init(_ severity: Severity, _ message: String, file: String? = nil, line: Int? = nil) {
        self.severity = severity
        self.message = message
        self.file = file
        self.line = line
    }

    public static func error(_ message: String, file: String? = nil, line: Int? = nil) -> Diagnostic {
        Diagnostic(.error, message, file: file, line: line)
    }

    public static func warning(_ message: String, file: String? = nil, line: Int? = nil) -> Diagnostic {
        Diagnostic(.warning, message, file: file, line: line)
    }

    /// `file:line: error: message`, the form editors and `grep -n` users recognise.
    public var description: String {
        var location = ""
        if let file { location = line.map { "\(file):\($0): " } ?? "\(file): " }
        return "\(location)\(severity.rawValue): \(message)"
    }
}

extension Array where Element == Diagnostic {
    public var errors: [Diagnostic] { filter { $0.severity == .error } }
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
