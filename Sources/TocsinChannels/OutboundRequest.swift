import TocsinTransport

/// What one attempt of one delivery does: an HTTP request, an e-mail, or a file written into a folder
/// (a CAP feed that a web server publishes).
public enum OutboundRequest: Sendable {
    case http(HTTPRequest)
    case mail(MailRequest)
    case file(FileDrop)
}

/// A file to write atomically (temporary file, then rename) into a folder.
public struct FileDrop: Sendable {
    public var folder: String
    public var name: String
    public var contents: [UInt8]

    public init(folder: String, name: String, contents: [UInt8]) {
        self.folder = folder
        self.name = name
        self.contents = contents
    }
}

extension OutboundRequest {
    /// The HTTP request, if this is one.
    public var http: HTTPRequest? {
        if case .http(let request) = self { request } else { nil }
    }

    /// The e-mail, if this is one.
    public var mail: MailRequest? {
        if case .mail(let mail) = self { mail } else { nil }
    }
}
