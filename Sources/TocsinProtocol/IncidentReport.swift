/// `incident.report`: everything a post-incident review needs, assembled by the daemon from its store.
///
/// Times are ISO 8601 (UTC); durations and offsets are milliseconds from the incident's creation (t = 0).
public struct IncidentReport: Codable, Sendable, Hashable {
    public var trigger: ReportTrigger
    /// Updates and all-clears that reference this incident, oldest first.
    public var followUps: [IncidentSummary]
    public var deliveries: [ReportDelivery]
    /// Per channel, in name order: counts, the last delivery and the objective.
    public var channels: [ReportChannel]
    public var totals: ReportTotals
    public var objectives: ReportObjectives
    /// The incident's own audit entries (subject = incident id), in order.
    public var audit: [AuditRecordDTO]
    /// The check of the whole chain, taken when the report was built.
    public var chain: AuditVerifyResult
    /// Each follow-up of `followUps` (same order) with who sent it and its own deliveries; nil from a daemon that
    /// predates it.
    public var followUpReports: [ReportFollowUp]?

    public init(
        trigger: ReportTrigger, followUps: [IncidentSummary], deliveries: [ReportDelivery], channels: [ReportChannel],
        totals: ReportTotals, objectives: ReportObjectives, audit: [AuditRecordDTO], chain: AuditVerifyResult,
        followUpReports: [ReportFollowUp]? = nil
    ) {
        self.trigger = trigger
        self.followUps = followUps
        self.deliveries = deliveries
        self.channels = channels
        self.totals = totals
        self.objectives = objectives
        self.audit = audit
        self.chain = chain
        self.followUpReports = followUpReports
    }
}

/// An update or all-clear of the reported incident: its trigger (and approvals) and its own deliveries, with times
/// from its own creation.
public struct ReportFollowUp: Codable, Sendable, Hashable {
    public var trigger: ReportTrigger
    /// From the reported incident's creation to this follow-up's.
    public var offsetMillis: Int64
    public var deliveries: [ReportDelivery]
    public var channels: [ReportChannel]
    public var totals: ReportTotals

    public init(trigger: ReportTrigger, offsetMillis: Int64, deliveries: [ReportDelivery], channels: [ReportChannel], totals: ReportTotals) {
        self.trigger = trigger
        self.offsetMillis = offsetMillis
        self.deliveries = deliveries
        self.channels = channels
        self.totals = totals
    }
}

/// One approver's signature over the template content an incident sent (the approval in force at send time).
public struct ReportApproval: Codable, Sendable, Hashable {
    public var approverUID: Int64
    public var approverName: String?
    public var approvedAt: String
    public var approvedAtMillis: Int64
    /// The content hash approved: the incident's `templateHash`.
    public var contentHash: String

    public init(approverUID: Int64, approverName: String?, approvedAt: String, approvedAtMillis: Int64, contentHash: String) {
        self.approverUID = approverUID
        self.approverName = approverName
        self.approvedAt = approvedAt
        self.approvedAtMillis = approvedAtMillis
        self.contentHash = contentHash
    }
}

/// Who sent what, when.
public struct ReportTrigger: Codable, Sendable, Hashable {
    /// Incident id, template, CAP status and msgType, approval, variables, rendered titles, creator.
    public var summary: IncidentSummary
    public var createdAtMillis: Int64
    public var uid: Int64?
    public var pid: Int64?
    public var userName: String?
    public var templateHash: String
    public var contentHash: String
    /// The approvals of `templateHash` made before the send, one per approver, oldest first: empty for an unapproved
    /// drill (or a built-in text); nil from a daemon that predates it.
    public var approvals: [ReportApproval]?

    public init(
        summary: IncidentSummary, createdAtMillis: Int64, uid: Int64?, pid: Int64?, userName: String?,
        templateHash: String, contentHash: String, approvals: [ReportApproval]? = nil
    ) {
        self.summary = summary
        self.createdAtMillis = createdAtMillis
        self.uid = uid
        self.pid = pid
        self.userName = userName
        self.templateHash = templateHash
        self.contentHash = contentHash
        self.approvals = approvals
    }
}

public struct ReportDelivery: Codable, Sendable, Hashable {
    public var id: String
    public var channel: String
    public var recipient: String?
    public var state: String
    public var firstAttemptAt: String?
    public var deliveredAt: String?
    /// From the incident's creation to the service's acceptance.
    public var timeToDeliverMillis: Int64?
    public var attempts: Int
    public var lastError: String?
    public var misconfiguration: Bool
    public var attemptLog: [ReportAttempt]
    /// The service's own id for the delivered message (see ``DeliveryStatus/receipt``).
    public var receipt: String?
    /// What the acceptance means, e.g. "accepted by Twilio (SM…)" (see ``DeliveryStatus/acceptance``).
    public var acceptance: String?
    /// The channel's type (see ``DeliveryStatus/channelType``). Nil from older daemons.
    public var channelType: String? = nil
    /// What kind of failure `lastError` is (``ErrorKind``). Nil without an error and from older daemons.
    public var errorKind: ErrorKind? = nil

    public init(
        id: String, channel: String, recipient: String?, state: String, firstAttemptAt: String?, deliveredAt: String?,
        timeToDeliverMillis: Int64?, attempts: Int, lastError: String?, misconfiguration: Bool, attemptLog: [ReportAttempt],
        receipt: String? = nil, acceptance: String? = nil
    ) {
        self.id = id
        self.channel = channel
        self.recipient = recipient
        self.state = state
        self.firstAttemptAt = firstAttemptAt
        self.deliveredAt = deliveredAt
        self.timeToDeliverMillis = timeToDeliverMillis
        self.attempts = attempts
        self.lastError = lastError
        self.misconfiguration = misconfiguration
        self.attemptLog = attemptLog
        self.receipt = receipt
        self.acceptance = acceptance
    }
}

public struct ReportAttempt: Codable, Sendable, Hashable {
    public var number: Int
    public var at: String
    /// When the attempt started, from the incident's creation.
    public var offsetMillis: Int64
    public var latencyMillis: Int64
    /// `delivered`, `retrying`, `failed`.
    public var outcome: String
    public var httpStatus: Int?
    public var error: String?
    /// The service's own id for the message this attempt got accepted.
    public var receipt: String?
    /// What kind of failure `error` is (``ErrorKind``). Nil without an error and from older daemons.
    public var errorKind: ErrorKind? = nil

    public init(
        number: Int, at: String, offsetMillis: Int64, latencyMillis: Int64, outcome: String, httpStatus: Int?, error: String?,
        receipt: String? = nil
    ) {
        self.number = number
        self.at = at
        self.offsetMillis = offsetMillis
        self.latencyMillis = latencyMillis
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.error = error
        self.receipt = receipt
    }
}

public struct ReportChannel: Codable, Sendable, Hashable {
    public var channel: String
    public var deliveries: Int
    public var delivered: Int
    public var failed: Int
    /// The slowest delivery of the channel, from the incident's creation; nil until one is delivered.
    public var lastDeliveryMillis: Int64?
    /// Every delivery delivered within `objectives.channelWithinMillis`; nil without that objective.
    public var objectiveMet: Bool?

    public init(channel: String, deliveries: Int, delivered: Int, failed: Int, lastDeliveryMillis: Int64?, objectiveMet: Bool?) {
        self.channel = channel
        self.deliveries = deliveries
        self.delivered = delivered
        self.failed = failed
        self.lastDeliveryMillis = lastDeliveryMillis
        self.objectiveMet = objectiveMet
    }
}

public struct ReportTotals: Codable, Sendable, Hashable {
    public var deliveries: Int
    public var delivered: Int
    public var failed: Int
    /// Neither delivered nor failed yet (or cancelled).
    public var unfinished: Int
    public var timeToFirstDeliveryMillis: Int64?
    public var timeToLastDeliveryMillis: Int64?

    public init(deliveries: Int, delivered: Int, failed: Int, unfinished: Int, timeToFirstDeliveryMillis: Int64?, timeToLastDeliveryMillis: Int64?) {
        self.deliveries = deliveries
        self.delivered = delivered
        self.failed = failed
        self.unfinished = unfinished
        self.timeToFirstDeliveryMillis = timeToFirstDeliveryMillis
        self.timeToLastDeliveryMillis = timeToLastDeliveryMillis
    }
}

/// The drill scorecard: the configured objectives and whether they were met.
public struct ReportObjectives: Codable, Sendable, Hashable {
    public var channelWithinMillis: Int64?
    public var incidentWithinMillis: Int64?
    /// Every delivery delivered within `incidentWithinMillis`; nil without that objective.
    public var incidentMet: Bool?
    /// Every channel met `channelWithinMillis`; nil without that objective.
    public var channelsMet: Bool?

    public init(channelWithinMillis: Int64?, incidentWithinMillis: Int64?, incidentMet: Bool?, channelsMet: Bool?) {
        self.channelWithinMillis = channelWithinMillis
        self.incidentWithinMillis = incidentWithinMillis
        self.incidentMet = incidentMet
        self.channelsMet = channelsMet
    }
}

/// `audit.export`: one page of entries after `afterSeq`, optionally about one subject and within a time window.
///
/// The window is contiguous (entry times are not strictly ordered): it starts at the first entry at or after
/// `sinceMillis` and ends before the first entry after `untilMillis`. Callers drop `sinceMillis` once a page
/// returned an entry.
public struct AuditExportParams: Codable, Sendable, Hashable {
    public var afterSeq: Int64
    public var limit: Int?
    public var subject: String?
    /// Milliseconds since 1970, inclusive.
    public var sinceMillis: Int64?
    public var untilMillis: Int64?

    public init(afterSeq: Int64, limit: Int? = nil, subject: String? = nil, sinceMillis: Int64? = nil, untilMillis: Int64? = nil) {
        self.afterSeq = afterSeq
        self.limit = limit
        self.subject = subject
        self.sinceMillis = sinceMillis
        self.untilMillis = untilMillis
    }
}

public struct AuditExportPage: Codable, Sendable, Hashable {
    public var entries: [AuditRecordDTO]
    /// Where the next page starts (the last entry scanned, matching or not).
    public var nextAfterSeq: Int64
    public var done: Bool

    public init(entries: [AuditRecordDTO], nextAfterSeq: Int64, done: Bool) {
        self.entries = entries
        self.nextAfterSeq = nextAfterSeq
        self.done = done
    }
}
