import Foundation
import TocsinAudit
import TocsinCore
import TocsinStore

extension StoreWrite {
    /// The write a scheduler's record asks for: one group-committed write with its audit entries.
    init<C>(_ record: DeliveryScheduler<C>.Record) {
        self.init([record])
    }

    /// Several records in one write, in order (their audit entries chain in that order).
    init<C>(_ records: [DeliveryScheduler<C>.Record]) {
        self.init()
        for record in records {
            switch record {
            case .attempt(let outcome):
                append(outcome)
            case .closed(let jobs, let state, let error, let actor, let at):
                let time = at.millisecondsSince1970
                for job in jobs { close(job, as: state, error: error, actor: actor, at: time) }
            }
        }
    }

    /// The attempt, the delivery's new state and their audit entries.
    private mutating func append<C>(_ outcome: DeliveryScheduler<C>.Outcome) {
        let job = outcome.job, number = outcome.number
        let now = outcome.finishedAt.millisecondsSince1970
        var detail = AuditDetail()
        detail.set("delivery", job.id)
        detail.set("channel", job.channel)
        detail.set("recipient", job.recipient)
        detail.set("attempt", number)
        detail.set("status", outcome.status)
        detail.set("latency_ms", Int(outcome.latency.milliseconds))
        detail.set("outcome", job.state.rawValue)
        detail.set("error", job.lastError)
        detail.set("next_attempt_at", job.nextAttemptAt.map(Timestamp.iso))
        // The service's own id (ProviderReceipt: short, id characters only, never a channel secret).
        detail.set("receipt", job.receipt)
        // Several nodes: the lease it ran under, so a late outcome is told from the new holder's in the chain too.
        if let generation = job.generation { detail.set("generation", Int(generation)) }
        attempts.append(
            AttemptRecord(
                deliveryID: job.id, number: number, startedAt: outcome.startedAt.millisecondsSince1970,
                latencyMillis: outcome.latency.milliseconds, httpStatus: outcome.status, error: job.lastError,
                outcome: job.state.rawValue, receipt: job.receipt, generation: job.generation ?? 1
            )
        )
        updates.append(
            DeliveryUpdate(
                id: job.id, state: job.state, attempts: number,
                nextAttemptAt: job.nextAttemptAt?.millisecondsSince1970, lastStatus: outcome.status,
                lastError: job.lastError, misconfiguration: job.misconfiguration,
                deliveredAt: job.deliveredAt?.millisecondsSince1970, updatedAt: now, receipt: job.receipt,
                generation: job.generation
            )
        )
        let fence = job.generation == nil ? nil : job.id
        audit.append(AuditEvent(timeMillis: now, kind: "delivery.attempt", subject: job.incidentID, detail: detail.json, fence: fence))
        if job.state.isFinal {
            auditFinal(
                delivery: job.id, incident: job.incidentID, channel: job.channel, recipient: job.recipient, state: job.state,
                attempts: number, misconfiguration: job.misconfiguration, receipt: job.receipt, at: now, fence: fence
            )
        }
    }
}
