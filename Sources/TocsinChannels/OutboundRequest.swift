public import TocsinRequests

/// What one attempt of one delivery does: an HTTP request, an e-mail, or a file written into a folder
/// (a CAP feed that a web server publishes).
public enum OutboundRequest: Sendable {
    case http(HTTPRequest)
    case mail(MailRequest)
    case file(FileDrop)
}

/// Files to write into a folder, each atomically (temporary file, then rename), in order.
///
/// `derived` serves feeds: it computes more files (an index) from what the folder holds once `files` are written,
/// and the writer runs it under a lock so that two drops into one folder never build their index from the same
/// old state.
public struct FileDrop: Sendable {
    public struct File: Sendable {
        public var name: String
        public var contents: [UInt8]

        public init(name: String, contents: [UInt8]) {
            self.name = name
            self.contents = contents
        }
    }

    public var folder: String
    /// Written first, in order.
    public var files: [File]
    /// Given the folder, the files to write next, in order; nil for none.
    public var derived: (@Sendable (_ folder: String) throws -> [File])?

    public init(folder: String, name: String, contents: [UInt8]) {
        self.init(folder: folder, files: [File(name: name, contents: contents)])
    }

    public init(folder: String, files: [File], derived: (@Sendable (_ folder: String) throws -> [File])? = nil) {
        self.folder = folder
        self.files = files
        self.derived = derived
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
