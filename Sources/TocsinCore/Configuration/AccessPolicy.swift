/// Who may do what, as Unix users and groups, and as the web console's users. Root has every role; a web user has only
/// what its own `web:` entries give it.
public struct AccessPolicy: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
        case operator_ = "operator", approver, auditor, monitor
    }

    public enum Principal: Sendable, Hashable, CustomStringConvertible {
        case user(String), group(String), uid(UInt32)
        /// A user of the web console, acting through a gateway listed in `web_gateways`: never a Unix account.
        case web(String)

        /// `user:NAME`, `group:NAME`, `uid:N` or `web:NAME`.
        public init?(_ text: String) {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else { return nil }
            switch parts[0] {
            case "user": self = .user(parts[1])
            case "group": self = .group(parts[1])
            case "uid": guard let uid = UInt32(parts[1]) else { return nil }; self = .uid(uid)
            case "web": guard Self.isWebUserName(parts[1]) else { return nil }; self = .web(parts[1])
            default: return nil
            }
        }

        /// Web user names are typed on a phone and shown in the audit log: 1 to 64 lowercase ASCII letters, digits,
        /// `.`, `_` or `-`, starting with a letter, so that no two names look alike.
        public static func isWebUserName(_ name: String) -> Bool {
            let bytes = Array(name.utf8)
            guard (1...64).contains(bytes.count), let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
            return bytes.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
        }

        public var description: String {
            switch self {
            case .user(let name): "user:\(name)"
            case .group(let name): "group:\(name)"
            case .uid(let uid): "uid:\(uid)"
            case .web(let name): "web:\(name)"
            }
        }
    }

    public var operators: [Principal]
    public var approvers: [Principal]
    public var auditors: [Principal]
    /// May only ask for health (`tocsinctl health`): the monitoring system's service user.
    public var monitors: [Principal]
    /// `access.auditors_may_backup`: a backup is a copy of every message and every audit entry in a file; auditors
    /// read those anyway, but writing copies is an operator's decision unless the organisation says otherwise.
    public var auditorsMayBackup = false
    /// `access.web_gateways`: the system users (`user:` or `uid:`, never a group) whose processes may act for web
    /// users on the admin socket. The gateway says which web user acts; that user's own `web:` roles apply.
    public var webGateways: [Principal] = []

    public init(operators: [Principal] = [], approvers: [Principal] = [], auditors: [Principal] = [], monitors: [Principal] = []) {
        self.operators = operators
        self.approvers = approvers
        self.auditors = auditors
        self.monitors = monitors
    }

    public func principals(for role: Role) -> [Principal] {
        switch role {
        case .operator_: operators
        case .approver: approvers
        case .auditor: auditors
        case .monitor: monitors
        }
    }

    /// The roles of a caller, given its uid and what the system says of it.
    public func roles(uid: UInt32, userName: String?, groups: Set<String>) -> Set<Role> {
        if uid == 0 { return Set(Role.allCases) }
        var roles = Set<Role>()
        for role in Role.allCases {
            let matches = principals(for: role).contains { principal in
                switch principal {
                case .uid(let id): id == uid
                case .user(let name): name == userName
                case .group(let name): groups.contains(name)
                case .web: false  // a Unix caller never gets a web user's roles, whatever its name
                }
            }
            if matches { roles.insert(role) }
        }
        return roles
    }

    /// The roles of a web user: only its own `web:` entries count — not the gateway's uid, groups or root's rule, so
    /// nothing the gateway is can raise what its users may do.
    public func roles(webUser name: String) -> Set<Role> {
        Set(Role.allCases.filter { principals(for: $0).contains(.web(name)) })
    }

    /// Whether a socket caller is a listed web gateway.
    public func isWebGateway(uid: UInt32, userName: String?) -> Bool {
        webGateways.contains { gateway in
            switch gateway {
            case .uid(let id): id == uid
            case .user(let name): name == userName
            case .group, .web: false
            }
        }
    }
}
