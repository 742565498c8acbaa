import Foundation
import Logging
import TocsinCore
import TocsinProtocol
import TocsinStore

/// The daemon's shared parts, and the read-side admin methods that only assemble answers from them.
struct DaemonContext: Sendable {
    static let version = "0.1.0"

    let configuration: ConfigurationHolder
    let store: any Store
    let dispatcher: Dispatcher
    let events: DeliveryEvents
    let incidents: IncidentService
    let approvals: ApprovalService
    let reloader: Reloader
    let heartbeat: HeartbeatService
    let checkpoints: CheckpointService
    let startedAt: Date
    let logger: Logger
    /// The last full audit verification, reused by health checks for a while (it reads the whole chain).
    let auditCache = AuditVerificationCache()

    func preview(_ params: SendParams) async throws(DaemonError) -> PreviewResult {
        let plan = try await incidents.plan(params, enforceApproval: false)
        return PreviewResult(
            template: plan.template.id, status: plan.status.rawValue, msgType: plan.msgType.rawValue,
            approved: plan.approved, approvalNote: plan.approvalNote, route: plan.route,
            channels: plan.channels.map {
                ChannelTarget(name: $0.name, type: $0.type.rawValue, deliveries: $0.type.isPerRecipient ? $0.recipients.count : 1, languages: $0.languages)
            },
            deliveries: plan.deliveryCount, variables: plan.variables,
            messages: plan.messages.map(RenderedTextMapper.text(of:))
        )
    }

    /// Streams the incident's delivery changes as notifications until every delivery is final.
    func watch(_ id: String, emit: AdminRouter.Emit) async throws(DaemonError) -> IncidentStatus {
        var states: [String: DeliveryStatus] = [:]
        var current: IncidentStatus
        var unfinished = 0
        do {
            // A stream ends early only when this watcher fell behind (its buffer is bounded): subscribe again and
            // send what changed from a fresh snapshot, so a slow client costs bounded memory and misses nothing.
            repeat {
                // A stream also ends when the watch is cancelled (shutdown): then stop, do not resubscribe.
                try Task.checkCancellation()
                // Subscribe before reading the snapshot, so no change falls between the two.
                let updates = events.subscribe(incidentID: id)
                current = try await incidents.status(id)
                for delivery in current.deliveries where states[delivery.id] != delivery {
                    states[delivery.id] = delivery
                    try await emit(Self.eventLine(id, delivery))
                }
                unfinished = current.deliveries.filter { !$0.isFinal }.count
                if unfinished == 0 { break }
                unfinished = try await follow(id, updates, states: &states, unfinished: unfinished, emit: emit)
                if unfinished > 0 { logger.notice("a watcher fell behind; sending it a fresh snapshot", metadata: ["incident.id": "\(id)"]) }
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
        emit: AdminRouter.Emit
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

    func recentIncidents(limit: Int) async throws(DaemonError) -> [IncidentSummary] {
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

    func templateSummaries() async throws(DaemonError) -> [TemplateSummary] {
        var result: [TemplateSummary] = []
        for template in configuration.current.configuration.templates.values.sorted(by: { $0.id < $1.id }) {
            result.append(try await summary(of: template))
        }
        return result
    }

    private func summary(of template: MessageTemplate) async throws(DaemonError) -> TemplateSummary {
        let state = try await approvals.state(of: template)
        return TemplateSummary(
            id: template.id, route: template.content.route, drillRoute: template.content.drillRoute, approval: state.label,
            approvedBy: state.latest.map { record in record.approverName.map { "\($0) (uid \(record.approverUID))" } ?? "uid \(record.approverUID)" },
            approvedAt: state.latest.map { Timestamp.iso(millis: $0.approvedAt) }, contentHash: template.contentHash,
            variables: template.content.variables.map {
                VariableInfo(name: $0.name, required: $0.required, defaultValue: $0.defaultValue, allowed: $0.allowed)
            }
        )
    }

    func templateDetail(_ id: String) async throws(DaemonError) -> TemplateDetail {
        let config = configuration.current.configuration
        guard let template = config.templates[id] else { throw .notFound("no template '\(id)'") }
        let content = template.content
        let texts = config.organization.languages.compactMap { language -> RenderedText? in
            guard let title = content.title[language] else { return nil }
            return RenderedText(
                language: language, event: content.event[language] ?? "", title: title,
                body: content.body[language] ?? "", instruction: content.instruction?[language]
            )
        }
        return TemplateDetail(
            summary: try await summary(of: template), category: content.category.rawValue,
            severity: content.severity.rawValue, urgency: content.urgency.rawValue, certainty: content.certainty.rawValue,
            response: content.response?.rawValue, source: template.sourcePath, texts: texts
        )
    }

    func approve(_ params: ApproveParams, caller: Caller, requestAudit: AuditEvent) async throws(DaemonError) -> ApproveResult {
        guard let template = configuration.current.configuration.templates[params.template] else {
            throw .notFound("no template '\(params.template)'")
        }
        return try await approvals.approve(template, expectedHash: params.contentHash, caller: caller, requestAudit: requestAudit)
    }

    func auditLog(_ params: AuditLogParams) async throws(DaemonError) -> [AuditRecordDTO] {
        do {
            // Without a starting point, the newest entries: what an auditor checking "what just happened" wants.
            let entries = try await store.auditEntries(
                afterSeq: params.afterSeq ?? 0, limit: min(max(params.limit ?? 100, 1), 10_000), subject: params.subject,
                newest: params.afterSeq == nil
            )
            return entries.map(Self.dto)
        } catch {
            throw .store(error)
        }
    }

    func verifyAudit() async throws(DaemonError) -> AuditVerifyResult {
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

    /// The one-line state `systemctl status tocsind` shows.
    func readyStatus() -> String {
        let config = configuration.current.configuration
        let unavailable = configuration.current.unavailable.count
        return "Ready: \(config.templates.count) templates, \(config.channels.count) channels"
            + (unavailable > 0 ? " (\(unavailable) cannot send)" : "") + ", \(dispatcher.pendingCount) deliveries in progress"
    }

    func channelList() async throws(DaemonError) -> [ChannelInfo] {
        let active = configuration.current
        let config = active.configuration
        let activity: [String: ChannelActivity]
        do { activity = try await store.channelActivity() } catch { throw .store(error) }
        let certificates = dispatcher.certificates.withLock { $0 }
        return config.channels.values.sorted { $0.name < $1.name }.map { channel in
            let seen = activity[channel.name]
            return ChannelInfo(
                name: channel.name, type: channel.type.rawValue, endpoint: channel.maskedEndpoint,
                languages: channel.languages, recipients: channel.type.isPerRecipient ? channel.recipients.count : 1,
                routes: config.routes.filter { $0.value.contains(channel.name) }.keys.sorted(),
                maxConcurrency: channel.maxConcurrency, rateLimit: channel.rateLimit,
                unavailable: active.unavailable[channel.name],
                lastDeliveredAt: seen?.lastDeliveredAt.map(Timestamp.iso(millis:)),
                lastErrorAt: seen?.lastErrorAt.map(Timestamp.iso(millis:)), lastError: seen?.lastError,
                expires: channel.expires.map(Timestamp.iso),
                certificateExpires: certificates[channel.name].map(Timestamp.iso)
            )
        }
    }

    func status() async throws(DaemonError) -> DaemonStatus {
        let active = configuration.current
        do {
            let head = try await store.auditHead()
            return DaemonStatus(
                version: Self.version, pid: getpid(), startedAt: Timestamp.iso(startedAt),
                uptimeSeconds: Int64(Date().timeIntervalSince(startedAt)), configPath: active.configPath,
                configFingerprint: active.configuration.fingerprint, channels: active.configuration.channels.count,
                templates: active.configuration.templates.count, pendingDeliveries: dispatcher.pendingCount,
                auditHeadSeq: head.seq, auditHeadHash: head.hash, recentIncidents: try await recentIncidents(limit: 5),
                recentFailures: try await store.recentFailures(limit: 5).map(DeliveryStatusMapper.status(of:)),
                channelsUnavailable: active.unavailable, auditProblem: checkpoints.integrity.problem
            )
        } catch let error as DaemonError {
            throw error
        } catch {
            throw .store(error)
        }
    }
}
