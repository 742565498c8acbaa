import Foundation
import TocsinAudit
import TocsinCore
import Yams

/// The sections of `tocsin.yaml` other than templates.
struct ConfigParser {
    struct Draft {
        var organization: Configuration.Organization
        var paths: Configuration.Paths
        var access: AccessPolicy
        var delivery: Configuration.Delivery
        var channels: [String: ChannelDefinition]
        var routes: [String: [String]]
        var metricsFile: String?
        var requiredApprovers: Int
        var objectives: Configuration.Objectives?
        var audit: Configuration.Audit
        var cap: Configuration.CAPSigning?
        var web: Configuration.Web?
        var monitoring: Configuration.Monitoring
        var inlineSecrets: [InlineSecret]
        var storage: Configuration.Storage
        var cluster: Configuration.Cluster
    }

    var reader: YAMLReader
    let folder: String
    let environment: [String: String]

    var diagnostics: [Diagnostic] { reader.diagnostics }

    init(file: String, folder: String, environment: [String: String]) {
        reader = YAMLReader(file: file)
        self.folder = folder
        self.environment = environment
    }

    mutating func parse(_ text: String) -> Draft? {
        guard let root = reader.compose(text) else {
            if !reader.diagnostics.hasErrors { reader.error("the config file is empty", at: nil) }
            return nil
        }
        let top = reader.mapping(root, "config", allowed: ConfigKeys.allowed(under: ""))
        let organization = parseOrganization(top["organization"], root: root)
        let paths = parsePaths(top["paths"])
        let access = parseAccess(top["access"])
        var delivery = parseDelivery(top["delivery"])
        let proxy = parseProxy(top["delivery"])
        delivery.proxy = proxy.choice
        var channelParser = ChannelParser(
            reader: reader, folder: folder, environment: environment, languages: organization.languages
        )
        let channels = channelParser.parse(top["channels"])
        reader = channelParser.reader
        let inlineSecrets = channelParser.inlineSecrets + [proxy.inline].compactMap { $0 }
        let routes = parseRoutes(top["routes"], channels: channels)
        let metricsFile = reader.string(top["metrics_file"], "metrics_file").map(resolve)
        let approval = reader.mapping(top["approval"], "approval", allowed: ConfigKeys.allowed(under: "approval"))
        var requiredApprovers = 1
        if let value = reader.number(approval["required_approvers"], "approval.required_approvers", minimum: 1) {
            requiredApprovers = Int(value)
            if Double(requiredApprovers) != value || requiredApprovers > 5 {
                reader.error("'approval.required_approvers' must be a whole number from 1 to 5", at: approval["required_approvers"])
            }
            if access.approvers.count < requiredApprovers, !access.approvers.contains(where: { if case .group = $0 { true } else { false } }) {
                reader.warning("'approval.required_approvers' is \(requiredApprovers) but 'access.approvers' names fewer; only root could complete an approval", at: approval["required_approvers"])
            }
        }
        let objectives = parseObjectives(top["objectives"])
        let audit = parseAudit(top["audit"], channels: channels)
        let cap = parseCAP(top["cap"], channels: channels)
        let web = parseWeb(top["web"])
        let monitoring = parseMonitoring(top, routes: routes)
        let (storage, cluster) = parseStorage(top)
        if top["channels"] == nil { reader.error("'channels' is required: name at least one destination", at: root) }
        return Draft(
            organization: organization, paths: paths, access: access, delivery: delivery,
            channels: channels, routes: routes, metricsFile: metricsFile, requiredApprovers: requiredApprovers,
            objectives: objectives, audit: audit, cap: cap, web: web, monitoring: monitoring, inlineSecrets: inlineSecrets,
            storage: storage, cluster: cluster
        )
    }

    func resolve(_ path: String) -> String {
        ConfigLoader.resolve(path, folder: folder, environment: environment)
    }

    private mutating func parseOrganization(_ node: Node?, root: Node) -> Configuration.Organization {
        if node == nil { reader.error("'organization' is required (name, sender, languages)", at: root) }
        let map = reader.mapping(node, "organization", allowed: ConfigKeys.allowed(under: "organization"))
        let name = reader.string(map["name"], "organization.name", required: node != nil, parent: node) ?? ""
        let sender = reader.string(map["sender"], "organization.sender", required: node != nil, parent: node) ?? ""
        var languages = reader.strings(map["languages"], "organization.languages") ?? []
        if node != nil, languages.isEmpty {
            reader.error("'organization.languages' must list at least one language, e.g. [fr, en]", at: map["languages"] ?? node)
            languages = []
        }
        if Set(languages).count != languages.count {
            reader.error("'organization.languages' lists a language twice", at: map["languages"])
        }
        if sender.contains(" ") || sender.contains(",") {
            reader.error("'organization.sender' must not contain spaces or commas (CAP <sender>)", at: map["sender"])
        }
        return .init(name: name, sender: sender, languages: languages)
    }

    private mutating func parsePaths(_ node: Node?) -> Configuration.Paths {
        let map = reader.mapping(node, "paths", allowed: ConfigKeys.allowed(under: "paths"))
        var mode: UInt16 = 0o660
        if let text = reader.string(map["socket_mode"], "paths.socket_mode") {
            if let value = UInt16(text, radix: 8), value <= 0o777 { mode = value } else {
                reader.error("'paths.socket_mode' must be octal permissions like 0660, not '\(text)'", at: map["socket_mode"])
            }
        }
        return .init(
            state: resolve(reader.string(map["state"], "paths.state") ?? "/var/lib/tocsin"),
            socket: resolve(reader.string(map["socket"], "paths.socket") ?? "/run/tocsin/admin.sock"),
            templates: resolve(reader.string(map["templates"], "paths.templates") ?? "templates"),
            socketMode: mode,
            backups: reader.string(map["backups"], "paths.backups").map(resolve)
        )
    }

    private mutating func parseAccess(_ node: Node?) -> AccessPolicy {
        let map = reader.mapping(node, "access", allowed: ConfigKeys.allowed(under: "access"))
        func principals(_ key: String) -> [AccessPolicy.Principal] {
            (reader.strings(map[key], "access.\(key)") ?? []).compactMap { text in
                guard let principal = AccessPolicy.Principal(text) else {
                    if text.hasPrefix("web:") {
                        reader.error("'access.\(key)' entry '\(text)': a web user name is 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter", at: map[key])
                    } else {
                        reader.error("'access.\(key)' entry '\(text)' must be user:NAME, group:NAME, uid:NUMBER or web:NAME", at: map[key])
                    }
                    return nil
                }
                return principal
            }
        }
        var policy = AccessPolicy(
            operators: principals("operators"), approvers: principals("approvers"), auditors: principals("auditors"),
            monitors: principals("monitors")
        )
        policy.auditorsMayBackup = reader.bool(map["auditors_may_backup"], "access.auditors_may_backup") ?? false
        policy.webGateways = principals("web_gateways").filter { gateway in
            switch gateway {
            case .user, .uid: return true
            case .group, .web:
                // A group would make each of its members a gateway able to act as any web user.
                reader.error("'access.web_gateways' entry '\(gateway)' must be user:NAME or uid:NUMBER: a gateway is one system user, the web console's", at: map["web_gateways"])
                return false
            }
        }
        // A gateway has no role of its own: it acts only for web users, with theirs. Named in a role too, it would be
        // both, and a console taken over could act without any user.
        for role in AccessPolicy.Role.allCases {
            for gateway in policy.webGateways where policy.principals(for: role).contains(gateway) {
                reader.error("'\(gateway)' is both a web gateway and one of access.\(role.rawValue)s: a gateway holds no role of its own (it acts only for web users, with theirs); take it out of one list", at: map["web_gateways"])
            }
        }
        let webUsers = AccessPolicy.Role.allCases.flatMap { policy.principals(for: $0) }.contains { if case .web = $0 { true } else { false } }
        if webUsers, policy.webGateways.isEmpty {
            reader.warning("'access' names web users (web:NAME) but 'access.web_gateways' lists no gateway: nobody can act as them until the web console's user is listed there", at: node)
        }
        return policy
    }

    private mutating func parseDelivery(_ node: Node?) -> Configuration.Delivery {
        let map = reader.mapping(node, "delivery", allowed: ConfigKeys.allowed(under: "delivery"))
        let retryMap = reader.mapping(map["retry"], "delivery.retry", allowed: ConfigKeys.allowed(under: "delivery.retry"))
        var policy = RetryPolicy()
        if let value = reader.duration(map["deadline"], "delivery.deadline") { policy.deadline = value }
        if let value = reader.duration(retryMap["initial"], "delivery.retry.initial") { policy.initial = value }
        if let value = reader.duration(retryMap["max"], "delivery.retry.max") { policy.maximum = value }
        if let value = reader.duration(retryMap["max_retry_after"], "delivery.retry.max_retry_after") {
            policy.maximumRetryAfter = value
        }
        if policy.initial > policy.maximum {
            reader.error("'delivery.retry.initial' is longer than 'delivery.retry.max'", at: map["retry"])
        }
        if policy.initial <= .zero { reader.error("'delivery.retry.initial' must be more than 0", at: map["retry"]) }
        let timeout = reader.duration(map["timeout"], "delivery.timeout") ?? .seconds(10)
        if timeout <= .zero { reader.error("'delivery.timeout' must be more than 0", at: map["timeout"]) }
        return .init(timeout: timeout, retry: policy)
    }

    /// `objectives: { channel_within: 60s, incident_within: 10m }`: the drill scorecard's targets.
    private mutating func parseObjectives(_ node: Node?) -> Configuration.Objectives? {
        guard let node else { return nil }
        let map = reader.mapping(node, "objectives", allowed: ConfigKeys.allowed(under: "objectives"))
        var objectives = Configuration.Objectives()
        let keys: [(String, WritableKeyPath<Configuration.Objectives, Duration?>)] = [
            ("channel_within", \.channelWithin), ("incident_within", \.incidentWithin),
        ]
        for (key, keyPath) in keys {
            guard let value = reader.duration(map[key], "objectives.\(key)") else { continue }
            if value <= .zero { reader.error("'objectives.\(key)' must be more than 0", at: map[key]) }
            objectives[keyPath: keyPath] = value
        }
        return objectives
    }

    /// `audit: { signing_key_file, trusted_keys, checkpoint_interval }`: signed checkpoints of the audit chain.
    private mutating func parseAudit(_ node: Node?, channels: [String: ChannelDefinition]) -> Configuration.Audit {
        let map = reader.mapping(node, "audit", allowed: ConfigKeys.allowed(under: "audit"))
        var audit = Configuration.Audit()
        if let name = reader.string(map["signing_key_file"], "audit.signing_key_file") {
            let path = resolve(name)
            if ConfigLoader.isWorldReadable(path) {
                reader.error("the audit signing key \(path) can be read by every user of the machine: run `chmod 600 \(path)` (or pass it with systemd LoadCredential=)", at: map["signing_key_file"])
            } else if let pem = ConfigLoader.readText(path) {
                do { audit.signer = try AuditSigner(pem: pem) } catch {
                    reader.error("'audit.signing_key_file' (\(path)) is \(error)", at: map["signing_key_file"])
                }
            } else {
                reader.error("cannot read 'audit.signing_key_file': \(ConfigLoader.describeReadFailure(path))", at: map["signing_key_file"])
            }
        }
        for name in reader.strings(map["trusted_keys"], "audit.trusted_keys") ?? [] {
            let path = resolve(name)
            guard let pem = ConfigLoader.readText(path) else {
                reader.error("cannot read a key of 'audit.trusted_keys': \(ConfigLoader.describeReadFailure(path))", at: map["trusted_keys"])
                continue
            }
            if pem.contains("PRIVATE KEY") {
                reader.error("'audit.trusted_keys' entry \(path) holds a private key: list only public halves (openssl pkey -in KEY -pubout -out KEY.pub)", at: map["trusted_keys"])
                continue
            }
            do { audit.trustedKeys.append(try AuditPublicKey(pem: pem)) } catch {
                reader.error("'audit.trusted_keys' entry \(path) is \(error)", at: map["trusted_keys"])
            }
        }
        if let interval = reader.duration(map["checkpoint_interval"], "audit.checkpoint_interval") {
            if interval <= .zero { reader.error("'audit.checkpoint_interval' must be more than 0", at: map["checkpoint_interval"]) }
            audit.checkpointInterval = interval
        }
        audit.headsFile = reader.string(map["heads_file"], "audit.heads_file").map(resolve)
        if let witness = reader.string(map["witness"], "audit.witness") {
            if let channel = channels[witness] {
                if channel.type == .webhook { audit.witness = witness } else {
                    reader.error("'audit.witness' must name a channel of type webhook; '\(witness)' is \(channel.type.rawValue)", at: map["witness"])
                }
            } else if !channels.isEmpty {
                reader.error("'audit.witness' names '\(witness)', which is not a channel (channels: \(channels.keys.sorted().joined(separator: ", ")))", at: map["witness"])
            }
            if map["signing_key_file"] == nil {
                reader.warning("'audit.witness' receives signed heads only: it has no effect without 'audit.signing_key_file'", at: map["witness"])
            }
        }
        if audit.signer == nil, map["checkpoint_interval"] != nil, map["signing_key_file"] == nil {
            reader.warning("'audit.checkpoint_interval' has no effect without 'audit.signing_key_file'", at: map["checkpoint_interval"])
        }
        return audit
    }

    private mutating func parseRoutes(_ node: Node?, channels: [String: ChannelDefinition]) -> [String: [String]] {
        var routes: [String: [String]] = [:]
        for (name, keyNode, value) in reader.orderedMapping(node, "routes") {
            let members = reader.strings(value, "routes.\(name)") ?? []
            if members.isEmpty { reader.error("route '\(name)' lists no channel", at: keyNode) }
            for member in members where channels[member] == nil {
                let hint = YAMLReader.closest(to: member, in: Set(channels.keys)).map { " (did you mean '\($0)'?)" } ?? ""
                reader.error("route '\(name)' names channel '\(member)', which is not defined under 'channels'\(hint)", at: value)
            }
            if Set(members).count != members.count { reader.error("route '\(name)' lists a channel twice", at: value) }
            routes[name] = members
        }
        return routes
    }
}
