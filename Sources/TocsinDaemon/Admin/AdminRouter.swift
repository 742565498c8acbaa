import Foundation
import Logging
import TocsinAudit
import TocsinCore
import TocsinProtocol
import TocsinStore

/// Reads one admin request, checks that its principal may call it, runs its handler, and audits it, whatever
/// the outcome. It knows no method: the handler groups register theirs in the `MethodTable`.
struct AdminRouter: Sendable {
    let table: MethodTable
    /// Whose `access` lists name the roles of each principal.
    let configuration: ConfigurationHolder
    /// Where requests are audited.
    let store: any Store
    /// Checks the web user a gateway acts for (`onBehalfOf`).
    let webSignIn: WebSignIn
    let logger: Logger
    /// Refusals of callers in no role, written as one audit entry per uid per minute (AdminServer flushes it).
    let refusals = RefusalAggregator()

    /// The principal on the other end of a connection, with its roles under the running configuration.
    func principal(of credentials: PeerCredentials) -> Principal {
        Principal(
            uid: credentials.uid, gid: credentials.gid, pid: credentials.pid, groups: credentials.groups,
            policy: configuration.current.configuration.access
        )
    }

    /// The response line for `line`, or nil for a notification (a request without `id`), which JSON-RPC 2.0 runs but
    /// never answers.
    func handle(_ line: [UInt8], caller: Principal, emit: @escaping RequestContext.Emit) async -> [UInt8]? {
        // Checked first and named: invalid UTF-8 inside a string the envelope does not read (a variable's value
        // sent as raw bytes) otherwise surfaced as a vague "invalid params: malformed JSON" (fault suite,
        // HostileValueTests).
        if let offset = Self.firstInvalidUTF8(line) {
            await refuse(caller, method: nil, outcome: "parse-error")
            return encodeError(id: nil, .parseError("invalid UTF-8 at byte \(offset)"))
        }
        let request: IncomingRequest
        do {
            request = try IncomingRequest.decode(line, table: table)
        } catch {
            // JSON-RPC 2.0: -32700 only for text that is not JSON; valid JSON that is not a request object (a batch,
            // a bare value, a member of the wrong type) is an invalid request, answered with "id": null.
            if IncomingRequest.isNotJSON(error) {
                await refuse(caller, method: nil, outcome: "parse-error")
                return encodeError(id: nil, .parseError(IncomingRequest.describe(error)))
            }
            await refuse(caller, method: nil, outcome: "invalid-request")
            if line.first(where: { !Self.isJSONWhitespace($0) }) == UInt8(ascii: "[") {
                return encodeError(id: nil, .invalidRequest("batches are not supported; send one request object per line"))
            }
            return encodeError(id: nil, .invalidRequest("expected {\"jsonrpc\":\"2.0\",\"id\":…,\"method\":…,\"params\":{…}}: \(IncomingRequest.describe(error))"))
        }
        guard request.jsonrpc == JSONRPC.version, let name = request.method else {
            await refuse(caller, method: request.method, outcome: "invalid-request")
            return encodeError(id: request.id, .invalidRequest("expected {\"jsonrpc\":\"2.0\",\"id\":…,\"method\":…,\"params\":{…}}"))
        }
        var principal = caller
        if let behalf = request.onBehalfOf {
            // Before the method is looked at: a caller that may not act for web users learns nothing else.
            do {
                principal = try await webSignIn.actor(for: behalf, gateway: caller)
            } catch {
                // Counted rather than written one by one for a caller in no role (a flood of such lines).
                await refuse(caller, method: name, outcome: "refused: \(error.reason)")
                return request.hasID ? encodeError(id: request.id, RPCError(error)) : nil
            }
        }
        let answer = await run(name, request, caller: principal, emit: emit)
        return request.hasID ? answer : nil
    }

    /// A well-formed request (or notification) for method `name`.
    private func run(_ name: String, _ request: IncomingRequest, caller: Principal, emit: @escaping RequestContext.Emit) async -> [UInt8] {
        guard let entry = request.entry, let bound = request.call else {
            await refuse(caller, method: name, outcome: "method-not-found")
            // Quoted short and printable: the name is the caller's, and a 100 kB or escape-laden one must not come
            // back in full (fault suite, HostileSocketTests).
            return encodeError(id: request.id, .methodNotFound(Self.printable(name)))
        }
        do {
            try caller.authorise(entry.method)
        } catch {
            await refuse(caller, method: name, outcome: "refused: not authorised")
            if !caller.hasNoRole {
                logger.warning("admin request refused", metadata: ["caller.uid": "\(caller.uid)", "method": "\(name)"])
            }
            return encodeError(id: request.id, RPCError(error))
        }
        let context = RequestContext(principal: caller, requestAudit: auditEvent(caller: caller, method: name, outcome: "ok"), emit: emit)
        do {
            let result = try await bound.get()(context)
            if !entry.auditsRequest { await commitAudit(context.requestAudit) }
            return result.encodeResponse(id: request.id)
        } catch {
            // The one place a daemon error becomes a wire error.
            let wire = RPCError(error)
            await audit(caller: caller, method: name, outcome: "error \(wire.code) \(error.reason): \(error.message)")
            return encodeError(id: request.id, wire)
        }
    }

    /// Audits a refusal: counted for a caller in no role, one entry otherwise. The aggregated reason names a known
    /// method only (never the caller's own words) and the outcome.
    private func refuse(_ caller: Principal, method: String?, outcome: String) async {
        guard caller.hasNoRole else {
            await audit(caller: caller, method: method, outcome: outcome)
            return
        }
        let known = method.flatMap { table[$0] }?.method.rawValue
        refusals.record(caller, reason: known.map { "\($0): \(outcome)" } ?? outcome)
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private func auditEvent(caller: Principal, method: String?, outcome: String) -> AuditEvent {
        var detail = AuditDetail()
        detail.set("method", method.map { String($0.prefix(100)) })
        detail.set("user", caller.userName)
        detail.set("outcome", String(outcome.prefix(500)))
        return caller.event("admin.request", subject: "admin", detail: detail)
    }

    private func audit(caller: Principal, method: String?, outcome: String) async {
        await commitAudit(auditEvent(caller: caller, method: method, outcome: outcome))
    }

    private func commitAudit(_ event: AuditEvent) async {
        do {
            try await store.commit(StoreWrite(audit: [event]))
        } catch {
            logger.error("cannot record an admin request in the audit log", metadata: ["store.error": "\(error)"])
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
}
