import Foundation
import TocsinAudit
import TocsinCore
import TocsinProtocol
import TocsinStore

/// Template approvals: an approver's signature over the SHA-256 of the template's canonical content.
///
/// With `approval.required_approvers: N`, a template is approved only once N distinct people (uids) have approved
/// the same content hash: the two-person rule for messages that go to thousands of phones.
struct ApprovalService: Sendable {
    let store: any Store
    let configuration: ConfigurationHolder

    struct State: Sendable {
        var latest: ApprovalRecord?
        var currentHash: String
        /// Approvals of the current content, one per approver (the newest of each).
        var current: [ApprovalRecord]
        var required: Int

        var isApproved: Bool { current.count >= required }
        /// Approved once, but the template has been edited since.
        var isChanged: Bool { latest != nil && current.isEmpty }
        var label: String {
            if isApproved { return "approved" }
            if !current.isEmpty { return "partial \(current.count)/\(required)" }
            return isChanged ? "changed" : "unapproved"
        }
    }

    /// - Parameter required: approvals needed, from the configuration the caller works with (a send's snapshot);
    ///   the one in force when nil.
    func state(of template: MessageTemplate, required: Int? = nil) async throws(DaemonError) -> State {
        do {
            let records = try await store.approvals(ofTemplate: template.id)
            var seen = Set<Int64>()
            let current = records.filter { $0.contentHash == template.contentHash && seen.insert($0.approverUID).inserted }
            return State(
                latest: records.first, currentHash: template.contentHash, current: current,
                required: required ?? configuration.current.configuration.requiredApprovers
            )
        } catch {
            throw .store(error, doing: "cannot read approvals")
        }
    }

    func approve(_ template: MessageTemplate, expectedHash: String?, caller: Principal, requestAudit: AuditEvent) async throws(DaemonError) -> ApproveResult {
        if let expectedHash, expectedHash != template.contentHash {
            throw DaemonError.validation("template '\(template.id)' changed since you reviewed it; review it again (tocsinctl templates show \(template.id))")
                .said(.approvalChanged, ["template": template.id])
        }
        let before = try await state(of: template)
        if before.isApproved, let own = before.current.first(where: { $0.approverUID == Int64(caller.uid) }) {
            // Nothing to add: this content is approved, with this approver among its signatures. The request is
            // still audited, as every admin request is.
            var request = requestAudit
            request.subject = template.id
            do { try await store.commit(StoreWrite(audit: [request])) } catch { throw .store(error, doing: "cannot audit the request") }
            return ApproveResult(
                template: template.id, contentHash: template.contentHash, approvedBy: caller.displayName,
                approvedAt: Timestamp.iso(millis: own.approvedAt), approvals: before.current.count, required: before.required
            )
        }
        if before.required > 1, before.current.contains(where: { $0.approverUID == Int64(caller.uid) }) {
            throw .validation(
                "you already approved this content of '\(template.id)'; \(before.required) different approvers are required (\(before.current.count) so far), so another approver must approve it"
            ).said(.alreadyApproved, ["template": template.id, "required": String(before.required), "count": String(before.current.count)])
        }
        let now = Date()
        let record = ApprovalRecord(
            templateID: template.id, contentHash: template.contentHash, approverUID: Int64(caller.uid),
            approverName: caller.actorName, approvedAt: now.millisecondsSince1970
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
                caller.event("template.approve", subject: template.id, detail: detail, at: now.millisecondsSince1970),
            ]
        )
        do { try await store.commit(write) } catch { throw .store(error, doing: "the approval could not be stored") }
        let approvals = before.current.count + 1
        return ApproveResult(
            template: template.id, contentHash: template.contentHash, approvedBy: caller.displayName,
            approvedAt: Timestamp.iso(now), approvals: approvals, required: before.required
        )
    }
}
