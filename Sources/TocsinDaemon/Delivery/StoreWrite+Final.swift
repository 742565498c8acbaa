import TocsinAudit
import TocsinCore
import TocsinStore

extension StoreWrite {
    /// The audit entry that closes a delivery (`delivery.final`): the same fields wherever a delivery ends —
    /// after an attempt, on cancel, at start for an expired deadline, or at once for a channel that cannot send.
    mutating func auditFinal(
        delivery id: String, incident: String, channel: String, recipient: String?, state: DeliveryState,
        attempts: Int, misconfiguration: Bool = false, error: String? = nil, receipt: String? = nil, actor: Principal? = nil,
        at time: Int64, fence: String? = nil
    ) {
        var detail = AuditDetail()
        detail.set("delivery", id)
        detail.set("channel", channel)
        detail.set("recipient", recipient)
        detail.set("state", state.rawValue)
        detail.set("attempts", attempts)
        detail.set("misconfiguration", misconfiguration)
        detail.set("error", error)
        detail.set("receipt", receipt)
        audit.append(AuditEvent(
            timeMillis: time, kind: "delivery.final", actorUID: actor.map { Int64($0.uid) }, actorPID: actor.map { Int64($0.pid) },
            subject: incident, detail: detail.json, fence: fence
        ))
    }

    /// A delivery ending without a further attempt (cancelled, or expired while the daemon was down), with its audit entry.
    mutating func close(_ job: DeliveryJob, as state: DeliveryState, error: String?, actor: Principal?, at time: Int64) {
        updates.append(DeliveryUpdate(
            id: job.id, state: state, attempts: job.attempts, nextAttemptAt: nil, lastStatus: job.lastStatus,
            lastError: error ?? job.lastError, misconfiguration: job.misconfiguration, deliveredAt: nil, updatedAt: time,
            generation: job.generation
        ))
        auditFinal(
            delivery: job.id, incident: job.incidentID, channel: job.channel, recipient: job.recipient, state: state,
            attempts: job.attempts, misconfiguration: job.misconfiguration, error: error, actor: actor, at: time,
            fence: job.generation == nil ? nil : job.id
        )
    }
}
