import Foundation

extension Configuration {
    /// Where the state lives (`storage:`): SQLite in `paths.state` unless `storage.postgresql` is set.
    public enum Storage: Sendable, Hashable {
        case sqlite
        case postgresql(PostgreSQL)
    }

    /// `storage.postgresql`: a database shared by several `tocsind` nodes (DESIGN.md "Several machines").
    public struct PostgreSQL: Sendable, Hashable {
        public struct Host: Sendable, Hashable, CustomStringConvertible {
            public var host: String
            public var port: Int

            public init(host: String, port: Int) {
                self.host = host
                self.port = port
            }

            /// `db1.example:5432`, `[::1]:5432`.
            public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

            /// `localhost`, `127.0.0.0/8` or `::1`: traffic that never leaves the machine.
            public var isLoopback: Bool {
                if host == "localhost" || host == "::1" { return true }
                let octets = host.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
                return octets.count == 4 && octets[0] == 127
            }
        }

        /// `tls`: how the connection is protected, as libpq's `sslmode` of the same names.
        public enum TLSMode: String, Sendable, Hashable, CaseIterable {
            /// Encrypted, the server's certificate checked against the CA (`ca_file`, else the system's) and its name.
            case verifyFull = "verify-full"
            /// Encrypted, the certificate not checked: protects against listening, not against an impostor.
            case require
            /// Plain text: only when every host is a loopback address.
            case disable
        }

        /// Tried in order; the first that accepts writes (not a standby) is used.
        public var hosts: [Host]
        public var database: String
        public var user: String
        /// Read from `password_file` at load; never shown.
        public var password: Secret?
        public var passwordFile: String?
        public var tls: TLSMode
        public var caFile: String?

        public init(
            hosts: [Host], database: String, user: String, password: Secret? = nil, passwordFile: String? = nil,
            tls: TLSMode = .verifyFull, caFile: String? = nil
        ) {
            self.hosts = hosts
            self.database = database
            self.user = user
            self.password = password
            self.passwordFile = passwordFile
            self.tls = tls
            self.caFile = caFile
        }

        /// One line for `--check-config` and the journal: where, as whom, how protected; the password only as
        /// the file it comes from.
        public var summary: String {
            var text = "PostgreSQL database '\(database)' as user '\(user)' on \(hosts.map(\.description).joined(separator: ", ")), tls \(tls.rawValue)"
            if let caFile { text += " (CA \(caFile))" }
            text += passwordFile.map { ", password from \($0)" } ?? ", no password"
            return text
        }
    }

    /// `cluster:`: this node's name and its claim on deliveries (used with `storage.postgresql`).
    public struct Cluster: Sendable, Hashable {
        public var node: String
        public var lease: Duration

        public init(node: String = Cluster.hostName, lease: Duration = .seconds(10)) {
            self.node = node
            self.lease = lease
        }

        /// The machine's host name (the default node name).
        public static var hostName: String {
            var buffer = [CChar](repeating: 0, count: 256)
            guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
            let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return name.isEmpty ? "localhost" : name
        }
    }
}

extension Configuration.Storage {
    /// What `--check-config` prints: the backend and where, never a password.
    public func summary(paths: Configuration.Paths, cluster: Configuration.Cluster) -> String {
        switch self {
        case .sqlite:
            return "SQLite at \(paths.database)"
        case .postgresql(let settings):
            return "\(settings.summary); node '\(cluster.node)', lease \(cluster.lease.humanReadable)"
        }
    }
}
