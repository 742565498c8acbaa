import Foundation
import Logging
import TocsinAudit
import TocsinChannels
import TocsinCore
import TocsinProtocol
import TocsinStore

/// `incident.*`: sending, following and reviewing incidents.
struct IncidentHandlers: Sendable {
    let configuration: ConfigurationHolder
    let store: any Store
    let incidents: IncidentService
    let events: DeliveryEvents
    let verifier: ChainVerifier
    let logger: Logger

    func register(in table: inout MethodTable) {
        table.on(AdminCall.send, auditsRequest: true) { (params: SendParams, context: RequestContext) async throws(DaemonError) -> IncidentStatus in
            var status = try await incidents.send(params, caller: context.principal, requestAudit: context.requestAudit)
            // A client that does not follow delivery gets the counts only (SendParams.brief).
            if params.brief == true { status.deliveries = [] }
            status.languages = configuration.current.configuration.organization.languages
            return status
        }
        table.on(AdminCall.preview) { params, _ async throws(DaemonError) in try await preview(params) }
        table.on(AdminCall.incidentStatus) { params, _ async throws(DaemonError) in try await incidents.status(params.incident) }
        table.on(AdminCall.incidentList) { params, _ async throws(DaemonError) in try await Self.recent(store, limit: params.limit ?? 20) }
        table.on(AdminCall.cancel, auditsRequest: true) { params, context async throws(DaemonError) in
            try await incidents.cancel(params.incident, caller: context.principal, requestAudit: context.requestAudit)
        }
        table.on(AdminCall.resend, auditsRequest: true) { params, context async throws(DaemonError) in
            try await incidents.resend(params, caller: context.principal, requestAudit: context.requestAudit)
        }
        table.on(AdminCall.watch) { params, context async throws(DaemonError) in try await watch(params.incident, emit: context.emit) }
        table.on(AdminCall.incidentReport) { params, _ async throws(DaemonError) in try await report(params.incident) }
    }

    func preview(_ params: SendParams) async throws(DaemonError) -> PreviewResult {
        let plan = try await incidents.plan(params, enforceApproval: false)
        var preview = PreviewResult(
            template: plan.template.id, status: plan.status.rawValue, msgType: plan.msgType.rawValue,
            approved: plan.approved, approvalNote: plan.approvalNote, route: plan.route,
            channels: plan.channels.map {
                ChannelTarget(name: $0.name, type: $0.type.rawValue, deliveries: $0.type.isPerRecipient ? $0.recipients.count : 1, languages: $0.languages)
            },
            deliveries: plan.deliveryCount, variables: plan.variables,
            messages: plan.messages.map(RenderedTextMapper.text(of:))
        )
        let names = Set(plan.channels.map(\.name))
        let cuts = plan.active.cuts[plan.template.id, default: []].filter { names.contains($0.channel) }
        preview.shortened = cuts.isEmpty ? nil : cuts.map(\.description)
        preview.shortenedSaid = cuts.isEmpty ? nil : cuts.map(\.said)
        preview.texts = Self.texts(of: plan)
        if let followed = plan.followed {
            preview.follows = followed.id
            // The built-in all-clear's values are the followed texts, not the operator's: nothing to compare.
            if !plan.builtIn {
                preview.changes = ValueChange.between(
                    previous: IncidentService.values(of: followed), current: plan.variables, given: Set(params.variables.keys)
                )
            }
        }
        if plan.builtIn { preview.builtIn = true }
        return preview
    }

    /// Each channel's text as the send would encode it (the same encoder, the same message), measured.
    static func texts(of plan: IncidentService.Plan) -> [ChannelText] {
        let message = plan.message(incidentID: "preview", at: Date())
        return plan.channels.map { channel in
            let recipients = channel.type.isPerRecipient ? channel.recipients.count : 1
            guard let endpoint = plan.active.endpoints[channel.name] else {
                return ChannelText(
                    channel: channel.name, type: channel.type.rawValue, text: nil, length: nil, limit: nil, unit: nil, smsEncoding: nil,
                    segments: nil, recipients: recipients, estimatedSeconds: nil,
                    notes: ["cannot send: \(plan.active.unavailable[channel.name] ?? "not configured")"]
                )
            }
            let payload: EncodedPayload
            do { payload = try endpoint.encode(message) } catch {
                return ChannelText(
                    channel: channel.name, type: channel.type.rawValue, text: nil, length: nil, limit: nil, unit: nil, smsEncoding: nil,
                    segments: nil, recipients: recipients, estimatedSeconds: nil, notes: ["cannot encode: \(error)"]
                )
            }
            let shown = payload.shown
            // Twilio meters SMS by segment: a 2-segment message to 100 phones is 200 units of the rate limit.
            let cost = Double(recipients * (shown?.segments ?? 1))
            return ChannelText(
                channel: channel.name, type: channel.type.rawValue, text: shown?.text, length: shown?.length, limit: shown?.limit,
                unit: shown?.unit, smsEncoding: shown?.smsEncoding.map { $0 == .gsm7 ? "GSM-7" : "UCS-2" }, segments: shown?.segments,
                recipients: recipients, estimatedSeconds: channel.rateLimit.map { cost / $0 }, notes: payload.notes
            )
        }
    }

    /// Streams the incident's delivery changes as notifications until every delivery is final.
    func watch(_ id: String, emit: RequestContext.Emit) async throws(DaemonError) -> IncidentStatus {
        var states: [String: DeliveryStatus] = [:]
        var current: IncidentStatus
        var unfinished = 0
        // Several nodes: another node's deliveries change in the database only; re-read it every second.
        let refresh: Duration? = if case .postgresql = configuration.current.configuration.storage { .seconds(1) } else { nil }
        do {
            // A stream ends early only when this watcher fell behind (its buffer is bounded): subscribe again and
            // send what changed from a fresh snapshot, so a slow client costs bounded memory and misses nothing.
            repeat {
                // A stream also ends when the watch is cancelled (shutdown): then stop, do not resubscribe.
                try Task.checkCancellation()
                // Subscribe before reading the snapshot, so no change falls between the two.
                let updates = events.subscribe(incidentID: id, refreshAfter: refresh)
                current = try await incidents.status(id)
                for delivery in current.deliveries where states[delivery.id] != delivery {
                    states[delivery.id] = delivery
                    try await emit(Self.eventLine(id, delivery))
                }
                unfinished = current.deliveries.filter { !$0.isFinal }.count
                if unfinished == 0 { break }
                unfinished = try await follow(id, updates, states: &states, unfinished: unfinished, emit: emit)
                if unfinished > 0, refresh == nil { logger.notice("a watcher fell behind; sending it a fresh snapshot", metadata: ["incident.id": "\(id)"]) }
            } while unfinished > 0
        } catch let error as DaemonError {
            throw error
        } catch {
            throw .unavailable("the watching client went away")
        }
        return try await incidents.status(id)
    }

    /// Emits the changes of `updates` until every delivery is final (returns 0) or the stream ends early (returns
    /// how many are still unfinished).
    private func follow(
        _ id: String, _ updates: AsyncStream<DeliveryStatus>, states: inout [String: DeliveryStatus], unfinished: Int,
        emit: RequestContext.Emit
    ) async throws -> Int {
        var unfinished = unfinished
        for await delivery in updates {
            // Events published between subscribing and reading the snapshot may be older than the snapshot:
            // never go back from a final state or to an earlier attempt.
            if let known = states[delivery.id] {
                if known.isFinal || delivery.attempts < known.attempts { continue }
                if delivery.attempts == known.attempts, delivery.state == known.state { continue }
            }
            if states[delivery.id].map({ !$0.isFinal }) ?? false, delivery.isFinal { unfinished -= 1 }
            states[delivery.id] = delivery
            try await emit(Self.eventLine(id, delivery))
            if unfinished == 0 { break }
        }
        return unfinished
    }

    private static func eventLine(_ incident: String, _ delivery: DeliveryStatus) -> [UInt8] {
        let notification = JSONRPC.Notification(method: AdminMethod.deliveryEvent, params: DeliveryEvent(incident: incident, delivery: delivery))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array((try? encoder.encode(notification)) ?? Data())
    }

    /// The newest incidents first, with their deliveries' totals.
    static func recent(_ store: any Store, limit: Int) async throws(DaemonError) -> [IncidentSummary] {
        do {
            var summaries: [IncidentSummary] = []
            for incident in try await store.recentIncidents(limit: min(max(limit, 1), 500)) {
                summaries.append(IncidentMapper.summary(of: incident, deliveries: try await store.deliveries(ofIncident: incident.id)))
            }
            return summaries
        } catch {
            throw .store(error)
        }
    }

    /// What `status` lists: the last 5 incidents and, apart, the last 5 channel tests, so that a few channel tests
    /// never push a live incident out of sight (both are incidents in the store, channel tests with status `Test`).
    static func recentForStatus(_ store: any Store) async throws(DaemonError) -> [IncidentSummary] {
        do {
            let window = try await store.recentIncidents(limit: 200)
            let tests = window.filter { $0.status == CAP.Status.test.rawValue }.prefix(5)
            let incidents = window.filter { $0.status != CAP.Status.test.rawValue }.prefix(5)
            let kept = Set((tests + incidents).map(\.id))
            var summaries: [IncidentSummary] = []
            for incident in window where kept.contains(incident.id) {
                summaries.append(IncidentMapper.summary(of: incident, deliveries: try await store.deliveries(ofIncident: incident.id)))
            }
            return summaries
        } catch {
            throw .store(error)
        }
    }

    func report(_ id: String) async throws(DaemonError) -> IncidentReport {
        let incident: IncidentRecord
        let deliveries: [DeliveryRecord]
        let attempts: [AttemptRecord]
        let approvals: [ApprovalRecord]
        let followUps: [IncidentSummary]
        var followUpReports: [ReportFollowUp] = []
        let audit: [AuditEntry]
        let config = configuration.current.configuration
        let types = config.channels.mapValues(\.type)
        do {
            guard let found = try await store.incident(id) else { throw DaemonError.notFound("no incident '\(id)'").said(.noIncident, ["incident": TextValidator.printable(id)]) }
            incident = found
            deliveries = try await store.deliveries(ofIncident: id)
            attempts = try await store.attempts(ofIncident: id)
            approvals = try await store.approvals(ofTemplate: incident.templateID)
            var summaries: [IncidentSummary] = []
            for followUp in try await store.followUps(of: id) {
                let followUpDeliveries = try await store.deliveries(ofIncident: followUp.id)
                summaries.append(IncidentMapper.summary(of: followUp, deliveries: followUpDeliveries))
                // Each follow-up with its own deliveries and approvals, for the report's follow-up sections.
                let followUpAttempts = try await store.attempts(ofIncident: followUp.id)
                let followUpApprovals = try await store.approvals(ofTemplate: followUp.templateID)
                followUpReports.append(ReportBuilder(
                    incident: followUp, deliveries: followUpDeliveries, attempts: followUpAttempts, objectives: config.objectives,
                    types: types, approvals: followUpApprovals
                ).followUp(originMillis: incident.createdAt))
            }
            followUps = summaries
            audit = try await store.auditEntries(afterSeq: 0, limit: 100_000, subject: id, newest: false)
        } catch let error as DaemonError {
            throw error
        } catch {
            throw .store(error)
        }
        let chain = try await verifier.verify()
        return ReportBuilder(
            incident: incident, deliveries: deliveries, attempts: attempts, objectives: config.objectives, types: types,
            approvals: approvals
        ).report(followUps: followUps, audit: audit.map(AuditRecordDTO.init), chain: chain, followUpReports: followUpReports)
    }
}
