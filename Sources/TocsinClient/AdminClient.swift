public import FoundationEssentials
public import TocsinProtocol


/// Calls admin methods on `tocsind` over its Unix socket.
public final class AdminClient {
    public let socketPath: String
    private let connection: UnixSocketConnection
    private var nextID: Int64 = 1
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()
    /// How long a call waits for its answer before saying so (``ClientError/noAnswer(seconds:)``) rather than leaving
    /// the operator before a silent terminal: 120 s, well above the daemon's own waits on its store (seconds, with
    /// PostgreSQL reconnecting), or `TOCSIN_ANSWER_TIMEOUT` seconds (1 to 86,400). Not for `watch` (its events come
    /// when deliveries change) nor for work that grows with the stored history (``AdminMethod/growsWithHistory``).
    public var answerLimit: Duration = AdminClient.defaultAnswerLimit

    public static var defaultAnswerLimit: Duration {
        if let text = ProcessInfo.processInfo.environment["TOCSIN_ANSWER_TIMEOUT"], let seconds = Int(text), seconds > 0 {
            return .seconds(min(seconds, 86_400))
        }
        return .seconds(120)
    }

    public init(socketPath: String) throws(ClientError) {
        self.socketPath = socketPath
        connection = try UnixSocketConnection(path: socketPath)
        encoder.outputFormatting = [.withoutEscapingSlashes]
    }

    /// Calls `method` and returns its result; a JSON-RPC error becomes `ClientError.refused`.
    /// - Parameter limit: the longest wait for the answer when shorter than ``answerLimit`` (a question asked by the
    ///   way, which must not hold the operator as long as the verb itself may).
    public func call<Params: Encodable & Sendable, Result: Decodable>(
        _ method: AdminMethod, _ params: Params, as type: Result.Type = Result.self, within limit: Duration? = nil
    ) throws(ClientError) -> Result {
        let wait = method.growsWithHistory ? nil : min(answerLimit, limit ?? answerLimit)
        return try stream(method, params, as: type, answerWithin: wait) { _ in }
    }

    /// Calls `method` with the params and result types the protocol binds it to.
    public func call<Params, Result>(
        _ method: RPCMethod<Params, Result>, _ params: Params, within limit: Duration? = nil
    ) throws(ClientError) -> Result {
        try call(method.method, params, as: Result.self, within: limit)
    }

    /// Calls `method` and hands every notification line to `onNotification` until the result arrives.
    /// - Parameter answerWithin: the longest wait for each line; nil (a stream's default) waits as long as it takes.
    public func stream<Params: Encodable & Sendable, Result: Decodable>(
        _ method: AdminMethod, _ params: Params, as type: Result.Type = Result.self, answerWithin limit: Duration? = nil,
        onNotification: (Data) throws -> Void
    ) throws(ClientError) -> Result {
        let id = JSONRPC.ID.number(nextID)
        nextID += 1
        let request: Data
        do {
            request = try encoder.encode(JSONRPC.Request(id: id, method: method.rawValue, params: params))
        } catch {
            throw .badAnswer("cannot encode the request: \(error)")
        }
        do {
            try connection.writeLine(Array(request))
        } catch {
            // A daemon refusing the connection for load writes one error line and closes, possibly before the
            // request went out: that line says why, where the failed write only says "broken pipe".
            if let line = try? connection.readLine(),
                let refusal = try? decoder.decode(JSONRPC.ErrorResponse.self, from: Data(line)) {
                throw .refused(refusal.error)
            }
            throw error
        }
        while true {
            guard let line = try connection.readLine(until: limit.map { ContinuousClock.now + $0 }, limit: limit ?? .zero) else {
                throw .connectionLost("tocsind closed the connection before answering")
            }
            let data = Data(line)
            let reply: JSONRPC.Reply<Result>
            do { reply = try JSONRPC.Reply<Result>.read(data, decoder: decoder) } catch { throw .badAnswer(error.description) }
            switch reply {
            case .notification:
                do { try onNotification(data) } catch { throw .badAnswer("\(error)") }
            case .error(let error):
                throw .refused(error)
            case .result(let result):
                return result
            }
        }
    }

    /// Sends raw bytes as one line and returns the raw answer line (for tests of bad input).
    public func raw(_ line: [UInt8]) throws(ClientError) -> [UInt8]? {
        try connection.writeLine(line)
        return try connection.readLine()
    }
}

extension AdminMethod {
    /// Work that grows with the stored history (a backup; a check of the whole audit chain, which `audit accept` and
    /// an incident's report also run): its answer may take minutes on a large state, so no time limit
    /// (``AdminClient/answerLimit``) applies.
    var growsWithHistory: Bool { self == .backup || self == .auditVerify || self == .auditAccept || self == .incidentReport }
}
