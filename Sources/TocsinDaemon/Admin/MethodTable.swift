import Foundation
import TocsinCore
import TocsinProtocol
import TocsinStore

/// What a handler is given besides its params: who acts, the audit entry of the request, and the way to stream
/// notifications back (`incident.watch`).
struct RequestContext: Sendable {
    /// Writes one line to the client; throws when the client is gone.
    typealias Emit = @Sendable ([UInt8]) async throws -> Void

    let principal: Principal
    /// The request's `admin.request` entry, for handlers that commit it with their own write.
    let requestAudit: AuditEvent
    let emit: Emit
}

/// A request whose params are decoded and checked against its method's types: all that is left is to run it.
typealias BoundCall = @Sendable (RequestContext) async throws(DaemonError) -> any EncodableResult

/// The admin methods the daemon serves, each bound to a handler of its declared params and result types
/// (`RPCMethod`): registering a handler of another shape does not compile.
struct MethodTable: Sendable {
    struct Entry: Sendable {
        let method: AdminMethod
        /// True when the handler commits the request's audit entry in its own transaction (a send is one commit,
        /// not two); the router commits it otherwise.
        let auditsRequest: Bool
        /// Decodes the params from the request being read (the line is parsed once) and binds them to the handler.
        let bind: @Sendable (KeyedDecodingContainer<IncomingRequest.Key>) -> Result<BoundCall, DaemonError>
    }

    private(set) var entries: [String: Entry] = [:]

    subscript(name: String) -> Entry? { entries[name] }

    /// Registers the handler of a method with params.
    mutating func on<Params, Result: EncodableResult>(
        _ method: RPCMethod<Params, Result>, auditsRequest: Bool = false,
        _ handler: @escaping @Sendable (Params, RequestContext) async throws(DaemonError) -> Result
    ) {
        add(Entry(method: method.method, auditsRequest: auditsRequest) { container in
            do {
                return .success(Self.bind(try container.decode(Params.self, forKey: .params), to: handler))
            } catch {
                return .failure(.invalidParams(IncomingRequest.describe(error)))
            }
        })
    }

    /// Registers the handler of a method without params: whatever `params` holds, if anything, is not read.
    mutating func on<Result: EncodableResult>(
        _ method: RPCMethod<EmptyParams, Result>, auditsRequest: Bool = false,
        _ handler: @escaping @Sendable (RequestContext) async throws(DaemonError) -> Result
    ) {
        add(Entry(method: method.method, auditsRequest: auditsRequest) { _ in .success(Self.bind(EmptyParams(), to: { _, context async throws(DaemonError) in try await handler(context) })) })
    }

    /// Built outside the decoding closure: a typed-throws closure nested in another crashes Swift 6.3's SILGen.
    private static func bind<Params: Sendable, Result: EncodableResult>(
        _ params: Params, to handler: @escaping @Sendable (Params, RequestContext) async throws(DaemonError) -> Result
    ) -> BoundCall {
        { context async throws(DaemonError) in try await handler(params, context) }
    }

    private mutating func add(_ entry: Entry) {
        precondition(entries[entry.method.rawValue] == nil, "\(entry.method.rawValue) registered twice")
        entries[entry.method.rawValue] = entry
    }

    /// Methods of the protocol that no handler serves (a test checks there are none).
    var unserved: [AdminMethod] { AdminMethod.allCases.filter { entries[$0.rawValue] == nil } }
}

/// One request line, decoded in a single pass: the envelope, and the params as the method's own type when the
/// method is known (found through the decoder's `userInfo`).
struct IncomingRequest: Decodable {
    enum Key: String, CodingKey { case jsonrpc, id, method, params, onBehalfOf }

    static let tableKey = CodingUserInfoKey(rawValue: "tocsin.methodTable")!

    var jsonrpc: String?
    var id: JSONRPC.ID?
    var method: String?
    /// Whether the line has an `id` member at all: without one a request is a notification and gets no answer;
    /// with `"id": null` it is (an odd) request and is answered with `"id": null`.
    var hasID: Bool
    /// The web user a gateway acts for (checked by the router before anything else is).
    var onBehalfOf: OnBehalfOf?
    /// The method's entry, when known.
    var entry: MethodTable.Entry?
    /// The handler bound to its params, or why the params are invalid; reported only once the caller is known to
    /// be allowed the method (a refused caller learns nothing about params).
    var call: Result<BoundCall, DaemonError>?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        jsonrpc = try container.decodeIfPresent(String.self, forKey: .jsonrpc)
        id = try container.decodeIfPresent(JSONRPC.ID.self, forKey: .id)
        method = try container.decodeIfPresent(String.self, forKey: .method)
        hasID = container.contains(.id)
        onBehalfOf = try container.decodeIfPresent(OnBehalfOf.self, forKey: .onBehalfOf)
        if let method, let table = decoder.userInfo[Self.tableKey] as? MethodTable, let entry = table[method] {
            self.entry = entry
            call = entry.bind(container)
        }
    }

    /// Decodes `line` against `table`.
    static func decode(_ line: [UInt8], table: MethodTable) throws -> IncomingRequest {
        let decoder = JSONDecoder()
        decoder.userInfo[tableKey] = table
        return try decoder.decode(IncomingRequest.self, from: Data(line))
    }

    /// Decoding errors in words, without echoing the request (which may be large or hostile).
    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "malformed JSON" : "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default:
            return "malformed request"
        }
    }

    /// Whether decoding failed because the text is not JSON at all (rather than JSON of the wrong shape).
    static func isNotJSON(_ error: any Error) -> Bool {
        if case DecodingError.dataCorrupted(let context) = error { return context.codingPath.isEmpty }
        return false
    }
}

/// A method's result, encodable into a response line without knowing its type at the call site.
protocol EncodableResult: Encodable, Sendable {}

extension EncodableResult {
    func encodeResponse(id: JSONRPC.ID?) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array((try? encoder.encode(JSONRPC.Response(id: id, result: self))) ?? Data())
    }
}

extension IncidentStatus: EncodableResult {}
extension ResendResult: EncodableResult {}
extension PreviewResult: EncodableResult {}
extension TemplateDetail: EncodableResult {}
extension ApproveResult: EncodableResult {}
extension AuditVerifyResult: EncodableResult {}
extension HealthReport: EncodableResult {}
extension DaemonStatus: EncodableResult {}
extension ReloadResult: EncodableResult {}
extension ChannelInfo: EncodableResult {}
extension BackupResult: EncodableResult {}
extension AuditAcceptResult: EncodableResult {}
extension Array: EncodableResult where Element: EncodableResult {}
extension IncidentSummary: EncodableResult {}
extension TemplateSummary: EncodableResult {}
extension AuditRecordDTO: EncodableResult {}
extension IncidentReport: EncodableResult {}
extension AuditExportPage: EncodableResult {}
extension String: EncodableResult {}
extension WebUserSummary: EncodableResult {}
extension WebUserEnrolment: EncodableResult {}
extension WebUserChangeResult: EncodableResult {}
extension WebSignInResult: EncodableResult {}
