import Foundation
import Logging
import TocsinAudit
import TocsinChannels
import TocsinCore
import TocsinProtocol
import TocsinStore

extension IncidentService {
    /// What a resend found: the incident, its channel, and which of the channel's deliveries are reopened.
    private struct ResendPlan {
        var incident: IncidentRecord
        var channel: ChannelDefinition
        var failed: [DeliveryRecord]
        var delivered: Int
        var cancelled: Int
        var payload: EncodedPayload
    }

    /// Reopens the failed deliveries of one channel of an incident and sends them again: the stored bytes (what
    /// was approved and encoded at send time) under the same ids (`webhook-id`), so a receiver that did get an
    /// earlier copy drops it. Delivered and cancelled deliveries are left alone. Refused once the incident's thread
    /// has an all-clear or a cancel, for a channel no longer configured, and when nothing on the channel failed.
    /// With `params.dryRun`, checks and counts only (the confirmation screen).
    func resend(_ params: ResendParams, caller: Principal, requestAudit: AuditEvent) async throws(DaemonError) -> ResendResult {
        let active = configuration.current
        let plan = try await resendPlan(params, active: active)
        if params.dryRun != true { try await caller.requireStepUp(forLive: plan.incident.status == CAP.Status.actual.rawValue) }
        let now = Date()
        let nowMillis = now.millisecondsSince1970
        let deadline = now.addingTimeInterval(active.retryPolicy.deadline.seconds)
        var request = requestAudit
        request.subject = plan.incident.id
        if params.dryRun == true {
            do { try await store.commit(StoreWrite(audit: [request])) } catch { throw .store(error) }
            return result(plan, dryRun: true, deadline: deadline, deliveries: plan.failed.map(DeliveryStatusMapper.status(of:)))
        }
        var write = StoreWrite(audit: [request])
        write.reopened = plan.failed.map { DeliveryReopening(id: $0.id, deadlineAt: deadline.millisecondsSince1970, updatedAt: nowMillis) }
        var detail = AuditDetail()
        detail.set("channel", plan.channel.name)
        detail.set("deliveries", plan.failed.count)
        // The ids name what was reopened; past a thousand (an SMS list) their hash keeps the entry small, and each
        // delivery's own attempts and end are audited under its id anyway.
        let ids = plan.failed.map(\.id)
        if ids.count <= 1000 { detail.setJSON("ids", Self.json(ids)) } else { detail.set("ids_sha256", Digest.sha256(ids.sorted().joined(separator: "\n"))) }
        detail.set("not_resent_delivered", plan.delivered)
        detail.set("not_resent_cancelled", plan.cancelled)
        detail.set("deadline", Timestamp.iso(deadline))
        detail.set("payload_sha256", Digest.sha256(plan.payload.body))
        detail.set("by", caller.displayName)
        write.audit.append(caller.event("incident.resend", subject: plan.incident.id, detail: detail, at: nowMillis))
        do {
            try await store.commit(write)
        } catch {
            if error.code == .constraint {
                throw DaemonError.refused("the failed deliveries of '\(plan.channel.name)' changed meanwhile (another resend?); nothing was re-sent by this one", hint: "See: tocsinctl status \(plan.incident.id)")
                    .said(.resendRaced, ["channel": plan.channel.name, "incident": plan.incident.id])
            }
            throw .store(error, doing: "the resend could not be recorded, so nothing was re-sent")
        }
        var jobs: [DeliveryJob] = []
        for record in plan.failed {
            var job = DeliveryJob(
                id: record.id, incidentID: record.incidentID, channel: record.channel, recipient: record.recipient,
                payload: plan.payload, endpoint: active.endpoints[record.channel], createdAt: Date(millis: record.createdAt),
                deadlineAt: deadline, state: .pending, attempts: record.attempts, lastStatus: record.lastStatus
            )
            job.cost = DeliveryJob.cost(of: plan.payload, type: plan.channel.type)
            jobs.append(job)
        }
        dispatcher.enqueue(jobs)
        // An all-clear or a cancel that landed between the check and the enqueue (they cancel what the dispatcher
        // holds once they are stored): looked at again now that the reopened deliveries are held, so one of the two
        // always stops them.
        if let end = try? await threadEnd(of: plan.incident) {
            logger.warning("the thread ended while failed deliveries were reopened; they are cancelled", metadata: [
                "incident.id": "\(plan.incident.id)", "reason": "\(end)",
            ])
            _ = await dispatcher.cancel(incidentID: plan.incident.id, caller: caller)
        }
        logger.notice("failed deliveries reopened", metadata: [
            "incident.id": "\(plan.incident.id)", "channel": "\(plan.channel.name)", "deliveries": "\(jobs.count)", "caller.uid": "\(caller.uid)",
        ])
        return result(plan, dryRun: false, deadline: deadline, deliveries: jobs.map(DeliveryStatusMapper.status(of:)))
    }

    private func result(_ plan: ResendPlan, dryRun: Bool, deadline: Date, deliveries: [DeliveryStatus]) -> ResendResult {
        ResendResult(
            incident: plan.incident.id, channel: plan.channel.name, type: plan.channel.type.rawValue, template: plan.incident.templateID,
            status: plan.incident.status, msgType: plan.incident.msgType, dryRun: dryRun, failed: plan.failed.count,
            recipients: plan.channel.type.isPerRecipient ? plan.failed.count : 0, delivered: plan.delivered,
            cancelled: plan.cancelled, deadline: Timestamp.iso(deadline), deliveries: deliveries
        )
    }

    private func resendPlan(_ params: ResendParams, active: ActiveConfiguration) async throws(DaemonError) -> ResendPlan {
        do {
            guard let incident = try await store.incident(params.incident) else {
                throw DaemonError.notFound("no incident '\(params.incident)'; `tocsinctl status` lists recent ones").said(.noIncident, ["incident": TextValidator.printable(params.incident)])
            }
            if incident.status == CAP.Status.system.rawValue {
                throw DaemonError.refused("incident \(incident.id) is a heartbeat: it is not re-sent (the next one goes on schedule)")
                    .said(.resendHeartbeat, ["incident": incident.id])
            }
            if let end = try await threadEnd(of: incident) {
                let how = end.allClear ? "its thread has the all-clear \(end.id)" : "incident \(end.id) of its thread was cancelled (tocsinctl cancel)"
                throw DaemonError.refused(
                    "incident \(incident.id) is over: \(how); an alert must never land after its all-clear, so nothing was re-sent",
                    hint: "To reach people again, send a new alert (tocsinctl send …)."
                ).said(.resendOver, ["incident": incident.id, "end": end.allClear ? "all-clear" : "cancel", "other": end.id])
            }
            let name = params.channel
            guard let channel = active.configuration.channels[name] else {
                throw DaemonError.refused("channel '\(name)' is no longer configured; nothing was re-sent", hint: "Add it back and run tocsinctl reload, or send a new alert.")
                    .said(.resendChannelGone, ["channel": TextValidator.printable(name)])
            }
            if active.endpoints[name] == nil {
                throw DaemonError.refused("channel '\(name)' cannot send (\(active.unavailable[name] ?? "not configured")); nothing was re-sent", hint: "Fix its configuration and run tocsinctl reload first.")
                    .said(.resendChannelCannotSend, ["channel": name, "reason": active.unavailable[name] ?? "not configured"])
            }
            let deliveries = try await store.deliveries(ofIncident: incident.id)
            let mine = deliveries.filter { $0.channel == name }
            let failed = mine.filter { DeliveryState(rawValue: $0.state)?.isReopenable ?? false }
            guard !failed.isEmpty else {
                let withFailures = Set(deliveries.filter { $0.state == DeliveryState.failed.rawValue }.map(\.channel)).sorted()
                let states = Dictionary(grouping: mine, by: \.state).map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ")
                throw DaemonError.refused(
                    "incident \(incident.id) has no failed delivery on channel '\(name)' (\(mine.isEmpty ? "it did not go there" : states)); nothing was re-sent",
                    hint: withFailures.isEmpty ? "Nothing failed in this incident." : "Channels with failed deliveries: \(withFailures.joined(separator: ", "))."
                ).said(.resendNothingFailed, ["incident": incident.id, "channel": name], lists: ["failing": withFailures])
            }
            let key = PayloadKey(incidentID: incident.id, channel: name)
            // A channel that could not encode at send time stored no bytes: there is nothing approved to send again.
            guard let stored = try await store.payloads(for: [key])[key], !stored.body.isEmpty else {
                throw DaemonError.refused(
                    "channel '\(name)' could not send when incident \(incident.id) was created, so no message was stored for it; nothing was re-sent",
                    hint: "Send an update over that channel instead (tocsinctl update \(incident.id) \(incident.templateID) --route …)."
                ).said(.resendNoStoredMessage, ["incident": incident.id, "channel": name, "template": incident.templateID])
            }
            return ResendPlan(
                incident: incident, channel: channel, failed: failed,
                delivered: mine.count { $0.state == DeliveryState.delivered.rawValue },
                cancelled: mine.count { $0.state == DeliveryState.cancelled.rawValue },
                payload: EncodedPayload(contentType: stored.contentType, body: Array(stored.body))
            )
        } catch let error as DaemonError {
            throw error
        } catch {
            throw .store(error)
        }
    }

    /// Why `incident`'s thread is over, or nil: an all-clear (a Cancel follow-up) of the thread other than `incident`
    /// itself (an all-clear that failed on a channel may be re-sent: it is the last word), or an operator's
    /// `tocsinctl cancel` of any incident in it.
    /// What ended the incident's thread, if anything: its all-clear, or a cancelled member.
    private func threadEnd(of incident: IncidentRecord) async throws -> (allClear: Bool, id: String)? {
        var root = incident
        var hops = 0
        while let parent = root.references, hops < 100, let next = try await store.incident(parent) {
            root = next
            hops += 1
        }
        let thread = [root] + (try await store.followUps(of: root.id))
        if let clear = thread.first(where: { $0.msgType == CAP.MessageType.cancel.rawValue && $0.id != incident.id }) {
            return (true, clear.id)
        }
        for member in thread {
            let entries = try await store.auditEntries(afterSeq: 0, limit: 100_000, subject: member.id, newest: false)
            // The cancel's request entry is stored before it stops anything, its outcome after: either one counts.
            if entries.contains(where: { $0.kind == "incident.cancel" || ($0.kind == "admin.request" && $0.detail.contains(#""method":"incident.cancel""#)) }) {
                return (false, member.id)
            }
        }
        return nil
    }
}
