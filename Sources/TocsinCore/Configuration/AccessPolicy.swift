/// Who may do what, as Unix users and groups. Root has every role.
public struct AccessPolicy: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
        case operator_ = "operator", approver, auditor, monitor
    }

    public enum Principal: Sendable, Hashable, CustomStringConvertible {
        case user(String), group(String), uid(UInt32)

        /// `user:NAME`, `group:NAME` or `uid:N`.
        public init?(_ text: String) {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else { return nil }
            switch parts[0] {
            case "user": self = .user(parts[1])
            case "group": self = .group(parts[1])
            case "uid": guard let uid = UInt32(parts[1]) else { return nil }; self = .uid(uid)
            default: return nil
            }
        }

        public var description: String {
            switch self {
            case .user(let name): "user:\(name)"
            case .group(let name): "group:\(name)"
            case .uid(let uid): "uid:\(uid)"
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
                }
            }
            if matches { roles.insert(role) }
        }
        return roles
    }
}
