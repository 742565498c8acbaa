/// Params and results of the admin methods. Times are ISO 8601 strings in UTC with milliseconds.

public struct SendParams: Codable, Sendable, Hashable {
    public var template: String
    public var variables: [String: String]
    /// Overrides the template's route (live) or drill route (drill).
    public var route: String?
    /// A drill: CAP status Exercise, the drill route, marked in every language; unapproved templates allowed.
    public var drill: Bool
    /// CAP msgType: `Alert` (default), `Update` or `Cancel` (an all-clear).
    public var msgType: String?
    /// For `Update` and `Cancel`: the incident followed up. Its status, route and variables carry over.
    public var references: String?
    /// The answer carries the summary (its `counts`) and no per-delivery list: what a client that does not follow
    /// delivery needs (`--no-wait`), without encoding and parsing a line per delivery. Absent means false, so older
    /// clients get the whole list, and a daemon that ignores it answers with the list (clients read either).
    public var brief: Bool?
    /// Made by the client once per send it means (a UUID): the same key again, for the same send by the same
    /// caller, answers with the incident the first request made (`IncidentStatus.repeated`) and sends nothing.
    /// A double tap, or a retry after a lost answer, then cannot alert everyone twice. Absent: a new send.
    public var requestKey: String?

    public init(
        template: String, variables: [String: String] = [:], route: String? = nil, drill: Bool = false,
        msgType: String? = nil, references: String? = nil, brief: Bool? = nil, requestKey: String? = nil
    ) {
        self.template = template
        self.variables = variables
        self.route = route
        self.drill = drill
        self.msgType = msgType
        self.references = references
        self.brief = brief
        self.requestKey = requestKey
    }
}

public struct RenderedText: Codable, Sendable, Hashable {
    public var language: String
    public var event: String
    public var title: String
    public var body: String
    public var instruction: String?
    /// The approved short text for SMS, X and ntfy, when the template has one.
    public var short: String?

    public init(language: String, event: String, title: String, body: String, instruction: String?, short: String? = nil) {
        self.language = language
        self.event = event
        self.title = title
        self.body = body
        self.instruction = instruction
        self.short = short
    }
}

/// One channel's text in a preview: exactly what it will receive, its length against the service's limit, and for
/// SMS the encoding and segments; for a per-recipient channel, how long reaching everyone takes at its rate limit.
public struct ChannelText: Codable, Sendable, Hashable {
    public var channel: String
    public var type: String
    /// nil for a channel whose payload is not one text with a limit (webhook JSON, e-mail, CAP): it gets every text whole.
    public var text: String?
    public var length: Int?
    public var limit: Int?
    /// What length and limit count (`characters`, `GSM-7 septets`, `weighted characters`, …).
    public var unit: String?
    /// `GSM-7` or `UCS-2`, for SMS.
    public var smsEncoding: String?
    public var segments: Int?
    public var recipients: Int
    /// Seconds to send to every recipient at the channel's `rate_limit` (an SMS costs its segments); nil without one.
    public var estimatedSeconds: Double?
    /// What shaping changed ("text shortened …", "SMS sent as UCS-2 …").
    public var notes: [String]

    public init(
        channel: String, type: String, text: String?, length: Int?, limit: Int?, unit: String?, smsEncoding: String?,
        segments: Int?, recipients: Int, estimatedSeconds: Double?, notes: [String]
    ) {
        self.channel = channel
        self.type = type
        self.text = text
        self.length = length
        self.limit = limit
        self.unit = unit
        self.smsEncoding = smsEncoding
        self.segments = segments
        self.recipients = recipients
        self.estimatedSeconds = estimatedSeconds
        self.notes = notes
    }
}

public struct ChannelTarget: Codable, Sendable, Hashable {
    public var name: String
    public var type: String
    /// Deliveries this channel will get (recipients for per-recipient channels, else 1).
    public var deliveries: Int
    public var languages: [String]

    public init(name: String, type: String, deliveries: Int, languages: [String]) {
        self.name = name
        self.type = type
        self.deliveries = deliveries
        self.languages = languages
    }
}

/// What a send would do, shown before the operator confirms.
public struct PreviewResult: Codable, Sendable, Hashable {
    public var template: String
    public var status: String
    public var msgType: String
    public var approved: Bool
    /// Why the template is not approved, when it is not.
    public var approvalNote: String?
    public var route: String
    public var channels: [ChannelTarget]
    public var deliveries: Int
    public var variables: [String: String]
    public var messages: [RenderedText]
    /// The channels of this send on which the template can be shortened (its cuts, see TemplateSummary); nil when
    /// none. The live confirmation names them in capitals.
    public var shortened: [String]? = nil
    /// Each of `shortened` by key (``Said/Key/templateCut``), in the same order, for the operator's language.
    public var shortenedSaid: [Said]? = nil
    /// Per channel of the send: the exact text it will receive, measured against its limit (nil from older daemons).
    public var texts: [ChannelText]? = nil
    /// For an update or all-clear: what differs from the latest message of the incident's thread (empty when
    /// nothing does; nil for a first alert and from older daemons).
    public var changes: [ValueChange]? = nil
    /// The incident whose values a follow-up carries over: the latest message of its thread.
    public var follows: String? = nil
    /// True for Tocsin's built-in all-clear (no `all-clear` template configured): fixed wording, counted as approved.
    public var builtIn: Bool? = nil

    public init(
        template: String, status: String, msgType: String, approved: Bool, approvalNote: String?, route: String,
        channels: [ChannelTarget], deliveries: Int, variables: [String: String], messages: [RenderedText]
    ) {
        self.template = template
        self.status = status
        self.msgType = msgType
        self.approved = approved
        self.approvalNote = approvalNote
        self.route = route
        self.channels = channels
        self.deliveries = deliveries
        self.variables = variables
        self.messages = messages
    }
}

public struct DeliveryStatus: Codable, Sendable, Hashable {
    public var id: String
    public var channel: String
    public var recipient: String?
    public var state: String
    public var attempts: Int
    public var lastStatus: Int?
    public var lastError: String?
    public var misconfiguration: Bool
    public var nextAttemptAt: String?
    public var deliveredAt: String?
    /// From the incident's creation to delivery, in milliseconds.
    public var timeToDeliverMillis: Int64?
    /// The service's own id for the delivered message: Twilio message SID, Graph post id, X post id, Telegram
    /// message_id, Discord message id, the SMTP server's queue id. Absent when the service gave none.
    public var receipt: String?
    /// What the service's acceptance means, in words starting with their verb: "accepted by Twilio (SM…)" where
    /// the service only queued the message (SMS, e-mail), "posted on X (post …)" where it published it.
    public var acceptance: String?
    /// How long the service took to answer the last attempt, in milliseconds: what a retrying line shows as "answer
    /// took 5 ms" (never a delay before the next try, which `nextAttemptAt` gives). Nil before any attempt, in
    /// `daemon.status`'s failure lists, and from older daemons.
    public var lastLatencyMillis: Int64? = nil
    /// The channel's type (`twilio-sms`, `email`, …): how a client names the answer's code (an SMTP reply is not
    /// HTTP) and words the acceptance in the operator's language (``ServiceAnswer``). Nil from older daemons.
    public var channelType: String? = nil
    /// What kind of failure `lastError` is (``ErrorKind``): how a client says it in its operator's language. Nil
    /// without an error and from older daemons.
    public var errorKind: ErrorKind? = nil
    /// The incident the delivery belongs to, in `daemon.status`'s failure lists; nil elsewhere (the incident is
    /// already named around it) and from older daemons.
    public var incident: String? = nil

    public init(
        id: String, channel: String, recipient: String?, state: String, attempts: Int, lastStatus: Int?,
        lastError: String?, misconfiguration: Bool, nextAttemptAt: String?, deliveredAt: String?,
        timeToDeliverMillis: Int64?, receipt: String? = nil, acceptance: String? = nil
    ) {
        self.id = id
        self.channel = channel
        self.recipient = recipient
        self.state = state
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.misconfiguration = misconfiguration
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
        self.timeToDeliverMillis = timeToDeliverMillis
        self.receipt = receipt
        self.acceptance = acceptance
    }

    public var isFinal: Bool { ["delivered", "failed", "cancelled"].contains(state) }
}

public struct IncidentSummary: Codable, Sendable, Hashable {
    public var incident: String
    public var template: String
    public var status: String
    public var msgType: String
    public var references: String?
    public var approved: Bool
    public var route: String
    public var createdAt: String
    public var createdBy: String?
    public var variables: [String: String]
    public var messages: [RenderedText]
    public var counts: [String: Int]

    public init(
        incident: String, template: String, status: String, msgType: String, references: String?, approved: Bool,
        route: String, createdAt: String, createdBy: String?, variables: [String: String], messages: [RenderedText],
        counts: [String: Int]
    ) {
        self.incident = incident
        self.template = template
        self.status = status
        self.msgType = msgType
        self.references = references
        self.approved = approved
        self.route = route
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.variables = variables
        self.messages = messages
        self.counts = counts
    }
}

/// An incident with every delivery: the answer of `incident.send`, `incident.status` and `incident.watch`.
public struct IncidentStatus: Codable, Sendable, Hashable {
    public var summary: IncidentSummary
    public var deliveries: [DeliveryStatus]
    /// `incident.send`'s answer only: the organisation's languages (`daemon.languages`), so a client that has said
    /// nothing yet learns the language to say the outcome in without a second, audited request during the fan-out.
    /// Absent from other answers, and from older daemons (the client then asks `daemon.languages`).
    public var languages: [String]?
    /// `incident.send`'s answer only: true when the request key had already made this incident, so nothing was
    /// sent this time. Absent otherwise.
    public var repeated: Bool?

    public init(summary: IncidentSummary, deliveries: [DeliveryStatus], languages: [String]? = nil) {
        self.summary = summary
        self.deliveries = deliveries
        self.languages = languages
    }

    public var isFinished: Bool { deliveries.allSatisfy(\.isFinal) }
    public var allDelivered: Bool { deliveries.allSatisfy { $0.state == "delivered" } }
}

public struct IncidentParams: Codable, Sendable, Hashable {
    public var incident: String
    public init(incident: String) { self.incident = incident }
}

public struct ListParams: Codable, Sendable, Hashable {
    public var limit: Int?
    public init(limit: Int? = nil) { self.limit = limit }
}

public struct DeliveryEvent: Codable, Sendable, Hashable {
    public var incident: String
    public var delivery: DeliveryStatus

    public init(incident: String, delivery: DeliveryStatus) {
        self.incident = incident
        self.delivery = delivery
    }
}

public struct TemplateParams: Codable, Sendable, Hashable {
    public var template: String
    public init(template: String) { self.template = template }
}

public struct EmptyParams: Codable, Sendable, Hashable {
    public init() {}
}

public struct TemplateSummary: Codable, Sendable, Hashable {
    public var id: String
    public var route: String
    public var drillRoute: String?
    /// `approved`, `changed` (approved once, edited since) or `unapproved`.
    public var approval: String
    public var approvedBy: String?
    public var approvedAt: String?
    public var contentHash: String
    public var variables: [VariableInfo]
    /// How the template would be shortened on channels it can reach ("template 'x' does not fit channel 'y' …");
    /// nil when it reaches every channel whole. An approval is refused while this is set.
    public var shortened: [String]? = nil

    public init(
        id: String, route: String, drillRoute: String?, approval: String, approvedBy: String?, approvedAt: String?,
        contentHash: String, variables: [VariableInfo]
    ) {
        self.id = id
        self.route = route
        self.drillRoute = drillRoute
        self.approval = approval
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
        self.contentHash = contentHash
        self.variables = variables
    }
}

public struct VariableInfo: Codable, Sendable, Hashable {
    public var name: String
    public var required: Bool
    public var defaultValue: String?
    public var allowed: [String]?

    public init(name: String, required: Bool, defaultValue: String?, allowed: [String]?) {
        self.name = name
        self.required = required
        self.defaultValue = defaultValue
        self.allowed = allowed
    }
}

public struct TemplateDetail: Codable, Sendable, Hashable {
    public var summary: TemplateSummary
    public var category: String
    public var severity: String
    public var urgency: String
    public var certainty: String
    public var response: String?
    public var source: String?
    public var texts: [RenderedText]

    public init(
        summary: TemplateSummary, category: String, severity: String, urgency: String, certainty: String,
        response: String?, source: String?, texts: [RenderedText]
    ) {
        self.summary = summary
        self.category = category
        self.severity = severity
        self.urgency = urgency
        self.certainty = certainty
        self.response = response
        self.source = source
        self.texts = texts
    }
}

public struct ApproveParams: Codable, Sendable, Hashable {
    public var template: String
    /// The content hash the approver saw; the approval is refused if the template changed since.
    public var contentHash: String?

    public init(template: String, contentHash: String? = nil) {
        self.template = template
        self.contentHash = contentHash
    }
}

public struct ApproveResult: Codable, Sendable, Hashable {
    public var template: String
    public var contentHash: String
    public var approvedBy: String
    public var approvedAt: String
    /// Distinct approvers of this content so far, and how many the config requires.
    public var approvals: Int
    public var required: Int

    public var approved: Bool { approvals >= required }

    public init(template: String, contentHash: String, approvedBy: String, approvedAt: String, approvals: Int = 1, required: Int = 1) {
        self.template = template
        self.contentHash = contentHash
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
        self.approvals = approvals
        self.required = required
    }
}

public struct AuditLogParams: Codable, Sendable, Hashable {
    public var afterSeq: Int64?
    public var limit: Int?
    public var subject: String?

    public init(afterSeq: Int64? = nil, limit: Int? = nil, subject: String? = nil) {
        self.afterSeq = afterSeq
        self.limit = limit
        self.subject = subject
    }
}

public struct AuditRecordDTO: Codable, Sendable, Hashable {
    public var seq: Int64
    public var time: String
    /// Exactly what the hash covers (`time` is for people).
    public var timeMillis: Int64?
    public var kind: String
    public var uid: Int64?
    public var pid: Int64?
    public var subject: String
    /// The node that appended the entry; absent in entries written before entries named it (format 1), and then
    /// not part of the hash.
    public var node: String?
    public var detail: String
    public var prevHash: String
    public var hash: String

    public init(
        seq: Int64, time: String, timeMillis: Int64? = nil, kind: String, uid: Int64?, pid: Int64?, subject: String,
        node: String? = nil, detail: String, prevHash: String, hash: String
    ) {
        self.seq = seq
        self.time = time
        self.timeMillis = timeMillis
        self.kind = kind
        self.uid = uid
        self.pid = pid
        self.subject = subject
        self.node = node
        self.detail = detail
        self.prevHash = prevHash
        self.hash = hash
    }
}

public struct AuditVerifyResult: Codable, Sendable, Hashable {
    public var intact: Bool
    public var checked: Int64
    public var headSeq: Int64
    public var headHash: String
    /// The first entry that is missing, altered or unlinked.
    public var brokenSeq: Int64?
    public var problem: String?
    /// Signed checkpoints: nil when no key was given to check them against.
    public var checkpoints: CheckpointSummary?

    public init(
        intact: Bool, checked: Int64, headSeq: Int64, headHash: String, brokenSeq: Int64?, problem: String?,
        checkpoints: CheckpointSummary? = nil
    ) {
        self.intact = intact
        self.checked = checked
        self.headSeq = headSeq
        self.headHash = headHash
        self.brokenSeq = brokenSeq
        self.problem = problem
        self.checkpoints = checkpoints
    }
}

/// What the signed checkpoints of a chain prove.
public struct CheckpointSummary: Codable, Sendable, Hashable {
    /// Checkpoints whose signature verified.
    public var verified: Int64
    /// The last of them: entries up to `lastSignedSeq` are proven unaltered.
    public var lastSeq: Int64?
    public var lastSignedSeq: Int64?
    public var lastTime: String?
    public var lastKey: String?
    /// Entries after the last signed one: intact as a chain, but not yet covered by a signature.
    public var unsignedEntries: Int64

    public init(verified: Int64, lastSeq: Int64?, lastSignedSeq: Int64?, lastTime: String?, lastKey: String?, unsignedEntries: Int64) {
        self.verified = verified
        self.lastSeq = lastSeq
        self.lastSignedSeq = lastSignedSeq
        self.lastTime = lastTime
        self.lastKey = lastKey
        self.unsignedEntries = unsignedEntries
    }
}

public struct DaemonStatus: Codable, Sendable, Hashable {
    public var version: String
    public var pid: Int32
    public var startedAt: String
    public var uptimeSeconds: Int64
    public var configPath: String
    public var configFingerprint: String
    public var channels: Int
    public var templates: Int
    public var pendingDeliveries: Int
    public var auditHeadSeq: Int64
    public var auditHeadHash: String
    public var recentIncidents: [IncidentSummary]
    /// The latest failed deliveries of incidents (not channel tests), newest first, left out once their channel has
    /// delivered since.
    public var recentFailures: [DeliveryStatus]
    /// Channels that cannot send with this build or config, with the reason.
    public var channelsUnavailable: [String: String]
    /// Set while the audit chain contradicts its record outside the database (heads file): nothing more is signed
    /// until an approver runs `tocsinctl audit accept`. Sends are not affected.
    public var auditProblem: String?
    /// Which all-clear `tocsinctl all-clear` sends: `template` (the configured `all-clear`, approved like any other)
    /// or `built-in` (Tocsin's fixed bilingual text, counted as approved). Nil from older daemons.
    public var allClear: String? = nil
    /// With `allClear` = `template`: whether that template's current content is approved, so an all-clear will not
    /// be refused in the middle of an incident. Nil for the built-in one and from older daemons.
    public var allClearApproved: Bool? = nil
    /// Failed deliveries of channel tests (`tocsinctl channels test`), newest first, kept apart from
    /// `recentFailures` (incidents). Both lists leave out a failure once its channel has delivered since.
    /// Nil from older daemons.
    public var recentTestFailures: [DeliveryStatus]? = nil
    /// The nodes on this node's database, by name: every node sharing it on PostgreSQL, this one alone on SQLite.
    /// Nil from older daemons.
    public var nodes: [NodeStatus]? = nil

    public init(
        version: String, pid: Int32, startedAt: String, uptimeSeconds: Int64, configPath: String,
        configFingerprint: String, channels: Int, templates: Int, pendingDeliveries: Int, auditHeadSeq: Int64,
        auditHeadHash: String, recentIncidents: [IncidentSummary], recentFailures: [DeliveryStatus] = [],
        channelsUnavailable: [String: String] = [:], auditProblem: String? = nil
    ) {
        self.auditProblem = auditProblem
        self.recentFailures = recentFailures
        self.channelsUnavailable = channelsUnavailable
        self.version = version
        self.pid = pid
        self.startedAt = startedAt
        self.uptimeSeconds = uptimeSeconds
        self.configPath = configPath
        self.configFingerprint = configFingerprint
        self.channels = channels
        self.templates = templates
        self.pendingDeliveries = pendingDeliveries
        self.auditHeadSeq = auditHeadSeq
        self.auditHeadHash = auditHeadHash
        self.recentIncidents = recentIncidents
    }
}

public struct ReloadResult: Codable, Sendable, Hashable {
    public var fingerprint: String
    public var changed: Bool
    /// Templates whose content changed, so their approval no longer holds until approved again.
    public var needApproval: [String]
    /// Warnings from validation, and settings that only a restart applies.
    public var warnings: [String]
    /// Channels whose secrets or recipients (read from `*_file`s) changed though the config file did not.
    public var credentialsChanged: [String]

    public init(fingerprint: String, changed: Bool, needApproval: [String], warnings: [String], credentialsChanged: [String] = []) {
        self.fingerprint = fingerprint
        self.changed = changed
        self.needApproval = needApproval
        self.warnings = warnings
        self.credentialsChanged = credentialsChanged
    }
}

public struct ChannelParams: Codable, Sendable, Hashable {
    public var channel: String
    /// For a per-recipient channel: the one recipient a test goes to (default: the first configured).
    public var recipient: String?
    /// The caller confirmed that the test is a public post (Facebook page, X, CAP feed, ntfy topic); without it the
    /// daemon refuses such a test with reason `needs-confirmation` and sends nothing.
    public var publicPostConfirmed: Bool?

    public init(channel: String, recipient: String? = nil, publicPostConfirmed: Bool? = nil) {
        self.channel = channel
        self.recipient = recipient
        self.publicPostConfirmed = publicPostConfirmed
    }
}

public struct ChannelInfo: Codable, Sendable, Hashable {
    public var name: String
    public var type: String
    /// Scheme and host only: paths and tokens are never shown.
    public var endpoint: String
    public var languages: [String]
    public var recipients: Int
    public var routes: [String]
    public var maxConcurrency: Int
    public var rateLimit: Double?
    /// Why the channel cannot send with this build or config, if it cannot.
    public var unavailable: String?
    public var lastDeliveredAt: String?
    public var lastErrorAt: String?
    public var lastError: String?
    /// When the channel's credential expires (`expires:` in the config), if known.
    public var expires: String?
    /// When the receiver's TLS certificate expires, as seen at the last TLS handshake.
    public var certificateExpires: String?
    /// What kind of failure `lastError` is (``ErrorKind``). Nil without an error and from older daemons.
    public var lastErrorKind: ErrorKind? = nil

    public init(
        name: String, type: String, endpoint: String, languages: [String], recipients: Int, routes: [String],
        maxConcurrency: Int, rateLimit: Double?, unavailable: String?, lastDeliveredAt: String?, lastErrorAt: String?,
        lastError: String?, expires: String? = nil, certificateExpires: String? = nil
    ) {
        self.expires = expires
        self.certificateExpires = certificateExpires
        self.name = name
        self.type = type
        self.endpoint = endpoint
        self.languages = languages
        self.recipients = recipients
        self.routes = routes
        self.maxConcurrency = maxConcurrency
        self.rateLimit = rateLimit
        self.unavailable = unavailable
        self.lastDeliveredAt = lastDeliveredAt
        self.lastErrorAt = lastErrorAt
        self.lastError = lastError
    }
}

public struct BackupParams: Codable, Sendable, Hashable {
    /// Refused when set: the daemon writes backups only into `paths.backups` and names them itself (a caller who
    /// could name the file could write the daemon's files anywhere it can). Kept so an older CLI gets a clear answer.
    public var path: String?
    public init(path: String? = nil) { self.path = path }
}

public struct AuditAcceptParams: Codable, Sendable, Hashable {
    /// Why the gap is legitimate (e.g. "restored the backup of 2026-03-01 after a disk failure").
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

public struct AuditAcceptResult: Codable, Sendable, Hashable {
    /// The problem that was accepted, and the `audit.accept` entry that records it.
    public var problem: String
    public var acceptSeq: Int64
    public var acceptHash: String

    public init(problem: String, acceptSeq: Int64, acceptHash: String) {
        self.problem = problem
        self.acceptSeq = acceptSeq
        self.acceptHash = acceptHash
    }
}

public struct BackupResult: Codable, Sendable, Hashable {
    public var path: String
    public var bytes: Int64
    public var auditHeadSeq: Int64
    public var auditHeadHash: String

    public init(path: String, bytes: Int64, auditHeadSeq: Int64, auditHeadHash: String) {
        self.path = path
        self.bytes = bytes
        self.auditHeadSeq = auditHeadSeq
        self.auditHeadHash = auditHeadHash
    }
}

/// `daemon.health`: what a monitoring check needs, worst state first.
public struct HealthReport: Codable, Sendable, Hashable {
    public enum State: String, Codable, Sendable, Hashable, Comparable {
        case ok = "OK", warning = "WARNING", critical = "CRITICAL"

        private var rank: Int { self == .ok ? 0 : self == .warning ? 1 : 2 }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    public struct Check: Codable, Sendable, Hashable {
        /// `config`, `database`, `channel:NAME`, `credential:NAME`, `heartbeat`, `audit`.
        public var name: String
        public var state: State
        /// The daemon's English sentence (what monitoring systems and older clients show).
        public var message: String
        /// The same sentences by key, for a client to say in its operator's language (``OperatorText``); several
        /// when a check found several problems (joined with "; " like `message`). Absent from older daemons.
        public var said: [Said]?

        public init(name: String, state: State, message: String, said: [Said]? = nil) {
            self.name = name
            self.state = state
            self.message = message
            self.said = said
        }

        /// The check's sentence in `language`: the keyed French when every part of it has one, else `message`.
        public func text(in language: OperatorLanguage) -> String {
            guard language == .fr, let said, !said.isEmpty else { return message }
            let french = said.compactMap(OperatorText.french)
            return french.count == said.count ? french.joined(separator: " ; ") : message
        }
    }

    /// The worst state of any check.
    public var state: State
    public var checks: [Check]

    public init(checks: [Check]) {
        self.checks = checks
        state = checks.map(\.state).max() ?? .ok
    }
}
