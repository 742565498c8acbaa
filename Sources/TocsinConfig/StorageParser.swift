import Foundation
import TocsinCore
import Yams

/// `storage:` and `cluster:`: SQLite in `paths.state`, or a PostgreSQL database shared by several nodes.
extension ConfigParser {
    mutating func parseStorage(_ top: [String: Node]) -> (storage: Configuration.Storage, cluster: Configuration.Cluster) {
        let storage = reader.mapping(top["storage"], "storage", allowed: ConfigKeys.allowed(under: "storage"))
        let cluster = parseCluster(top["cluster"])
        guard let node = storage["postgresql"] else {
            if top["cluster"] != nil {
                reader.warning("'cluster' has no effect without 'storage.postgresql': with SQLite, tocsind runs on one machine", at: top["cluster"])
            }
            return (.sqlite, cluster)
        }
        guard let settings = parsePostgreSQL(node) else { return (.sqlite, cluster) }
        return (.postgresql(settings), cluster)
    }

    private mutating func parsePostgreSQL(_ node: Node) -> Configuration.PostgreSQL? {
        let path = "storage.postgresql"
        let map = reader.mapping(node, path, allowed: ConfigKeys.allowed(under: path))
        if node.mapping == nil { return nil }
        let errorsBefore = diagnostics.errors.count
        var hosts: [Configuration.PostgreSQL.Host] = []
        if map["hosts"] == nil { reader.error("'\(path).hosts' is required: the database servers as host:port, e.g. [\"db1.example:5432\"]", at: node) }
        for text in reader.strings(map["hosts"], "\(path).hosts") ?? [] {
            guard let host = Self.postgresHost(text) else {
                reader.error("'\(path).hosts' entry '\(text)' must be host:port, e.g. db1.example:5432 or [::1]:5432", at: map["hosts"])
                continue
            }
            if hosts.contains(host) { reader.error("'\(path).hosts' lists \(host) twice", at: map["hosts"]) }
            hosts.append(host)
        }
        if map["hosts"] != nil, hosts.isEmpty, diagnostics.errors.count == errorsBefore {
            reader.error("'\(path).hosts' must list at least one server", at: map["hosts"])
        }
        let database = reader.string(map["database"], "\(path).database", required: true, parent: node)
        let user = reader.string(map["user"], "\(path).user", required: true, parent: node)
        let tls = reader.enumValue(map["tls"], "\(path).tls", Configuration.PostgreSQL.TLSMode.self, required: false, parent: node) ?? .verifyFull
        if tls == .disable, let remote = hosts.first(where: { !$0.isLoopback }) {
            reader.error(
                "'\(path).tls: disable' is refused: \(remote) is not a loopback address, and the password and every message would cross the network in clear; use verify-full (with ca_file for a private CA)",
                at: map["tls"]
            )
        }
        var caFile: String?
        if let name = reader.string(map["ca_file"], "\(path).ca_file") {
            let resolved = resolve(name)
            if ConfigLoader.readText(resolved) == nil {
                reader.error("cannot read '\(path).ca_file': \(ConfigLoader.describeReadFailure(resolved))", at: map["ca_file"])
            } else if tls != .verifyFull {
                reader.warning("'\(path).ca_file' is used only with 'tls: verify-full'; with '\(tls.rawValue)' the server's certificate is not checked", at: map["ca_file"])
            }
            caFile = resolved
        }
        var password: Secret?, passwordFile: String?
        if let name = reader.string(map["password_file"], "\(path).password_file") {
            let resolved = resolve(name)
            passwordFile = resolved
            // The value is never echoed: only the file's name and what is wrong with it.
            if let text = ConfigLoader.readText(resolved) {
                let access = ConfigLoader.secretFileAccess(resolved)
                if let refusal = access.refusal { reader.error("'\(path).password_file': \(refusal)", at: map["password_file"]) }
                if let warning = access.warning { reader.warning("'\(path).password_file': \(warning)", at: map["password_file"]) }
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.isEmpty { reader.error("'\(path).password_file' (\(resolved)) is empty", at: map["password_file"]) }
                password = Secret(trimmed)
            } else {
                reader.error("cannot read '\(path).password_file': \(ConfigLoader.describeReadFailure(resolved))", at: map["password_file"])
            }
        }
        guard diagnostics.errors.count == errorsBefore, let database, let user else { return nil }
        return Configuration.PostgreSQL(
            hosts: hosts, database: database, user: user, password: password, passwordFile: passwordFile, tls: tls, caFile: caFile
        )
    }

    private mutating func parseCluster(_ node: Node?) -> Configuration.Cluster {
        let map = reader.mapping(node, "cluster", allowed: ConfigKeys.allowed(under: "cluster"))
        var cluster = Configuration.Cluster()
        if let name = reader.string(map["node"], "cluster.node", required: map["node"] != nil) {
            if name.count > 63 || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) {
                reader.error("'cluster.node' must be 1 to 63 letters, digits, '-', '_' or '.' (a host name), not '\(TextValidator.printable(name, limit: 70))'", at: map["node"])
            } else {
                cluster.node = name
            }
        }
        if let lease = reader.duration(map["lease"], "cluster.lease") {
            // Renewed every third of the lease: below a second, a busy database or a GC pause would lose it.
            if lease < .seconds(1) || lease > .seconds(600) {
                reader.error("'cluster.lease' must be from 1s to 10m (the time other nodes wait before taking over a silent node's deliveries)", at: map["lease"])
            } else {
                cluster.lease = lease
            }
        }
        return cluster
    }

    /// `db1.example:5432`, `10.0.0.5:5432` or `[2001:db8::1]:5432`.
    static func postgresHost(_ text: String) -> Configuration.PostgreSQL.Host? {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "@" }),
            let port = Int(portText), (1...65535).contains(port)
        else { return nil }
        return Configuration.PostgreSQL.Host(host: String(host), port: port)
    }
}
