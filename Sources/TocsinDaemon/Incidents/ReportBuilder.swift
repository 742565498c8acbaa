import Foundation
import TocsinChannels
import TocsinCore
import TocsinProtocol
import TocsinStore

/// Times, totals and the scorecard of one incident, from its stored records (pure, so it is easy to reason about).
struct ReportBuilder {
    let incident: IncidentRecord
    let deliveries: [DeliveryRecord]
    let attempts: [AttemptRecord]
    let objectives: Configuration.Objectives?
    /// Channel types by name (the current configuration), for the words of each receipt.
    var types: [String: ChannelType] = [:]

    /// The template's approvals (every content hash, as the store keeps them); those of the sent content count.
    var approvals: [ApprovalRecord] = []

    func report(
        followUps: [IncidentSummary], audit: [AuditRecordDTO], chain: AuditVerifyResult, followUpReports: [ReportFollowUp]? = nil
    ) -> IncidentReport {
        let (rows, channels, totals) = deliveryParts()
        let channelWithin = objectives?.channelWithin.map(Self.millis)
        let incidentWithin = objectives?.incidentWithin.map(Self.millis)
        return IncidentReport(
            trigger: trigger(), followUps: followUps, deliveries: rows, channels: channels, totals: totals,
            objectives: ReportObjectives(
                channelWithinMillis: channelWithin, incidentWithinMillis: incidentWithin,
                incidentMet: incidentWithin.map { Self.allWithin($0, rows) },
                channelsMet: channelWithin.map { _ in channels.allSatisfy { $0.objectiveMet == true } }
            ),
            audit: audit, chain: chain, followUpReports: followUpReports
        )
    }

    /// This incident as a follow-up of one created at `originMillis`.
    func followUp(originMillis: Int64) -> ReportFollowUp {
        let (rows, channels, totals) = deliveryParts()
        return ReportFollowUp(
            trigger: trigger(), offsetMillis: incident.createdAt - originMillis, deliveries: rows, channels: channels, totals: totals
        )
    }

    private func trigger() -> ReportTrigger {
        // The approvals in force when it was sent: of the very content sent, made before it, the newest per approver.
        var seen = Set<Int64>()
        let signed = approvals.sorted { $0.approvedAt > $1.approvedAt }
            .filter { $0.contentHash == incident.templateHash && $0.approvedAt <= incident.createdAt && seen.insert($0.approverUID).inserted }
            .reversed()
            .map {
                ReportApproval(
                    approverUID: $0.approverUID, approverName: $0.approverName, approvedAt: Timestamp.iso(millis: $0.approvedAt),
                    approvedAtMillis: $0.approvedAt, contentHash: $0.contentHash
                )
            }
        return ReportTrigger(
            summary: IncidentMapper.summary(of: incident, deliveries: deliveries), createdAtMillis: incident.createdAt,
            uid: incident.actorUID, pid: incident.actorPID, userName: incident.actorName, templateHash: incident.templateHash,
            contentHash: incident.contentHash, approvals: Array(signed)
        )
    }

    private func deliveryParts() -> ([ReportDelivery], [ReportChannel], ReportTotals) {
        let start = incident.createdAt
        let attemptsByDelivery = Dictionary(grouping: attempts, by: \.deliveryID)
        let rows = deliveries.map { delivery in
            let log = (attemptsByDelivery[delivery.id] ?? []).sorted { $0.number < $1.number }
            var row = ReportDelivery(
                id: delivery.id, channel: delivery.channel, recipient: delivery.recipient, state: delivery.state,
                firstAttemptAt: log.first.map { Timestamp.iso(millis: $0.startedAt) },
                deliveredAt: delivery.deliveredAt.map(Timestamp.iso(millis:)),
                timeToDeliverMillis: delivery.deliveredAt.map { $0 - start }, attempts: delivery.attempts,
                lastError: delivery.lastError, misconfiguration: delivery.misconfiguration,
                attemptLog: log.map {
                    var attempt = ReportAttempt(
                        number: $0.number, at: Timestamp.iso(millis: $0.startedAt), offsetMillis: $0.startedAt - start,
                        latencyMillis: $0.latencyMillis, outcome: $0.outcome, httpStatus: $0.httpStatus, error: $0.error,
                        receipt: $0.receipt
                    )
                    attempt.errorKind = ErrorKind.of(error: $0.error, status: $0.httpStatus)
                    return attempt
                },
                receipt: delivery.receipt,
                acceptance: DeliveryStatusMapper.acceptance(of: delivery, type: types[delivery.channel])
            )
            row.channelType = types[delivery.channel]?.rawValue
            row.errorKind = ErrorKind.of(error: delivery.lastError, status: delivery.lastStatus)
            return row
        }
        let channelWithin = objectives?.channelWithin.map(Self.millis)
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
        let totals = ReportTotals(
            deliveries: rows.count, delivered: delivered, failed: failed, unfinished: rows.count - delivered - failed,
            timeToFirstDeliveryMillis: times.min(), timeToLastDeliveryMillis: times.max()
        )
        return (rows, channels, totals)
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
