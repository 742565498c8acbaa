import TocsinProtocol
import TocsinStore

/// Why the daemon could not do what was asked: the one error of every handler, with a code that a caller (the
/// CLI, later a web console) can act on or translate, and the store's own code kept when the store failed.
///
/// It becomes a JSON-RPC error once, at the admin socket's edge (`RPCError.init(_:)`); handlers never build wire
/// errors themselves.
struct DaemonError: Error, Sendable, CustomStringConvertible {
    enum Code: String, Sendable {
        case invalidParams = "invalid-params"
        case validation
        case notAuthorised = "not-authorised"
        case notApproved = "not-approved"
        case notFound = "not-found"
        case unavailable
        case busy
        /// Allowed, but only once the caller confirms what it will do (a public test post).
        case needsConfirmation = "needs-confirmation"
        /// Allowed for the caller, refused in the current state (a resend after the all-clear); nothing was done.
        case refused
        /// The state database failed; `storeCode` says how (full, busy, corrupt, …).
        case store
    }

    var code: Code
    /// For the operator: what happened and what to do next.
    var message: String
    /// Every problem of a refused request (bad values, an invalid config on reload).
    var problems: [String]?
    var hint: String?
    var storeCode: StoreError.Code?
    /// Required variables given no value, for a client that can ask for them.
    var missing: [String]?
    /// The message (and its hint) by key, for a client that says it in the operator's language; `message` stays
    /// the English text.
    var said: Said?
    /// Each of `problems` by key, in the same order.
    var problemsSaid: [Said]?

    init(_ code: Code, _ message: String, problems: [String]? = nil, hint: String? = nil, storeCode: StoreError.Code? = nil) {
        self.code = code
        self.message = message
        self.problems = problems
        self.hint = hint
        self.storeCode = storeCode
    }

    var description: String { message }

    /// A stable, machine-readable reason: the code, and the store's code after a dot (`store.full`).
    var reason: String { storeCode.map { "\(code.rawValue).\($0.rawValue)" } ?? code.rawValue }

    /// This error, said by key too.
    func said(_ key: Said.Key, _ arguments: [String: String] = [:], lists: [String: [String]] = [:]) -> DaemonError {
        var copy = self
        copy.said = Said(key, arguments, lists: lists)
        return copy
    }

    static func invalidParams(_ detail: String) -> DaemonError { .init(.invalidParams, "invalid params: \(detail)") }
    static func validation(_ message: String, problems: [String]? = nil, hint: String? = nil) -> DaemonError {
        .init(.validation, message, problems: problems, hint: hint)
    }
    static func notAuthorised(_ message: String) -> DaemonError { .init(.notAuthorised, message) }
    static func notApproved(_ message: String, hint: String) -> DaemonError { .init(.notApproved, message, hint: hint) }
    static func notFound(_ message: String) -> DaemonError { .init(.notFound, message) }
    static func unavailable(_ message: String) -> DaemonError { .init(.unavailable, message) }
    static func refused(_ message: String, hint: String? = nil) -> DaemonError { .init(.refused, message, hint: hint) }

    /// A failure of the store (its code kept), or any other error as `unavailable`; `doing` starts the message,
    /// unless the store's message already does (PostgreSQL's say "cannot read approvals: …" themselves).
    static func store(_ error: any Error, doing: String? = nil) -> DaemonError {
        if let error = error as? DaemonError { return error }
        let said = "\(error)"
        let text = doing.map { said.hasPrefix($0) ? said : "\($0): \(said)" } ?? said
        guard let error = error as? StoreError else { return .init(.unavailable, text) }
        return .init(.store, text, storeCode: error.code)
    }
}

extension RPCError {
    /// The one mapping from the daemon's errors to the wire.
    init(_ error: DaemonError) {
        let code: Int
        switch error.code {
        case .invalidParams: code = RPCError.invalidParamsCode
        case .validation, .needsConfirmation: code = RPCError.validationCode
        case .notAuthorised: code = RPCError.notAuthorisedCode
        case .notApproved: code = RPCError.notApprovedCode
        case .notFound: code = RPCError.notFoundCode
        case .unavailable, .store: code = RPCError.unavailableCode
        case .busy: code = RPCError.busyCode
        case .refused: code = RPCError.refusedCode
        }
        var data = Details(problems: error.problems, hint: error.hint, reason: error.reason)
        data.missing = error.missing
        data.said = error.said
        data.problemsSaid = error.problemsSaid.map { Array($0.prefix(Details.maximumProblems)) }
        self.init(code: code, message: error.message, data: data)
    }
}
