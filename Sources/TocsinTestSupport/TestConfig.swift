import Foundation

/// Writes a tocsin.yaml and templates for a test, with fast retry timings so tests finish quickly.
public struct TestConfig {
    public struct Channel {
        public var name: String
        public var url: String
        public var secret: String?
        public var timeout: String?
        public var extra: String
        /// The channel type; other types than `webhook` take their keys through `extra` (an empty `url` is left out).
        public var type = "webhook"

        public init(_ name: String, url: String, secret: String? = nil, timeout: String? = nil, extra: String = "") {
            self.name = name
            self.url = url
            self.secret = secret
            self.timeout = timeout
            self.extra = extra
        }
    }

    public var channels: [Channel]
    public var routes: [String: [String]]
    public var operators = ["group:root"]
    public var approvers = ["group:root"]
    public var auditors = ["group:root"]
    public var monitors: [String] = []
    /// `access.web_gateways`: the system users that may act for web users.
    public var webGateways: [String] = []
    /// `access.auditors_may_backup`.
    public var auditorsMayBackup = false
    public var socketMode = "0660"
    public var retry = "{ initial: 100ms, max: 400ms }"
    public var deadline = "2m"
    public var timeout = "5s"
    /// Extra top-level YAML (e.g. `approval: { required_approvers: 2 }`).
    public var extraYAML = ""
    /// `storage.postgresql` (and `cluster:`): the daemon's state on a PostgreSQL database; nil for SQLite.
    public var storage: PostgresStorage?
    public var templates: [String: String] = ["evacuation": TestConfig.evacuationTemplate, "all-clear": TestConfig.allClearTemplate]

    public init(channels: [Channel], routes: [String: [String]]? = nil) {
        self.channels = channels
        self.routes = routes ?? ["campus": channels.map(\.name), "drill": channels.map(\.name)]
    }

    /// A whsec_ secret, fresh for each test.
    public static func makeSecret() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        return "whsec_" + Data(bytes).base64EncodedString()
    }

    /// Writes the config (secrets as `secret_file`s) and templates into `directory`; returns the config path.
    @discardableResult
    public func write(to directory: TemporaryDirectory) throws -> String {
        var yaml = """
            organization: { name: "Cégep de l'Exemple", sender: alertes@cegep.example, languages: [fr, en] }
            paths: { state: state, socket: state/admin.sock, templates: templates, socket_mode: "\(socketMode)" }
            access:
              operators: [\(operators.joined(separator: ", "))]
              approvers: [\(approvers.joined(separator: ", "))]
              auditors: [\(auditors.joined(separator: ", "))]
              monitors: [\(monitors.joined(separator: ", "))]
              auditors_may_backup: \(auditorsMayBackup)
              web_gateways: [\(webGateways.joined(separator: ", "))]
            delivery: { timeout: \(timeout), deadline: \(deadline), retry: \(retry) }
            channels:

            """
        for channel in channels {
            yaml += "  \(channel.name):\n    type: \(channel.type)\n"
            if !channel.url.isEmpty { yaml += "    url: \"\(channel.url)\"\n" }
            if let secret = channel.secret {
                let file = try directory.write("secrets/\(channel.name)", secret + "\n")
                // As deployed: a secret file every user can read loads with a warning.
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
                yaml += "    secret_file: \(file)\n"
            }
            if let timeout = channel.timeout { yaml += "    timeout: \(timeout)\n" }
            if !channel.extra.isEmpty { yaml += channel.extra }
        }
        yaml += "routes:\n"
        for (name, members) in routes.sorted(by: { $0.key < $1.key }) {
            yaml += "  \(name): [\(members.joined(separator: ", "))]\n"
        }
        yaml += extraYAML
        if let storage { yaml += storage.yaml }
        for (id, text) in templates { try directory.write("templates/\(id).yaml", text) }
        let path = try directory.write("tocsin.yaml", yaml)
        // As deployed (0640): a config with inline secrets must not be world-readable.
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        return path
    }

    /// `storage:` and `cluster:` for a database on a test's own server (`PostgresServer`), in plain text on loopback.
    public struct PostgresStorage: Sendable {
        public var hosts: [String]
        public var database: String
        public var user: String
        public var tls = "disable"
        /// `password_file`: needed for a role made by `PostgresServer.createRole` (the superuser is trusted on loopback).
        public var passwordFile: String?
        public var node: String?
        public var lease: String?

        public init(hosts: [String], database: String, user: String) {
            self.hosts = hosts
            self.database = database
            self.user = user
        }

        /// The database `database` on `server`, as its superuser (trusted on loopback).
        public init(server: PostgresServer, database: String) {
            self.init(hosts: ["\(server.host):\(server.port)"], database: database, user: server.user)
        }

        var yaml: String {
            var text = "storage:\n  postgresql:\n"
            text += "    hosts: [\(hosts.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
            text += "    database: \(database)\n    user: \(user)\n    tls: \(tls)\n"
            if let passwordFile { text += "    password_file: \(passwordFile)\n" }
            if node != nil || lease != nil {
                text += "cluster:\n"
                if let node { text += "  node: \(node)\n" }
                if let lease { text += "  lease: \(lease)\n" }
            }
            return text
        }
    }

    public static let allClearTemplate = """
        id: all-clear
        category: Safety
        severity: Minor
        urgency: Past
        certainty: Observed
        response: AllClear
        route: campus
        drill_route: drill
        variables:
          building: { default: Campus, allowed: [Campus, Pavillon A, Pavillon B] }
        event: { fr: Fin d'alerte, en: All clear }
        title: { fr: "FIN D'ALERTE — {{building}}", en: "ALL CLEAR — {{building}}" }
        body: { fr: "Vous pouvez retourner à {{building}}.", en: "You may return to {{building}}." }

        """

    public static let evacuationTemplate = """
        id: evacuation
        category: Fire
        severity: Extreme
        urgency: Immediate
        certainty: Observed
        response: Evacuate
        route: campus
        drill_route: drill
        variables:
          building: { required: true, allowed: [Pavillon A, Pavillon B] }
          assembly_point: { default: Stationnement P1 }
        event: { fr: Évacuation, en: Evacuation }
        title:
          fr: "ÉVACUATION — {{building}}"
          en: "EVACUATION — {{building}}"
        body:
          fr: "Quittez {{building}} immédiatement. Point de rassemblement : {{assembly_point}}."
          en: "Leave {{building}} now. Assembly point: {{assembly_point}}."

        """
}

/// A receiver, a config and a running daemon, torn down together.
public final class TestBed: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let receiver: LoopbackReceiver
    public let daemon: DaemonProcess

    /// - Parameter configure: builds the config from the receiver (its URLs are known only once it listens).
    public init(
        plan: [String: [[String: Any]]] = [:], environment: [String: String] = [:], configure: (LoopbackReceiver) -> TestConfig
    ) async throws {
        let directory = try TemporaryDirectory()
        self.directory = directory
        // The plan is not Sendable: it crosses to the starting thread as the JSON the receiver reads anyway.
        let planData = try JSONSerialization.data(withJSONObject: plan)
        receiver = try await offPool {
            let plan = (try? JSONSerialization.jsonObject(with: planData)) as? [String: [[String: Any]]] ?? [:]
            return try LoopbackReceiver(in: directory, plan: plan)
        }
        let path = try configure(receiver).write(to: directory)
        daemon = DaemonProcess(directory: directory, configPath: path)
        do {
            try await daemon.start(environment: environment)
        } catch {
            receiver.stop()
            throw error
        }
    }

    /// Kills the daemon and stops the receiver without waiting (a `defer` cannot await); the folder is removed once
    /// both have ended, so neither writes into a folder being removed.
    public func tearDown() {
        daemon.signal(SIGKILL)
        receiver.stop()
        let directory = directory, receiver = receiver
        daemon.whenExited { receiver.whenExited { directory.remove() } }
    }
}
