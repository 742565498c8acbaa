import Foundation
import Logging
import TocsinAudit
import TocsinChannels
import TocsinCore
import TocsinProtocol
import TocsinStore

/// Turns a send request into an incident: validate, render once, encode once per channel, commit, dispatch.
///
/// Nothing is stored unless everything validates; once `send` returns, the incident and every delivery are
/// on disk (one transaction, fsynced) and in the dispatcher's hands.
struct IncidentService: Sendable {
    let configuration: ConfigurationHolder
    let store: any Store
    let dispatcher: Dispatcher
    let approvals: ApprovalService
    let logger: Logger
    /// Shared by every copy of this service (handlers hold copies): one send at a time per request key.
    let requestGate = RequestKeyGate()

    /// What a send would produce, without storing anything.
    ///
    /// It carries the configuration it was planned against: the incident is stored and dispatched with those
    /// channels and endpoints even if a reload lands in between (before, a reload in that window stored a pending
    /// delivery with an empty payload, which later failed as "no longer in the configuration").
    struct Plan: Sendable {
        var active: ActiveConfiguration
        var template: MessageTemplate
        var variables: [String: String]
        var status: CAP.Status
        var msgType: CAP.MessageType
        /// The incident this one follows up (the first of its thread), for Update and Cancel.
        var origin: IncidentRecord?
        /// The latest message of that thread, whose values this one carries over.
        var followed: IncidentRecord? = nil
        var approved: Bool
        var approvalNote: String?
        var route: String
        var channels: [ChannelDefinition]
        var messages: [RenderedMessage]
        /// Tocsin's built-in all-clear (no `all-clear` template configured): fixed wording, counted as approved.
        var builtIn = false

        var deliveryCount: Int { channels.reduce(0) { $0 + ($1.type.isPerRecipient ? $1.recipients.count : 1) } }

        /// What every channel encodes: the rendered texts with the incident's CAP fields.
        func message(incidentID: String, at now: Date) -> OutgoingMessage {
            let organization = active.configuration.organization
            return OutgoingMessage(
                incidentID: incidentID, status: status, msgType: msgType,
                references: origin.map { [IncidentService.capReference($0, sender: organization.sender)] } ?? [],
                templateID: template.id, approved: approved, organization: organization.name, sender: organization.sender,
                sent: CAPDate.format(now), category: template.content.category, severity: template.content.severity,
                urgency: template.content.urgency, certainty: template.content.certainty, response: template.content.response,
                messages: messages, variableValues: Array(variables.values)
            )
        }
    }

    /// - Parameter enforceApproval: false for a preview, which approvers need before they approve.
    func plan(_ params: SendParams, enforceApproval: Bool = true) async throws(DaemonError) -> Plan {
        let active = configuration.current
        let config = active.configuration
        let msgType = try messageType(params)
        // No `all-clear` template configured: Tocsin's own ends the incident (DESIGN.md's exception to approval).
        let builtIn = config.templates[params.template] == nil && params.template == BuiltInAllClear.id
        let template: MessageTemplate
        if let configured = config.templates[params.template] {
            template = configured
        } else if builtIn, msgType == .cancel {
            template = BuiltInAllClear.template(languages: config.organization.languages)
        } else {
            let known = config.templates.keys.sorted().joined(separator: ", ")
            throw .notFound(
                "no template '\(params.template)' (templates: \(known.isEmpty ? "none" : known))"
                    + (builtIn ? "; Tocsin's built-in all-clear ends an incident: tocsinctl all-clear INCIDENT" : "")
            ).said(.noTemplate, ["template": TextValidator.printable(params.template), "builtIn": builtIn ? "yes" : "no"], lists: ["known": config.templates.keys.sorted()])
        }
        let origin = try await origin(of: params, msgType: msgType)
        // A follow-up keeps its incident's status (a drill's all-clear is a drill too) and its values.
        let status: CAP.Status = origin.flatMap { CAP.Status(rawValue: $0.status) } ?? (params.drill ? .exercise : .actual)
        // Values carry over from the thread's latest message, not its first: after an update moved the assembly
        // point, the next update must not quietly move it back.
        let followed = try await latestMessage(of: origin)
        let variables: [String: String]
        if builtIn {
            guard params.variables.isEmpty else {
                throw .validation(
                    "Tocsin's built-in all-clear takes no values (its wording is fixed); nothing was sent",
                    hint: "Send it without --set, or configure an all-clear template (runbooks/template-change-and-approval.md)."
                ).said(.builtInAllClearNoValues)
            }
            variables = BuiltInAllClear.values(following: Self.messages(of: lastAlert(followed, origin: origin)), languages: config.organization.languages)
        } else {
            var given = followed.map { inheritedVariables($0, for: template) } ?? [:]
            given.merge(params.variables) { $1 }
            do {
                variables = try VariableResolver.resolve(given, for: template)
            } catch {
                var refusal = DaemonError.validation("the values given for template '\(template.id)' are not valid; nothing was sent", problems: error.problems)
                    .said(.valuesInvalid, ["template": template.id])
                refusal.problemsSaid = error.details.map(\.said)
                // Named for a client on a terminal, which asks for them rather than fail.
                let missing = template.content.variables.filter { $0.required && given[$0.name] == nil && $0.defaultValue == nil }.map(\.name)
                refusal.missing = missing.isEmpty ? nil : missing
                throw refusal
            }
        }
        // The built-in text is Tocsin's, not the organisation's: there is nothing of theirs to approve.
        let approval = builtIn ? nil : try await approvals.state(of: template, required: config.requiredApprovers)
        let approved = approval?.isApproved ?? true
        if enforceApproval, status == .actual, !approved, let approval {
            // The next step for a live send is the approval; a drill is not what the operator wanted.
            throw .notApproved(
                "template '\(template.id)' \(approval.isChanged ? "changed since it was approved" : "is not approved (\(approval.label))"); a live send is refused and nothing was sent",
                hint: "An approver must review it (tocsinctl templates show \(template.id)) and run: tocsinctl templates approve \(template.id)"
            ).said(.notApproved, ["template": template.id, "changed": approval.isChanged ? "yes" : "no"])
        }
        let routeName: String
        if let route = params.route ?? origin?.route {
            routeName = route
        } else if status == .exercise {
            guard let drillRoute = template.content.drillRoute else {
                throw DaemonError.validation("template '\(template.id)' has no drill_route; name one with --route")
                    .said(.noDrillRoute, ["template": template.id])
            }
            routeName = drillRoute
        } else {
            routeName = template.content.route
        }
        guard let members = config.routes[routeName] else {
            throw DaemonError.validation("no route '\(routeName)' (routes: \(config.routes.keys.sorted().joined(separator: ", ")))")
                .said(.noRoute, ["route": routeName], lists: ["known": config.routes.keys.sorted()])
        }
        let channels = members.compactMap { config.channels[$0] }
        var messages = TemplateRenderer.render(template, values: variables, languages: config.organization.languages)
        // An update must not read like the first alert: say so in every title, before any drill marking.
        if msgType == .update { TemplateRenderer.Marking.update.apply(to: &messages) }
        if status == .exercise { TemplateRenderer.Marking.exercise.apply(to: &messages) }
        if status == .test { TemplateRenderer.Marking.test.apply(to: &messages) }
        var plan = Plan(
            active: active, template: template, variables: variables, status: status, msgType: msgType, origin: origin,
            approved: approved, approvalNote: approved ? nil : (approval?.isChanged == true ? "changed since approval" : "not approved"),
            route: routeName, channels: channels, messages: messages
        )
        plan.followed = followed
        plan.builtIn = builtIn
        return plan
    }

    /// The message an all-clear names: the thread's latest, unless that is itself an all-clear (then the first).
    private func lastAlert(_ followed: IncidentRecord?, origin: IncidentRecord?) -> IncidentRecord? {
        followed?.msgType == CAP.MessageType.cancel.rawValue ? origin : followed
    }

    /// The rendered texts an incident was sent with.
    static func messages(of incident: IncidentRecord?) -> [RenderedMessage] {
        guard let incident else { return [] }
        return (try? JSONDecoder().decode([RenderedMessage].self, from: Data(incident.messages.utf8))) ?? []
    }

    /// The newest message of the thread that starts at `origin` (itself when it has no follow-up yet).
    private func latestMessage(of origin: IncidentRecord?) async throws(DaemonError) -> IncidentRecord? {
        guard let origin else { return nil }
        do { return try await store.followUps(of: origin.id).last ?? origin } catch { throw .store(error) }
    }

    /// The values an incident was sent with.
    static func values(of incident: IncidentRecord) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(incident.variables.utf8))) ?? [:]
    }

    private func messageType(_ params: SendParams) throws(DaemonError) -> CAP.MessageType {
        guard let name = params.msgType else { return params.references == nil ? .alert : .update }
        guard let type = CAP.MessageType(rawValue: name), [.alert, .update, .cancel].contains(type) else {
            throw .invalidParams("msgType must be Alert, Update or Cancel")
        }
        if type != .alert, params.references == nil { throw .invalidParams("an \(name) must reference an incident") }
        if type == .alert, params.references != nil { throw .invalidParams("an Alert references no incident; use Update or Cancel") }
        return type
    }

    /// The first incident of the thread `params.references` belongs to.
    private func origin(of params: SendParams, msgType: CAP.MessageType) async throws(DaemonError) -> IncidentRecord? {
        guard let id = params.references else { return nil }
        do {
            guard var incident = try await store.incident(id) else {
                throw DaemonError.notFound("no incident '\(id)'; `tocsinctl status` lists recent ones").said(.noIncident, ["incident": TextValidator.printable(id)])
            }
            // Follow-ups of follow-ups still reference the first message, as CAP receivers expect.
            var hops = 0
            while let parent = incident.references, hops < 100, let next = try await store.incident(parent) {
                incident = next
                hops += 1
            }
            return incident
        } catch let error as DaemonError {
            throw error
        } catch {
            throw .store(error)
        }
    }

    /// The original incident's values that `template` also declares, so an all-clear names the same building.
    private func inheritedVariables(_ incident: IncidentRecord, for template: MessageTemplate) -> [String: String] {
        let values = Self.values(of: incident)
        let declared = Set(template.content.variables.map(\.name))
        return values.filter { declared.contains($0.key) }
    }

    /// CAP `references` entry for an incident: `sender,identifier,sent`.
    static func capReference(_ incident: IncidentRecord, sender: String) -> String {
        "\(sender),\(incident.id),\(incident.sent)"
    }

    /// Validates, stores and dispatches; returns once everything is durable. A request key already used for the
    /// same send answers with its incident (`repeated`), and nothing goes out again.
    func send(_ params: SendParams, caller: Principal, requestAudit: AuditEvent) async throws(DaemonError) -> IncidentStatus {
        // With a key: one request at a time, and optimistic. The key is stored with the incident and looked up only
        // when something fails, so a first request, nearly every one, reads nothing more than a send without a key
        // (the look-up cost ~0.5 M instructions a send, and opened a reader connection at the first alert after a
        // start).
        let request = try SendRequest(params, by: caller.requester)
        if let request { await requestGate.enter(request.key) }
        defer { if let request { requestGate.leave(request.key) } }
        let plan: Plan
        do {
            plan = try await self.plan(params)
            try await caller.requireStepUp(forLive: plan.status == .actual)
        } catch {
            // A repeat whose step-up code the first request spent, or that a reload has since made unplannable:
            // answered with the incident it made.
            if let request, let earlier = try await repeated(request, caller: caller, requestAudit: requestAudit, failing: error) { return earlier }
            throw error
        }
        do {
            return try await create(plan, caller: caller, requestAudit: requestAudit, sendRequest: request)
        } catch {
            // Whether this very commit landed is unknown (`.open`): a key found now could be this request's own, not a
            // repeat's. The client asks again with the key and learns which (tocsinctl does).
            guard let request, error.storeCode != .open else { throw error }
            // The key taken (the commit's constraint): this is a repeat, or the key's misuse, and the incident it made
            // stands. Any other failure of a repeat is answered the same way.
            if let earlier = try await repeated(request, caller: caller, requestAudit: requestAudit, failing: error) { return earlier }
            if error.storeCode == .constraint { logger.critical("cannot store a new incident", metadata: ["store.error": "\(error)"]) }
            throw error
        }
    }

    /// A CAP status Test message to one channel, from a built-in bilingual text: checks a channel end to end
    /// without touching any template or route. Audited like any incident.
    func testChannel(
        _ name: String, recipient: String?, publicPostConfirmed: Bool, caller: Principal, requestAudit: AuditEvent
    ) async throws(DaemonError) -> IncidentStatus {
        let active = configuration.current
        let config = active.configuration
        guard var channel = config.channels[name] else {
            throw DaemonError.notFound("no channel '\(name)' (channels: \(config.channels.keys.sorted().joined(separator: ", ")))")
                .said(.noChannel, ["channel": TextValidator.printable(name)], lists: ["known": config.channels.keys.sorted()])
        }
        // Checked here, not in the CLI: every client (a script, later the web console) gets the same question.
        if let audience = channel.type.publicAudience, !publicPostConfirmed {
            throw DaemonError(
                .needsConfirmation, "the test of channel '\(name)' would be a public post; nothing was sent",
                problems: [
                    "Le message de test de « \(name) » serait \(audience.fr) : le public le verrait.",
                    "The test message of '\(name)' would be \(audience.en): the public would see it.",
                ],
                hint: "Run tocsinctl channels test \(name) and type the channel name to confirm, or add --yes."
            ).said(.channelTestPublic, ["channel": name])
        }
        // A test reaches one recipient, never a whole SMS or e-mail list.
        if channel.type.isPerRecipient {
            let chosen = recipient ?? channel.recipients.first
            guard let chosen, channel.recipients.contains(chosen) else {
                throw DaemonError.validation("'\(recipient ?? "")' is not a recipient of channel '\(name)'; name one of its \(channel.recipients.count) configured recipients with --to")
                    .said(.notARecipient, ["recipient": TextValidator.printable(recipient ?? ""), "channel": name, "count": String(channel.recipients.count)])
            }
            channel.recipients = [chosen]
        }
        let template = ChannelTestTemplate.template
        let values = ["channel": name]
        let plan = Plan(
            active: active, template: template, variables: values, status: .test, msgType: .alert, origin: nil, approved: true,
            approvalNote: nil, route: "(channel test)", channels: [channel],
            messages: TemplateRenderer.render(template, values: values, languages: config.organization.languages, marking: .test)
        )
        return try await create(plan, caller: caller, requestAudit: requestAudit)
    }

    /// The dead-man heartbeat: a CAP `System` message through `route`, sent by the daemon itself. Like a channel
    /// test it reaches one recipient of a per-recipient channel, never a whole SMS or e-mail list.
    func heartbeat(route: String) async throws(DaemonError) -> IncidentStatus {
        let active = configuration.current
        let config = active.configuration
        guard let members = config.routes[route] else { throw .validation("the heartbeat route '\(route)' is not defined") }
        let channels = members.compactMap { config.channels[$0] }.map { channel -> ChannelDefinition in
            var channel = channel
            if channel.type.isPerRecipient { channel.recipients = Array(channel.recipients.prefix(1)) }
            return channel
        }
        let template = HeartbeatTemplate.template
        let plan = Plan(
            active: active, template: template, variables: [:], status: .system, msgType: .alert, origin: nil, approved: true,
            approvalNote: nil, route: route, channels: channels,
            messages: TemplateRenderer.render(template, values: [:], languages: config.organization.languages, marking: .test)
        )
        let daemon = Principal.daemon(policy: config.access)
        let request = daemon.event("heartbeat", subject: "heartbeat", detail: AuditDetail(["route": route]))
        return try await create(plan, caller: daemon, requestAudit: request)
    }

    /// Stores and dispatches `plan` with the configuration it was planned against.
    /// - Parameter sendRequest: the send's request key, stored with the incident in the same transaction.
    func create(_ plan: Plan, caller: Principal, requestAudit: AuditEvent, sendRequest: SendRequest? = nil) async throws(DaemonError) -> IncidentStatus {
        let active = plan.active
        let config = active.configuration
        // Before the wall time the deliveries' birth lease counts from (their `updatedAt`): held here no longer.
        let bornAt = ContinuousClock.now
        let now = Date()
        var random = BatchedSystemRandom()
        let incidentID = Identifiers.incidentID(at: now, using: &random)
        let message = plan.message(incidentID: incidentID, at: now)
        let messagesJSON = Self.json(plan.messages)
        let nowMillis = now.millisecondsSince1970
        // A channel test answers a question now; it does not keep retrying for the full delivery deadline.
        // A heartbeat must end before the next one, or a dead channel would never count as a failed heartbeat.
        var deadlineSeconds = active.retryPolicy.deadline.seconds
        if plan.status == .test { deadlineSeconds = min(deadlineSeconds, 60) }
        if plan.status == .system, let every = config.monitoring.heartbeat?.every { deadlineSeconds = min(deadlineSeconds, every.seconds) }
        let deadline = now.addingTimeInterval(deadlineSeconds)
        var write = StoreWrite()
        write.incidents.append(
            IncidentRecord(
                id: incidentID, templateID: plan.template.id, templateHash: plan.template.contentHash,
                approved: plan.approved, status: plan.status.rawValue, msgType: plan.msgType.rawValue,
                references: plan.origin?.id, route: plan.route, variables: Self.json(plan.variables), messages: messagesJSON,
                contentHash: Digest.sha256(messagesJSON), sent: message.sent, createdAt: nowMillis,
                actorUID: Int64(caller.uid), actorPID: Int64(caller.pid), actorName: caller.actorName
            )
        )
        var jobs: [DeliveryJob] = []
        var failedAtOnce: [(delivery: String, channel: String, reason: String)] = []
        var encoded: [String: EncodedPayload] = [:]
        // Texts this send would cut where the approved template fits (its worst case is in `active.cuts` otherwise,
        // and a template approved before the fit check still sends, flagged): the values typed are to blame.
        var sendCuts: [String] = []
        let knownCuts = Set((active.cuts[plan.template.id] ?? []).map(\.channel))
        for channel in plan.channels {
            let payload: EncodedPayload
            var unavailable: String? = active.unavailable[channel.name]
            if let endpoint = active.endpoints[channel.name] {
                do {
                    if let key = endpoint.payloadKey, let shared = encoded[key] {
                        payload = shared
                    } else {
                        payload = try endpoint.encode(message)
                        if let key = endpoint.payloadKey { encoded[key] = payload }
                    }
                } catch {
                    payload = EncodedPayload(contentType: "text/plain", body: [])
                    unavailable = error.message
                }
            } else {
                payload = EncodedPayload(contentType: "text/plain", body: [])
            }
            if plan.status == .actual || plan.status == .exercise, !channel.allowShortening, !knownCuts.contains(channel.name),
                let note = payload.notes.first(where: { $0.contains("shortened") }) {
                sendCuts.append(FitCheck.sendCut(channel: channel.name, type: channel.type, note: note, values: plan.variables))
            }
            write.payloads.append(PayloadRecord(incidentID: incidentID, channel: channel.name, contentType: payload.contentType, body: Data(payload.body)))
            let recipients: [String?] = channel.type.isPerRecipient ? channel.recipients : [nil]
            for recipient in recipients {
                let id = Identifiers.deliveryID(using: &random)
                // A channel that cannot send is recorded as failed at once, so the operator sees it in the result.
                let state: DeliveryState = unavailable == nil ? .pending : .failed
                write.deliveries.append(
                    DeliveryRecord(
                        id: id, incidentID: incidentID, channel: channel.name, recipient: recipient, state: state.rawValue,
                        createdAt: nowMillis, deadlineAt: deadline.millisecondsSince1970, lastError: unavailable,
                        misconfiguration: unavailable != nil, updatedAt: nowMillis
                    )
                )
                if let unavailable {
                    failedAtOnce.append((id, channel.name, unavailable))
                    continue
                }
                var job = DeliveryJob(
                    id: id, incidentID: incidentID, channel: channel.name, recipient: recipient, payload: payload,
                    endpoint: active.endpoints[channel.name], createdAt: now, deadlineAt: deadline, state: .pending, attempts: 0
                )
                job.cost = DeliveryJob.cost(of: payload, type: channel.type)
                jobs.append(job)
            }
        }
        if !sendCuts.isEmpty {
            throw .validation(
                "this send would not reach every channel whole, so nothing was sent", problems: sendCuts,
                hint: "Change the values above and send again; the approved text itself fits."
            ).said(.sendCut)
        }
        var request = requestAudit
        request.subject = incidentID
        write.audit.append(request)
        var detail = AuditDetail()
        detail.set("template", plan.template.id)
        detail.set("template_hash", plan.template.contentHash)
        detail.set("approved", plan.approved)
        detail.set("status", plan.status.rawValue)
        detail.set("msg_type", plan.msgType.rawValue)
        detail.set("references", plan.origin?.id)
        detail.set("route", plan.route)
        detail.setJSON("variables", Self.json(plan.variables))
        detail.set("content_hash", Digest.sha256(messagesJSON))
        detail.set("deliveries", write.deliveries.count)
        detail.set("by", caller.displayName)
        detail.set("request_key", sendRequest?.key)
        write.audit.append(
            caller.event("incident.create", subject: incidentID, detail: detail, at: nowMillis)
        )
        if let sendRequest {
            write.sendRequests.append(SendRequestRecord(key: sendRequest.key, digest: sendRequest.digest, incidentID: incidentID, createdAt: nowMillis))
        }
        for failure in failedAtOnce {
            write.auditFinal(
                delivery: failure.delivery, incident: incidentID, channel: failure.channel, recipient: nil, state: .failed,
                attempts: 0, misconfiguration: true, error: failure.reason, at: nowMillis
            )
        }
        do {
            try await store.commit(write)
        } catch {
            // With a request key, a constraint is most likely the key, taken meanwhile by the same send from another
            // connection or node: `send` answers with that incident, and says critical only if it finds none.
            if sendRequest == nil || error.code != .constraint {
                logger.critical("cannot store a new incident", metadata: ["store.error": "\(error)"])
            }
            // Not "nothing was sent" when the database could not say whether the commit landed (a lost primary).
            let doing = error.code == .open
                ? "the database did not confirm that the incident was stored, so it may have been"
                : "the incident could not be stored, so nothing was sent"
            throw .store(error, doing: doing)
        }
        dispatcher.enqueue(jobs, bornAt: bornAt)
        for failure in failedAtOnce { DaemonMetrics.delivery(channel: failure.channel, state: .failed) }
        if plan.msgType == .cancel, let origin = plan.origin {
            // An all-clear ends the thread: an evacuation notice still retrying must not reach a screen after it.
            var thread = [origin.id]
            if let followUps = try? await store.followUps(of: origin.id) {
                thread += followUps.map(\.id).filter { $0 != incidentID }
            }
            for id in thread { _ = await cancelOnEveryNode(id, caller: caller) }
        }
        logger.notice("incident accepted", metadata: [
            "incident.id": "\(incidentID)", "template": "\(plan.template.id)", "incident.status": "\(plan.status.rawValue)",
            "deliveries": "\(write.deliveries.count)", "caller.uid": "\(caller.uid)",
        ])
        // The messages and values just planned: decoding the JSON written from them gives them back.
        let summary = IncidentMapper.summary(
            of: write.incidents[0], deliveries: write.deliveries, messages: plan.messages, variables: plan.variables
        )
        return IncidentStatus(summary: summary, deliveries: write.deliveries.map(DeliveryStatusMapper.status(of:)))
    }

    /// Stops every pending retry of an incident; its deliveries become `cancelled`. Audited with the caller.
    func cancel(_ id: String, caller: Principal, requestAudit: AuditEvent) async throws(DaemonError) -> IncidentStatus {
        _ = try await status(id)
        var request = requestAudit
        request.subject = id
        // Recorded before any retry is stopped: a cancellation that cannot be audited is not made.
        do { try await store.commit(StoreWrite(audit: [request])) } catch {
            throw .unavailable("the cancellation was not made: it cannot be recorded in the audit log (\(error)); deliveries go on")
        }
        let (cancelled, inFlight, elsewhere, elsewhereFailure) = await cancelOnEveryNode(id, caller: caller)
        var detail = AuditDetail()
        detail.set("cancelled", cancelled.count + elsewhere)
        if elsewhere > 0 { detail.set("from_other_nodes", elsewhere) }
        if let elsewhereFailure { detail.set("other_nodes_error", elsewhereFailure) }
        detail.set("in_flight", inFlight)
        detail.set("by", caller.displayName)
        let event = caller.event("incident.cancel", subject: id, detail: detail)
        do { try await store.commit(StoreWrite(audit: [event])) } catch {
            // The request is on record already; the outcome goes to the journal rather than undoing a cancel.
            logger.error("cancellation applied but its outcome could not be audited", metadata: ["incident.id": "\(id)", "store.error": "\(error)"])
        }
        logger.notice("incident cancelled", metadata: ["incident.id": "\(id)", "deliveries.cancelled": "\(cancelled.count + elsewhere)", "caller.uid": "\(caller.uid)"])
        if let elsewhereFailure {
            throw .unavailable("incident \(id) is cancelled on this node, but the deliveries other nodes hold could not be cancelled (\(elsewhereFailure)); they go on there: run `tocsinctl cancel \(id)` again")
        }
        return try await status(id)
    }

    /// Cancels the incident here, then what other nodes hold (several nodes: a cancel, or an all-clear ending its
    /// thread, works from any node). A failure elsewhere is logged and returned; what was cancelled here stays.
    private func cancelOnEveryNode(
        _ id: String, caller: Principal
    ) async -> (cancelled: [DeliveryJob], inFlight: Int, elsewhere: Int, elsewhereFailure: String?) {
        let (cancelled, inFlight) = await dispatcher.cancel(incidentID: id, caller: caller)
        do {
            return (cancelled, inFlight, try await dispatcher.cancelHeldElsewhere(incidentID: id, caller: caller), nil)
        } catch {
            logger.error("deliveries held by other nodes could not be cancelled from this node; they go on there", metadata: [
                "incident.id": "\(id)", "store.error": "\(error)",
            ])
            return (cancelled, inFlight, 0, "\(error)")
        }
    }

    func status(_ id: String) async throws(DaemonError) -> IncidentStatus {
        do {
            guard let incident = try await store.incident(id) else {
                throw DaemonError.notFound("no incident '\(id)'; `tocsinctl status` lists recent ones").said(.noIncident, ["incident": TextValidator.printable(id)])
            }
            let deliveries = try await store.deliveries(ofIncident: id)
            // The last answer's time per delivery, so a retrying line read from the store says "answer took 5 ms"
            // as the live events do (a watch starts from this snapshot).
            var latency: [String: (number: Int, millis: Int64)] = [:]
            for attempt in try await store.attempts(ofIncident: id) where attempt.number >= latency[attempt.deliveryID]?.number ?? 0 {
                latency[attempt.deliveryID] = (attempt.number, attempt.latencyMillis)
            }
            return IncidentStatus(
                summary: IncidentMapper.summary(of: incident, deliveries: deliveries),
                deliveries: deliveries.map { delivery in
                    var status = DeliveryStatusMapper.status(of: delivery, type: configuration.current.configuration.channels[delivery.channel]?.type)
                    status.lastLatencyMillis = latency[delivery.id]?.millis
                    return status
                }
            )
        } catch let error as DaemonError {
            throw error
        } catch {
            throw .store(error)
        }
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}

enum IncidentMapper {
    /// - Parameters:
    ///   - messages, variables: the incident's, when the caller holds them (a send just planned them); read back
    ///     from the record's JSON otherwise.
    static func summary(
        of incident: IncidentRecord, deliveries: [DeliveryRecord], messages: [RenderedMessage]? = nil, variables: [String: String]? = nil
    ) -> IncidentSummary {
        let decoder = JSONDecoder()
        let messages = messages ?? (try? decoder.decode([RenderedMessage].self, from: Data(incident.messages.utf8))) ?? []
        let variables = variables ?? (try? decoder.decode([String: String].self, from: Data(incident.variables.utf8))) ?? [:]
        var counts: [String: Int] = [:]
        for delivery in deliveries { counts[delivery.state, default: 0] += 1 }
        return IncidentSummary(
            incident: incident.id, template: incident.templateID, status: incident.status, msgType: incident.msgType,
            references: incident.references, approved: incident.approved, route: incident.route,
            createdAt: Timestamp.iso(millis: incident.createdAt),
            createdBy: incident.actorName.map { "\($0) (uid \(incident.actorUID ?? -1))" } ?? incident.actorUID.map { "uid \($0)" },
            variables: variables, messages: messages.map(RenderedTextMapper.text(of:)), counts: counts
        )
    }
}

enum RenderedTextMapper {
    static func text(of message: RenderedMessage) -> RenderedText {
        RenderedText(language: message.language, event: message.event, title: message.title, body: message.body, instruction: message.instruction, short: message.short)
    }
}

/// The text of `tocsinctl channels test`: a fixed, plainly harmless message, in both languages.
/// The daemon's own fixed messages: known-good text, so a parse failure here is a programming error the tests catch.
enum BuiltInTemplate {
    static func make(
        id: String, route: String, variables: [VariableSpec] = [], event: [String: String], title: [String: String],
        body: [String: String]
    ) -> MessageTemplate {
        let content = MessageTemplate.Content(
            id: id, category: .other, severity: .minor, urgency: .unknown, certainty: .unknown,
            response: CAP.ResponseType.none, route: route, variables: variables, event: event, title: title, body: body
        )
        return try! MessageTemplate(content: content)
    }
}

enum ChannelTestTemplate {
    static let template = BuiltInTemplate.make(
        id: "channel-test", route: "(channel test)", variables: [VariableSpec(name: "channel", required: true)],
        event: ["fr": "Test de canal", "en": "Channel test"],
        title: ["fr": "Vérification du canal {{channel}}", "en": "Checking channel {{channel}}"],
        body: [
            "fr": "Message de vérification technique de Tocsin. Aucune action n'est requise.",
            "en": "Technical check message from Tocsin. No action is needed.",
        ]
    )
}

enum HeartbeatTemplate {
    static let template = BuiltInTemplate.make(
        id: "heartbeat", route: "(heartbeat)",
        event: ["fr": "Battement de cœur Tocsin", "en": "Tocsin heartbeat"],
        title: ["fr": "Tocsin fonctionne", "en": "Tocsin is working"],
        body: [
            "fr": "Message automatique de vérification : ce canal reçoit les alertes de Tocsin. Aucune action n'est requise.",
            "en": "Automatic check: this channel receives Tocsin's alerts. No action is needed.",
        ]
    )
}
