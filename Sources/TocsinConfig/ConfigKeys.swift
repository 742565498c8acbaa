public import TocsinCore

/// Every key the config parser accepts, as dotted paths: the one list the parser's `allowed:` sets come from and
/// that `docs/configuration.md` is checked against (Tests/TocsinConfigTests/ConfigReferenceTests.swift).
///
/// `<…>` stands for a name the user chooses: `<name>` a channel, `<route>` a route, `<variable>` a template variable, `<language>` a language code of `organization.languages`.
///
/// To add a key: add its path here (one line), read it in the parser, and give it an entry in
/// docs/configuration.md, or the reference test fails. A new section (`heartbeat:`) is its keys' paths here
/// (`heartbeat.route`, …) and `reader.mapping(top["heartbeat"], "heartbeat", allowed: ConfigKeys.allowed(under: "heartbeat"))`.
/// Channel keys per type are declared by ``ChannelType`` (TocsinCore), which the channel adapters share;
/// ``channel`` lists them under `channels.<name>.`.
public enum ConfigKeys {
    /// `tocsin.yaml`, except the keys of `channels.<name>` (see ``channel``).
    public static let configFile: [String] = [
        "organization.name",
        "organization.sender",
        "organization.languages",
        "paths.state",
        "paths.socket",
        "paths.socket_mode",
        "paths.templates",
        "paths.backups",
        "access.operators",
        "access.approvers",
        "access.auditors",
        "access.monitors",
        "access.auditors_may_backup",
        "access.web_gateways",
        "delivery.timeout",
        "delivery.deadline",
        "delivery.retry.initial",
        "delivery.retry.max",
        "delivery.retry.max_retry_after",
        "delivery.proxy",
        "delivery.proxy_file",
        "routes.<route>",
        "metrics_file",
        "approval.required_approvers",
        "objectives.channel_within",
        "objectives.incident_within",
        "audit.signing_key_file",
        "audit.trusted_keys",
        "audit.checkpoint_interval",
        "audit.heads_file",
        "audit.witness",
        "metrics_listen",
        "metrics_interval",
        "health.channel_failing_after",
        "health.expiry_warning",
        "heartbeat.every",
        "heartbeat.route",
        "cap.signing_key_file",
        "cap.certificate_file",
        "web.seed_key_file",
        "storage.postgresql.hosts",
        "storage.postgresql.database",
        "storage.postgresql.user",
        "storage.postgresql.password_file",
        "storage.postgresql.tls",
        "storage.postgresql.ca_file",
        "cluster.node",
        "cluster.lease",
    ]

    /// A template file (`templates/*.yaml`), one template a file.
    public static let templateFile: [String] = [
        "id",
        "category",
        "severity",
        "urgency",
        "certainty",
        "response",
        "route",
        "drill_route",
        "variables.<variable>.required",
        "variables.<variable>.default",
        "variables.<variable>.allowed",
        "variables.<variable>.description",
        "variables.<variable>.max_length",
        "event.<language>",
        "title.<language>",
        "body.<language>",
        "instruction.<language>",
        "short.<language>",
    ]

    /// The prefix of a channel's keys in `tocsin.yaml`.
    public static let channelPrefix = "channels.<name>."

    /// The keys a channel of `type` takes (without ``channelPrefix``): those of every channel, the type's own, and
    /// `KEY_file` for each key that may be read from a file.
    public static func channel(_ type: ChannelType) -> Set<String> {
        // `headers_file`: the webhook's extra headers as `Name: value` lines, for those that carry a credential.
        ChannelType.commonKeys.union(type.allKeys).union(type.fileKeys.map { $0 + "_file" })
            .union(type.allKeys.contains("headers") ? ["headers_file"] : [])
    }

    /// Every accepted path of `tocsin.yaml`: ``configFile`` and the channel keys (of every type) under ``channelPrefix``.
    public static let allConfigPaths: Set<String> = {
        var paths = Set(configFile)
        for type in ChannelType.allCases {
            for key in channel(type) { paths.insert(channelPrefix + key) }
        }
        return paths
    }()

    /// The keys a mapping of `tocsin.yaml` at `parent` may hold ("" for the top level).
    ///
    /// `allowed(under: "delivery")` is `timeout`, `deadline` and `retry`; `allowed(under: "")` the top-level sections.
    public static func allowed(under parent: String) -> Set<String> {
        children(of: parent, in: allConfigPaths)
    }

    /// The keys a mapping of a template file at `parent` may hold ("" for the top level).
    public static func allowedInTemplate(under parent: String) -> Set<String> {
        children(of: parent, in: Set(templateFile))
    }

    private static func children(of parent: String, in paths: Set<String>) -> Set<String> {
        let prefix = parent.isEmpty ? "" : parent + "."
        var keys = Set<String>()
        for path in paths where path.hasPrefix(prefix) {
            if let first = path.dropFirst(prefix.count).split(separator: ".", maxSplits: 1).first { keys.insert(String(first)) }
        }
        return keys
    }
}
