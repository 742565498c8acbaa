import Foundation
import Logging
import TocsinCore
import TocsinProtocol
import TocsinStore

/// Decodes one admin request, checks the caller's roles, runs it, and audits it, whatever the outcome.
struct AdminRouter: Sendable {
    let daemon: DaemonContext
    /// Refusals of callers in no role, written as one audit entry per uid per minute (AdminServer flushes it).
    let refusals = RefusalAggregator()

    /// Writes one line to the client (a notification of `incident.watch`); throws when the client is gone.
    typealias Emit = @Sendable ([UInt8]) async throws -> Void

    /// The response line for `line`, or nil for a notification (a request without `id`), which JSON-RPC 2.0 runs but
    /// never answers.
    func handle(_ line: [UInt8], caller: Caller, emit: Emit) async -> [UInt8]? {
        let data = Data(line)
        // Checked first and named: invalid UTF-8 inside a string the envelope does not read (a variable's value
        // sent as raw bytes) otherwise surfaced as a vague "invalid params: malformed JSON" (fault suite,
        // HostileValueTests).
        if let offset = Self.firstInvalidUTF8(line) {
            await refuse(caller, method: nil, outcome: "parse-error")
            return encodeError(id: nil, .parseError("invalid UTF-8 at byte \(offset)"))
        }
        let envelope: JSONRPC.Envelope
        do {
            envelope = try JSONDecoder().decode(JSONRPC.Envelope.self, from: data)
        } catch {
            // JSON-RPC 2.0: -32700 only for text that is not JSON; valid JSON that is not a request object (a batch,
            // a bare value, a member of the wrong type) is an invalid request, answered with "id": null.
            if Self.isNotJSON(error) {
                await refuse(caller, method: nil, outcome: "parse-error")
                return encodeError(id: nil, .parseError(Self.describe(error)))
            }
            await refuse(caller, method: nil, outcome: "invalid-request")
            if line.first(where: { !Self.isJSONWhitespace($0) }) == UInt8(ascii: "[") {
                return encodeError(id: nil, .invalidRequest("batches are not supported; send one request object per line"))
            }
            return encodeError(id: nil, .invalidRequest("expected {\"jsonrpc\":\"2.0\",\"id\":…,\"method\":…,\"params\":{…}}: \(Self.describe(error))"))
        }
        guard envelope.jsonrpc == JSONRPC.version, let name = envelope.method else {
            await refuse(caller, method: envelope.method, outcome: "invalid-request")
            return encodeError(id: envelope.id, .invalidRequest("expected {\"jsonrpc\":\"2.0\",\"id\":…,\"method\":…,\"params\":{…}}"))
        }
        let answer = await handle(name, envelope: envelope, data: data, caller: caller, emit: emit)
        return envelope.hasID ? answer : nil
    }

    /// A well-formed request (or notification) for method `name`.
    private func handle(_ name: String, envelope: JSONRPC.Envelope, data: Data, caller: Caller, emit: Emit) async -> [UInt8] {
        guard let method = AdminMethod(rawValue: name) else {
            await refuse(caller, method: name, outcome: "method-not-found")
            // Quoted short and printable: the name is the caller's, and a 100 kB or escape-laden one must not come
            // back in full (fault suite, HostileSocketTests).
            return encodeError(id: envelope.id, .methodNotFound(Self.printable(name)))
        }
        guard caller.has(anyOf: method.roles) else {
            await refuse(caller, method: name, outcome: "refused: not authorised")
            if !Self.isAggregated(caller) {
                daemon.logger.warning("admin request refused", metadata: ["caller.uid": "\(caller.uid)", "method": "\(name)"])
            }
            let roles = method.roles.sorted().joined(separator: " or ")
            return encodeError(id: envelope.id, .notAuthorised(
                "\(caller.displayName) may not call \(name): it needs the \(roles) role. An administrator can add you under 'access' in tocsin.yaml."
            ))
        }
        let requestAudit = auditEvent(caller: caller, method: name, outcome: "ok")
        do {
            let (result, audited) = try await dispatch(method, data: data, caller: caller, requestAudit: requestAudit, emit: emit)
            if !audited { await commitAudit(requestAudit) }
            return result.encodeResponse(id: envelope.id)
        } catch {
            // The one place a daemon error becomes a wire error.
            let wire = RPCError(error)
            await audit(caller: caller, method: name, outcome: "error \(wire.code) \(error.reason): \(error.message)")
            return encodeError(id: envelope.id, wire)
        }
    }

    /// Callers in no role can do nothing: their refusals are counted, one audit entry per uid per minute
    /// (RefusalAggregator), instead of one entry each. Root has every role, so it is never aggregated.
    static func isAggregated(_ caller: Caller) -> Bool { caller.roles.isEmpty }

    /// Audits a refusal: counted for a caller in no role, one entry otherwise. The aggregated reason names a known
    /// method only (never the caller's own words) and the outcome.
    private func refuse(_ caller: Caller, method: String?, outcome: String) async {
        guard Self.isAggregated(caller) else {
            await audit(caller: caller, method: method, outcome: outcome)
            return
        }
        let known = method.flatMap(AdminMethod.init(rawValue:))?.rawValue
        refusals.record(caller, reason: known.map { "\($0): \(outcome)" } ?? outcome)
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Whether decoding failed because the text is not JSON at all (rather than JSON of the wrong shape).
    static func isNotJSON(_ error: any Error) -> Bool {
        if case DecodingError.dataCorrupted(let context) = error { return context.codingPath.isEmpty }
        return false
    }

    /// Runs the method. `audited` is true when the method committed the request's audit entry with its own write,
    /// so a send costs one transaction, not two.
    private func dispatch(
        _ method: AdminMethod, data: Data, caller: Caller, requestAudit: AuditEvent, emit: Emit
    ) async throws(DaemonError) -> (result: any EncodableResult, audited: Bool) {
        switch method {
        case .send:
            let params: SendParams = try decode(data)
            return (try await daemon.incidents.send(params, caller: caller, requestAudit: requestAudit), true)
        case .preview:
            let params: SendParams = try decode(data)
            return (try await daemon.preview(params), false)
        case .incidentStatus:
            let params: IncidentParams = try decode(data)
            return (try await daemon.incidents.status(params.incident), false)
        case .incidentList:
            let params: ListParams = try decode(data)
            return (try await daemon.recentIncidents(limit: params.limit ?? 20), false)
        case .cancel:
            let params: IncidentParams = try decode(data)
            return (try await daemon.incidents.cancel(params.incident, caller: caller, requestAudit: requestAudit), true)
        case .watch:
            let params: IncidentParams = try decode(data)
            return (try await daemon.watch(params.incident, emit: emit), false)
        case .templateList:
            return (try await daemon.templateSummaries(), false)
        case .templateShow:
            let params: TemplateParams = try decode(data)
            return (try await daemon.templateDetail(params.template), false)
        case .templateApprove:
            let params: ApproveParams = try decode(data)
            return (try await daemon.approve(params, caller: caller, requestAudit: requestAudit), true)
        case .auditLog:
            let params: AuditLogParams = try decode(data)
            return (try await daemon.auditLog(params), false)
        case .auditVerify:
            return (try await daemon.verifyAudit(), false)
        case .auditAccept:
            let params: AuditAcceptParams = try decode(data)
            return (try await daemon.acceptAudit(params, caller: caller, requestAudit: requestAudit), true)
        case .auditExport:
            let params: AuditExportParams = try decode(data)
            return (try await daemon.auditExport(params), false)
        case .incidentReport:
            let params: IncidentParams = try decode(data)
            return (try await daemon.report(params.incident), false)
        case .daemonStatus:
            return (try await daemon.status(), false)
        case .channelList:
            return (try await daemon.channelList(), false)
        case .channelTest:
            let params: ChannelParams = try decode(data)
            return (try await daemon.incidents.testChannel(params.channel, recipient: params.recipient, caller: caller, requestAudit: requestAudit), true)
        case .backup:
            let params: BackupParams = try decode(data)
            return (try await daemon.backup(params, caller: caller, requestAudit: requestAudit), true)
        case .reload:
            return (try await daemon.reloader.reload(caller: caller, requestAudit: requestAudit), true)
        case .health:
            return (await daemon.health(), false)
        }
    }

    private func decode<Params: Decodable>(_ data: Data) throws(DaemonError) -> Params {
        do {
            return try JSONDecoder().decode(JSONRPC.ParamsOnly<Params>.self, from: data).params
        } catch {
            throw .invalidParams(Self.describe(error))
        }
    }

    private func auditEvent(caller: Caller, method: String?, outcome: String) -> AuditEvent {
        var detail = AuditDetail()
        detail.set("method", method.map { String($0.prefix(100)) })
        detail.set("user", caller.userName)
        detail.set("outcome", String(outcome.prefix(500)))
        return AuditEvent(
            timeMillis: Date().millisecondsSince1970, kind: "admin.request", actorUID: Int64(caller.uid),
            actorPID: Int64(caller.pid), subject: "admin", detail: detail.json
        )
    }

    private func audit(caller: Caller, method: String?, outcome: String) async {
        await commitAudit(auditEvent(caller: caller, method: method, outcome: outcome))
    }

    private func commitAudit(_ event: AuditEvent) async {
        do {
            try await daemon.store.commit(StoreWrite(audit: [event]))
        } catch {
            daemon.logger.error("cannot record an admin request in the audit log", metadata: ["store.error": "\(error)"])
        }
    }

    private func encodeError(id: JSONRPC.ID?, _ error: RPCError) -> [UInt8] {
        Self.errorLine(id: id, error)
    }

    /// An error answer line (newline excluded), also for refusals before any request was read; its problem list
    /// capped (RPCError.capped), `"id": null` when the request's id is unknown.
    static func errorLine(id: JSONRPC.ID?, _ error: RPCError) -> [UInt8] {
        Array((try? JSONEncoder().encode(JSONRPC.ErrorResponse(id: id, error: error.capped))) ?? Data())
    }

    /// The offset of the first byte that is not part of valid UTF-8, or nil when all of `bytes` is.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = Unicode.UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// A caller-supplied word as an error may show it: at most `limit` characters, every character the value
    /// rules refuse (controls, bidirectional and other format characters) written as a `\u{…}` escape so none
    /// reaches the operator's terminal. One rule set for values and error text: ``TextValidator``.
    static func printable(_ text: String, limit: Int = 100) -> String {
        TextValidator.printable(text, limit: limit)
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
