public import FoundationEssentials

/// JSON-RPC 2.0 framing shared by `tocsind` and `tocsinctl`: one JSON object per line over the Unix socket.
public enum JSONRPC {
    public static let version = "2.0"
    /// The longest request line the daemon reads; longer ones get an error and the connection is closed.
    public static let maximumRequestBytes = 1 << 20

    public enum ID: Codable, Sendable, Hashable, CustomStringConvertible {
        case number(Int64), string(String)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) { self = .number(number); return }
            self = .string(try container.decode(String.self))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .number(let number): try container.encode(number)
            case .string(let text): try container.encode(text)
            }
        }

        public var description: String {
            switch self {
            case .number(let number): String(number)
            case .string(let text): text
            }
        }
    }

    /// What the daemon reads first of every line, before it knows the params' type.
    public struct Envelope: Decodable, Sendable {
        public var jsonrpc: String?
        public var id: ID?
        public var method: String?
        /// Whether the line has an `id` member at all: without one a request is a notification and gets no answer;
        /// with `"id": null` it is (an odd) request and is answered with `"id": null`.
        public var hasID: Bool

        private enum CodingKeys: String, CodingKey { case jsonrpc, id, method }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            jsonrpc = try container.decodeIfPresent(String.self, forKey: .jsonrpc)
            id = try container.decodeIfPresent(ID.self, forKey: .id)
            method = try container.decodeIfPresent(String.self, forKey: .method)
            hasID = container.contains(.id)
        }
    }

    public struct Request<Params: Encodable & Sendable>: Encodable, Sendable {
        public var jsonrpc = JSONRPC.version
        public var id: ID
        public var method: String
        public var params: Params
        /// Set by a web gateway only: the web user it acts for (see `OnBehalfOf`).
        public var onBehalfOf: OnBehalfOf?

        public init(id: ID, method: String, params: Params, onBehalfOf: OnBehalfOf? = nil) {
            self.id = id
            self.method = method
            self.params = params
            self.onBehalfOf = onBehalfOf
        }
    }

    public struct ParamsOnly<Params: Decodable>: Decodable {
        public var params: Params
    }

    public struct Response<Result: Encodable & Sendable>: Encodable, Sendable {
        public var jsonrpc = JSONRPC.version
        public var id: ID?
        public var result: Result

        public init(id: ID?, result: Result) {
            self.id = id
            self.result = result
        }

        private enum CodingKeys: String, CodingKey { case jsonrpc, id, result }

        /// `id` is always written, `null` when the request's was: JSON-RPC 2.0 requires the member in every answer.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(jsonrpc, forKey: .jsonrpc)
            try container.encode(id, forKey: .id)
            try container.encode(result, forKey: .result)
        }
    }

    public struct ErrorResponse: Codable, Sendable {
        public var jsonrpc = JSONRPC.version
        public var id: ID?
        public var error: RPCError

        public init(id: ID?, error: RPCError) {
            self.id = id
            self.error = error
        }

        private enum CodingKeys: String, CodingKey { case jsonrpc, id, error }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            jsonrpc = try container.decodeIfPresent(String.self, forKey: .jsonrpc) ?? JSONRPC.version
            id = try container.decodeIfPresent(ID.self, forKey: .id)
            error = try container.decode(RPCError.self, forKey: .error)
        }

        /// `"id": null` when the request's id is unknown (a parse error, a line too long), as JSON-RPC 2.0 requires.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(jsonrpc, forKey: .jsonrpc)
            try container.encode(id, forKey: .id)
            try container.encode(error, forKey: .error)
        }
    }

    public struct Notification<Params: Encodable & Sendable>: Encodable, Sendable {
        public var jsonrpc = JSONRPC.version
        public var method: String
        public var params: Params

        public init(method: String, params: Params) {
            self.method = method
            self.params = params
        }
    }

    /// A line from the daemon, as the client first reads it.
    public struct Incoming<Result: Decodable>: Decodable {
        public var id: ID?
        public var method: String?
        public var result: Result?
        public var error: RPCError?
    }

    /// One line a client reads back: a notification (`incident.watch`'s events) before the answer, or the answer.
    public enum Reply<Result: Decodable> {
        case notification
        case result(Result)
        case error(RPCError)

        /// Reads `line`; a line that is none of these is described in the error, for a message.
        public static func read(_ line: Data, decoder: JSONDecoder = JSONDecoder()) throws(ReplyProblem) -> Reply<Result> {
            let incoming: Incoming<Result>
            do { incoming = try decoder.decode(Incoming<Result>.self, from: line) } catch { throw ReplyProblem(description: "\(error)") }
            if incoming.method != nil, incoming.id == nil { return .notification }
            if let error = incoming.error { return .error(error) }
            guard let result = incoming.result else { throw ReplyProblem(description: "an answer with neither result nor error") }
            return .result(result)
        }
    }

    public struct ReplyProblem: Error, CustomStringConvertible {
        public let description: String
    }
}

/// A JSON-RPC error object; `data.problems` lists every problem of a refused request.
public struct RPCError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    public struct Details: Codable, Sendable, Hashable {
        public var problems: [String]?
        public var hint: String?
        /// A stable code for the cause (`not-found`, `validation`, `store.full`, …), for programs and translations;
        /// the message stays the text for people.
        public var reason: String?
        /// Required variables that were given no value (a send without `--set building=…`): a client on a terminal
        /// asks for them.
        public var missing: [String]? = nil
        /// The message by key, for a client that shows it in its operator's language (``OperatorText``).
        public var said: Said? = nil
        /// Each of `problems` by key, in the same order (shorter when a problem has no key: the rest are shown as
        /// they are).
        public var problemsSaid: [Said]? = nil

        /// Problems listed in one answer; past it the list ends with "… and N more", so a request with 60,000 unknown
        /// variables cannot make a 5 MB answer.
        public static let maximumProblems = 20
        /// Characters of one problem (it may quote a caller's value).
        public static let maximumProblemLength = 300

        public init(problems: [String]? = nil, hint: String? = nil, reason: String? = nil) {
            self.problems = problems.map(Self.capped)
            self.hint = hint
            self.reason = reason
        }

        /// At most `maximumProblems` problems of at most `maximumProblemLength` characters, then a count of the rest.
        public static func capped(_ problems: [String]) -> [String] {
            let shown = problems.prefix(maximumProblems).map { $0.count > maximumProblemLength ? $0.prefix(maximumProblemLength) + "…" : $0 }
            let rest = problems.count - shown.count
            return rest > 0 ? shown + ["… and \(rest) more"] : shown
        }
    }

    public var code: Int
    public var message: String
    public var data: Details?

    public init(code: Int, message: String, data: Details? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String {
        var text = message
        if let problems = data?.problems, !problems.isEmpty { text += "\n" + problems.map { "  - \($0)" }.joined(separator: "\n") }
        if let hint = data?.hint { text += "\n" + hint }
        return text
    }

    // JSON-RPC's own codes.
    public static let parseErrorCode = -32700
    public static let invalidRequestCode = -32600
    public static let methodNotFoundCode = -32601
    public static let invalidParamsCode = -32602
    public static let internalErrorCode = -32603
    // Tocsin's, in the range JSON-RPC leaves to servers.
    public static let validationCode = -32001
    public static let notAuthorisedCode = -32002
    public static let notApprovedCode = -32003
    public static let notFoundCode = -32004
    public static let unavailableCode = -32005
    public static let timeoutCode = -32006
    /// The daemon refused the connection for load (too many connections or buffered bytes); nothing was done.
    public static let busyCode = -32007
    /// Allowed for this caller, but refused in the current state of what it names (a resend after the all-clear);
    /// nothing was done. The CLI exits 4, as for any refusal.
    public static let refusedCode = -32008

    public static func parseError(_ detail: String) -> RPCError { .init(code: parseErrorCode, message: "the request is not valid JSON: \(detail)") }
    public static func invalidRequest(_ detail: String) -> RPCError { .init(code: invalidRequestCode, message: "invalid JSON-RPC request: \(detail)") }
    public static func methodNotFound(_ method: String) -> RPCError { .init(code: methodNotFoundCode, message: "unknown method '\(method)'") }
    public static func invalidParams(_ detail: String) -> RPCError { .init(code: invalidParamsCode, message: "invalid params: \(detail)") }
    public static func validation(_ message: String, problems: [String]? = nil, hint: String? = nil) -> RPCError {
        .init(code: validationCode, message: message, data: .init(problems: problems, hint: hint))
    }
    public static func notAuthorised(_ message: String) -> RPCError { .init(code: notAuthorisedCode, message: message) }
    public static func notApproved(_ message: String, hint: String) -> RPCError {
        .init(code: notApprovedCode, message: message, data: .init(hint: hint))
    }
    public static func notFound(_ message: String) -> RPCError { .init(code: notFoundCode, message: message) }
    public static func unavailable(_ message: String) -> RPCError { .init(code: unavailableCode, message: message) }
    public static func busy(_ message: String) -> RPCError { .init(code: busyCode, message: message) }

    /// This error with its problem list capped (see ``Details/capped(_:)``): the last guard before an answer is written.
    public var capped: RPCError {
        guard let problems = data?.problems, problems.count > Details.maximumProblems + 1
            || problems.contains(where: { $0.count > Details.maximumProblemLength + 1 }) else { return self }
        var copy = self
        copy.data?.problems = Details.capped(problems)
        // Keyed problems past the cap are dropped with them; the "… and N more" line has no key.
        if let keyed = copy.data?.problemsSaid { copy.data?.problemsSaid = Array(keyed.prefix(Details.maximumProblems)) }
        return copy
    }
}
