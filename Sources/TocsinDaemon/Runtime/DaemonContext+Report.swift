import Foundation
import TocsinCore
import TocsinProtocol
import TocsinStore

/// `incident.report` and `audit.export`: the post-incident review, read from the store only.
extension DaemonContext {
    func report(_ id: String) async throws(DaemonError) -> IncidentReport {
        let incident: IncidentRecord
        let deliveries: [DeliveryRecord]
        let attempts: [AttemptRecord]
        let followUps: [IncidentSummary]
        let audit: [AuditEntry]
        do {
            guard let found = try await store.incident(id) else { throw DaemonError.notFound("no incident '\(id)'") }
            incident = found
            deliveries = try await store.deliveries(ofIncident: id)
            attempts = try await store.attempts(ofIncident: id)
            var summaries: [IncidentSummary] = []
            for followUp in try await store.followUps(of: id) {
                summaries.append(IncidentMapper.summary(of: followUp, deliveries: try await store.deliveries(ofIncident: followUp.id)))
            }
            followUps = summaries
            audit = try await store.auditEntries(afterSeq: 0, limit: 100_000, subject: id, newest: false)
        } catch let error as DaemonError {
            throw error
        } catch {
            throw .store(error)
        }
        let chain = try await verifyAudit()
        return ReportBuilder(
            incident: incident, deliveries: deliveries, attempts: attempts,
            objectives: configuration.current.configuration.objectives
        ).report(followUps: followUps, audit: audit.map(Self.dto), chain: chain)
    }

    /// One page of the chain in order; `nextAfterSeq` moves on even when no entry of the page matched the window.
    func auditExport(_ params: AuditExportParams) async throws(DaemonError) -> AuditExportPage {
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
            return AuditExportPage(entries: matching.map(Self.dto), nextAfterSeq: next, done: done)
        } catch {
            throw .store(error)
        }
    }

    static func dto(_ entry: AuditEntry) -> AuditRecordDTO {
        AuditRecordDTO(
            seq: entry.seq, time: Timestamp.iso(millis: entry.timeMillis), timeMillis: entry.timeMillis, kind: entry.kind,
            uid: entry.actorUID, pid: entry.actorPID, subject: entry.subject, detail: entry.detail,
            prevHash: entry.prevHash, hash: entry.hash
        )
    }
}

/// Times, totals and the scorecard of one incident, from its stored records (pure, so it is easy to reason about).
struct ReportBuilder {
    let incident: IncidentRecord
    let deliveries: [DeliveryRecord]
    let attempts: [AttemptRecord]
    let objectives: Configuration.Objectives?

    func report(followUps: [IncidentSummary], audit: [AuditRecordDTO], chain: AuditVerifyResult) -> IncidentReport {
        let start = incident.createdAt
        let attemptsByDelivery = Dictionary(grouping: attempts, by: \.deliveryID)
        let rows = deliveries.map { delivery in
            let log = (attemptsByDelivery[delivery.id] ?? []).sorted { $0.number < $1.number }
            return ReportDelivery(
                id: delivery.id, channel: delivery.channel, recipient: delivery.recipient, state: delivery.state,
                firstAttemptAt: log.first.map { Timestamp.iso(millis: $0.startedAt) },
                deliveredAt: delivery.deliveredAt.map(Timestamp.iso(millis:)),
                timeToDeliverMillis: delivery.deliveredAt.map { $0 - start }, attempts: delivery.attempts,
                lastError: delivery.lastError, misconfiguration: delivery.misconfiguration,
                attemptLog: log.map {
                    ReportAttempt(
                        number: $0.number, at: Timestamp.iso(millis: $0.startedAt), offsetMillis: $0.startedAt - start,
                        latencyMillis: $0.latencyMillis, outcome: $0.outcome, httpStatus: $0.httpStatus, error: $0.error
                    )
                }
            )
        }
        let channelWithin = objectives?.channelWithin.map(Self.millis)
        let incidentWithin = objectives?.incidentWithin.map(Self.millis)
        let channels = Dictionary(grouping: rows, by: \.channel).sorted { $0.key < $1.key }.map { name, rows in
            ReportChannel(
                channel: name, deliveries: rows.count, delivered: rows.filter { $0.state == "delivered" }.count,
                failed: rows.filter { $0.state == "failed" }.count,
                lastDeliveryMillis: rows.compactMap(\.timeToDeliverMillis).max(),
                objectiveMet: channelWithin.map { Self.allWithin($0, rows) }
            )
        }
        let times = rows.compactMap(\.timeToDeliverMillis)
        let delivered = rows.filter { $0.state == "delivered" }.count
        let failed = rows.filter { $0.state == "failed" }.count
        let summary = IncidentMapper.summary(of: incident, deliveries: deliveries)
        return IncidentReport(
            trigger: ReportTrigger(
                summary: summary, createdAtMillis: start, uid: incident.actorUID, pid: incident.actorPID,
                userName: incident.actorName, templateHash: incident.templateHash, contentHash: incident.contentHash
            ),
            followUps: followUps, deliveries: rows, channels: channels,
            totals: ReportTotals(
                deliveries: rows.count, delivered: delivered, failed: failed, unfinished: rows.count - delivered - failed,
                timeToFirstDeliveryMillis: times.min(), timeToLastDeliveryMillis: times.max()
            ),
            objectives: ReportObjectives(
                channelWithinMillis: channelWithin, incidentWithinMillis: incidentWithin,
                incidentMet: incidentWithin.map { Self.allWithin($0, rows) },
                channelsMet: channelWithin.map { _ in channels.allSatisfy { $0.objectiveMet == true } }
            ),
            audit: audit, chain: chain
        )
    }

    /// Met only if every delivery was delivered, each within `limit` of the trigger: a failure misses the objective.
    private static func allWithin(_ limit: Int64, _ rows: [ReportDelivery]) -> Bool {
        rows.allSatisfy { row in row.state == "delivered" && (row.timeToDeliverMillis.map { $0 <= limit } ?? false) }
    }

    private static func millis(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
