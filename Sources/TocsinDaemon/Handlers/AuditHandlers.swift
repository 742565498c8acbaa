import Foundation
import Logging
import Synchronization
import TocsinAudit
import TocsinCore
import TocsinProtocol
import TocsinStore

/// Keeps the last full audit verification for a few minutes: health checks run every minute or so, and a
/// million-entry chain takes seconds to read.
final class AuditVerificationCache: Sendable {
    static let maximumAge: TimeInterval = 600
    private let last = Mutex<(at: Date, result: AuditVerifyResult)?>(nil)

    func result(refresh: () async throws(DaemonError) -> AuditVerifyResult) async throws(DaemonError) -> AuditVerifyResult {
        if let cached = last.withLock({ $0 }), Date().timeIntervalSince(cached.at) < Self.maximumAge { return cached.result }
        let fresh = try await refresh()
        last.withLock { $0 = (Date(), fresh) }
        return fresh
    }

    func invalidate() { last.withLock { $0 = nil } }
}

/// Verifies the audit chain against the keys that sign it and against what was recorded of it outside the database;
/// shared by `audit.verify`, the incident report and the health check.
struct ChainVerifier: Sendable {
    let configuration: ConfigurationHolder
    let store: any Store
    let checkpoints: CheckpointService
    /// The last full verification, reused by health checks for a while (it reads the whole chain).
    let cache = AuditVerificationCache()

    func verify() async throws(DaemonError) -> AuditVerifyResult {
        do {
            let keys = configuration.current.configuration.audit.verificationKeys
            var verification = try await store.verifyAudit(trusting: keys)
            let last = verification.lastCheckpoint
            // This process knows the last checkpoint it wrote: verified checkpoints that stop before it mean the
            // entries after them were rewritten and the later checkpoints dropped.
            let signed = checkpoints.lastSignedSeq
            if verification.problem == nil, !keys.isEmpty, signed > (last?.seq ?? 0) {
                verification.problem = .badCheckpoint(
                    seq: signed,
                    reason: "checkpoint entry \(signed), signed by this daemon, is missing or no longer a checkpoint: entries after \(last?.seq ?? 0) were rewritten"
                )
            }
            // The chain may verify on its own and still contradict what was recorded of it outside the database
            // (a tail cut with its checkpoints, a rewrite renumbered from scratch): that record has the last word.
            // "Nothing signed" is true of a chain rewritten whole, but the record says what happened: it goes first.
            let chainProblem = verification.problem
            let recordProblem = chainProblem == nil || chainProblem?.isUnsigned == true ? checkpoints.integrity.problem : nil
            return AuditVerifyResult(
                intact: chainProblem == nil && recordProblem == nil, checked: verification.checked,
                headSeq: verification.head.seq, headHash: verification.head.hash,
                brokenSeq: recordProblem.map { _ in verification.head.seq } ?? chainProblem?.seq,
                problem: recordProblem ?? chainProblem?.description,
                checkpoints: keys.isEmpty ? nil : CheckpointSummary(
                    verified: verification.checkpoints, lastSeq: last?.seq, lastSignedSeq: last?.signedSeq,
                    lastTime: last.map { Timestamp.iso(millis: $0.timeMillis) }, lastKey: last?.key,
                    unsignedEntries: verification.checked - (last?.seq ?? 0)
                )
            )
        } catch {
            throw .store(error)
        }
    }

    /// A verification at most `AuditVerificationCache.maximumAge` old.
    func recent() async throws(DaemonError) -> AuditVerifyResult {
        try await cache.result { () async throws(DaemonError) -> AuditVerifyResult in try await verify() }
    }
}

/// `audit.*`: the auditors' reading of the chain, and the approvers' accept of a gap.
struct AuditHandlers: Sendable {
    let store: any Store
    let checkpoints: CheckpointService
    let verifier: ChainVerifier

    func register(in table: inout MethodTable) {
        table.on(AdminCall.auditLog) { params, _ async throws(DaemonError) in try await log(params) }
        table.on(AdminCall.auditVerify) { _ async throws(DaemonError) in try await verifier.verify() }
        table.on(AdminCall.auditExport) { params, _ async throws(DaemonError) in try await export(params) }
        table.on(AdminCall.auditAccept, auditsRequest: true) { params, context async throws(DaemonError) in
            try await accept(params, caller: context.principal, requestAudit: context.requestAudit)
        }
    }

    func log(_ params: AuditLogParams) async throws(DaemonError) -> [AuditRecordDTO] {
        do {
            // Without a starting point, the newest entries: what an auditor checking "what just happened" wants.
            let entries = try await store.auditEntries(
                afterSeq: params.afterSeq ?? 0, limit: min(max(params.limit ?? 100, 1), 10_000), subject: params.subject,
                newest: params.afterSeq == nil
            )
            return entries.map(AuditRecordDTO.init)
        } catch {
            throw .store(error)
        }
    }

    /// `audit.accept`: an approver records that the chain's contradiction with its heads record is understood (a
    /// restored backup); signing resumes from the chain as it is. The request and the accept share one commit.
    func accept(_ params: AuditAcceptParams, caller: Principal, requestAudit: AuditEvent) async throws(DaemonError) -> AuditAcceptResult {
        let reason = params.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count >= 10 else {
            throw DaemonError.validation("say why the gap is legitimate in --reason (at least 10 characters): it is kept in the audit log for the review")
                .said(.auditReasonShort)
        }
        do {
            let accepted = try await checkpoints.accept(reason: String(reason.prefix(2000))) { record in
                var detail = AuditDetail()
                detail.set("problem", record?.problem)
                detail.set("reason", String(reason.prefix(2000)))
                detail.set("by", caller.displayName)
                return StoreWrite(audit: [requestAudit, caller.event("audit.accept", subject: "audit", detail: detail)])
            }
            verifier.cache.invalidate()
            return AuditAcceptResult(problem: accepted.problem ?? "", acceptSeq: accepted.seq, acceptHash: accepted.hash)
        } catch {
            // Recorded but not written down outside: a retry would record a second accept; the heads file is the fix.
            throw error.recorded ? .unavailable(error.description) : .validation(error.description)
        }
    }

    /// One page of the chain in order; `nextAfterSeq` moves on even when no entry of the page matched the window.
    func export(_ params: AuditExportParams) async throws(DaemonError) -> AuditExportPage {
        let limit = min(max(params.limit ?? 1000, 1), 10_000)
        do {
            let scanned = try await store.auditEntries(afterSeq: params.afterSeq, limit: limit, subject: params.subject, newest: false)
            // A window is contiguous, so an export of it verifies as a piece of the chain: from the first entry at or
            // after `since` (the caller drops `since` once it has one) up to the first entry after `until`.
            var matching: [AuditEntry] = []
            var done = scanned.count < limit
            var next = params.afterSeq
            for entry in scanned {
                if let until = params.untilMillis, entry.timeMillis > until { done = true; break }
                next = entry.seq
                if matching.isEmpty, let since = params.sinceMillis, entry.timeMillis < since { continue }
                matching.append(entry)
            }
            return AuditExportPage(entries: matching.map(AuditRecordDTO.init), nextAfterSeq: next, done: done)
        } catch {
            throw .store(error)
        }
    }
}

extension AuditRecordDTO {
    init(_ entry: AuditEntry) {
        self.init(
            seq: entry.seq, time: Timestamp.iso(millis: entry.timeMillis), timeMillis: entry.timeMillis, kind: entry.kind,
            uid: entry.actorUID, pid: entry.actorPID, subject: entry.subject, node: entry.node, detail: entry.detail,
            prevHash: entry.prevHash, hash: entry.hash
        )
    }
}
