import Foundation
import TocsinCore
import TocsinProtocol
import TocsinStore

/// Template approvals: an approver's signature over the SHA-256 of the template's canonical content.
struct ApprovalService: Sendable {
    let store: any Store

    struct State: Sendable {
        var latest: ApprovalRecord?
        var currentHash: String

        var isApproved: Bool { latest?.contentHash == currentHash }
        /// Approved once, but the template has been edited since.
        var isChanged: Bool { latest != nil && !isApproved }
        var label: String { isApproved ? "approved" : (isChanged ? "changed" : "unapproved") }
    }

    func state(of template: MessageTemplate) async throws(RPCError) -> State {
        do {
            let records = try await store.approvals(ofTemplate: template.id)
            return State(latest: records.first, currentHash: template.contentHash)
        } catch {
            throw .unavailable("cannot read approvals: \(error)")
        }
    }

    func approve(_ template: MessageTemplate, expectedHash: String?, caller: Caller, requestAudit: AuditEvent) async throws(RPCError) -> ApproveResult {
        if let expectedHash, expectedHash != template.contentHash {
            throw .validation("template '\(template.id)' changed since you reviewed it; review it again (tocsinctl templates show \(template.id))")
        }
        let now = Date()
        let record = ApprovalRecord(
            templateID: template.id, contentHash: template.contentHash, approverUID: Int64(caller.uid),
            approverName: caller.userName, approvedAt: now.millisecondsSince1970
        )
        var detail = AuditDetail()
        detail.set("template", template.id)
        detail.set("content_hash", template.contentHash)
        detail.set("approver", caller.displayName)
        var request = requestAudit
        request.subject = template.id
        let write = StoreWrite(
            approvals: [record],
            audit: [
                request,
                AuditEvent(timeMillis: now.millisecondsSince1970, kind: "template.approve", actorUID: Int64(caller.uid), actorPID: Int64(caller.pid), subject: template.id, detail: detail.json),
            ]
        )
        do { try await store.commit(write) } catch { throw .unavailable("the approval could not be stored: \(error)") }
        return ApproveResult(template: template.id, contentHash: template.contentHash, approvedBy: caller.displayName, approvedAt: Timestamp.iso(now))
    }
}
