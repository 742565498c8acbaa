import Foundation
public import TocsinAudit

/// The daemon's whole configuration, validated: what `tocsin.yaml` and the templates folder say.
public struct Configuration: Sendable {
    public struct Organization: Sendable, Hashable {
        public var name: String
        /// CAP `<sender>`.
        public var sender: String
        /// Display order; the first is the primary language.
        public var languages: [String]

        public init(name: String, sender: String, languages: [String]) {
            self.name = name
            self.sender = sender
            self.languages = languages
        }
    }

    public struct Paths: Sendable, Hashable {
        /// The state folder; `tocsin.db` lives here.
        public var state: String
        public var socket: String
        public var templates: String
        /// Permissions of the admin socket; 0660 lets the socket's group (operators) in.
        public var socketMode: UInt16
        /// `paths.backups`: the only folder `backup` writes into (default `backups` in the state folder).
        public var backupsSetting: String?

        public init(state: String, socket: String, templates: String, socketMode: UInt16 = 0o660, backups: String? = nil) {
            self.state = state
            self.socket = socket
            self.templates = templates
            self.socketMode = socketMode
            backupsSetting = backups
        }

        public var database: String { (state as NSString).appendingPathComponent("tocsin.db") }
        public var backups: String { backupsSetting ?? (state as NSString).appendingPathComponent("backups") }
    }

    public struct Delivery: Sendable, Hashable {
        public var timeout: Duration
        public var retry: RetryPolicy
        /// `delivery.proxy`: direct unless the config says otherwise (see ``DeliveryProxy``).
        public var proxy: DeliveryProxy = .none

        public init(timeout: Duration = .seconds(10), retry: RetryPolicy = RetryPolicy()) {
            self.timeout = timeout
            self.retry = retry
        }
    }

    /// Drill scorecard targets (`objectives:`): how fast each channel, and the whole incident, should be delivered.
    public struct Objectives: Sendable, Hashable {
        public var channelWithin: Duration?
        public var incidentWithin: Duration?

        public init(channelWithin: Duration? = nil, incidentWithin: Duration? = nil) {
            self.channelWithin = channelWithin
            self.incidentWithin = incidentWithin
        }
    }

    /// Signed audit checkpoints (`audit:`): off unless a signing key is configured.
    public struct Audit: Sendable {
        public var signer: AuditSigner?
        /// Public keys of earlier signing keys, so checkpoints they signed still verify after a rotation.
        public var trustedKeys: [AuditPublicKey]
        /// How often the head is signed while entries are being written (besides start, stop and incident ends).
        public var checkpointInterval: Duration
        /// `audit.heads_file`: where each signed head is appended, outside the database (default
        /// `audit-heads/heads.jsonl` in the state folder; better on storage the state folder's writers cannot edit).
        public var headsFile: String?
        /// `audit.witness`: a webhook channel that receives every signed head, off the machine.
        public var witness: String?

        public init(signer: AuditSigner? = nil, trustedKeys: [AuditPublicKey] = [], checkpointInterval: Duration = .seconds(3600)) {
            self.signer = signer
            self.trustedKeys = trustedKeys
            self.checkpointInterval = checkpointInterval
        }

        /// Every key a checkpoint in this chain may be signed by: the current one first.
        public var verificationKeys: [AuditPublicKey] { (signer.map { [$0.publicKey] } ?? []) + trustedKeys }
    }

    /// What tells operators the daemon works before the day it is needed: metrics, health thresholds, heartbeat.
    public struct Monitoring: Sendable, Hashable {
        /// `metrics_listen: 127.0.0.1:PORT`: a loopback-only HTTP listener serving `/metrics`.
        public var metricsListen: (host: String, port: Int)? {
            get { listen.map { ($0.host, $0.port) } }
            set { listen = newValue.map { Listen(host: $0.host, port: $0.port) } }
        }
        private var listen: Listen?
        /// How often `metrics_file` is rewritten.
        public var metricsInterval: Duration = .seconds(15)
        /// A channel failing for longer than this is critical in `tocsinctl health`.
        public var channelFailingAfter: Duration = .seconds(15 * 60)
        /// A credential expiring within this is a warning in health (critical once expired).
        public var expiryWarning: Duration = .seconds(14 * 86_400)
        public var heartbeat: Heartbeat?

        private struct Listen: Sendable, Hashable {
            var host: String
            var port: Int
        }

        public init() {}
    }

    /// `heartbeat:` — a CAP `System` message sent on a schedule through a route, so a dead channel shows on a quiet day.
    public struct Heartbeat: Sendable, Hashable {
        public var every: Duration
        public var route: String

        public init(every: Duration, route: String) {
            self.every = every
            self.route = route
        }

        /// How late a heartbeat may be before health says so: a tenth of the period, at least a minute.
        public var grace: Duration { max(every / 10, .seconds(60)) }
    }

    public var organization: Organization
    public var paths: Paths
    public var access: AccessPolicy
    public var delivery: Delivery
    public var channels: [String: ChannelDefinition]
    public var routes: [String: [String]]
    public var templates: [String: MessageTemplate]
    public var metricsFile: String?
    /// How many distinct approvers must approve the same content before a template is approved (two-person rule).
    public var requiredApprovers: Int
    /// Targets the incident report scores against; nil when the config sets none.
    public var objectives: Objectives?
    public var audit: Audit
    /// `cap:`: the key CAP alerts are signed with; nil when they go out unsigned.
    public var cap: CAPSigning?
    /// `web:`: the key web users' TOTP seeds are sealed with; nil when none is given.
    public var web: Web?
    public var monitoring = Monitoring()
    /// `storage:`: SQLite in `paths.state` unless `storage.postgresql` is set.
    public var storage: Storage = .sqlite
    /// `cluster:`: this node's name and lease (with `storage.postgresql`).
    public var cluster = Cluster()
    /// SHA-256 over the config file and every template file: what the audit records at each load.
    public var fingerprint: String

    public init(
        organization: Organization, paths: Paths, access: AccessPolicy, delivery: Delivery,
        channels: [String: ChannelDefinition], routes: [String: [String]], templates: [String: MessageTemplate],
        metricsFile: String? = nil, requiredApprovers: Int = 1, objectives: Objectives? = nil, audit: Audit = Audit(), fingerprint: String
    ) {
        self.organization = organization
        self.paths = paths
        self.access = access
        self.delivery = delivery
        self.channels = channels
        self.routes = routes
        self.templates = templates
        self.metricsFile = metricsFile
        self.requiredApprovers = requiredApprovers
        self.objectives = objectives
        self.audit = audit
        self.fingerprint = fingerprint
    }
}

extension Configuration {
    /// The heads file in force: `audit.heads_file`, or `audit-heads/heads.jsonl` in the state folder (a folder of
    /// its own, so it can be given to other storage or made append-only with `chattr +a`).
    public var auditHeadsFile: String {
        audit.headsFile ?? ((paths.state as NSString).appendingPathComponent("audit-heads") as NSString).appendingPathComponent("heads.jsonl")
    }
}
