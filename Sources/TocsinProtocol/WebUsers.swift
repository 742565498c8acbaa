/// `web-user.*`: the web console's users, managed by approvers (issue 18).
public struct WebUserParams: Codable, Sendable, Hashable {
    public var name: String
    public init(name: String) { self.name = name }
}

/// `web-user.add` and `web-user.reset`: the password travels once, over the admin socket, and is kept only as a
/// bcrypt hash; it is never printed, logged or audited.
public struct WebUserPasswordParams: Codable, Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    public var name: String
    public var password: String

    public init(name: String, password: String) {
        self.name = name
        self.password = password
    }

    public var description: String { "WebUserPasswordParams(\(name))" }
    public var customMirror: Mirror { Mirror(self, children: ["name": name]) }
}

/// What `add` and `reset` give back once: the TOTP seed as an `otpauth://` URI for the user's authenticator app.
/// Shown to the approver enrolling the user, and never again (the daemon keeps only its seal).
public struct WebUserEnrolment: Codable, Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    public var name: String
    public var otpauthURI: String
    /// The roles `web:NAME` has in `access` (empty: the user can sign in and do nothing until named there).
    public var roles: [String]

    public init(name: String, otpauthURI: String, roles: [String]) {
        self.name = name
        self.otpauthURI = otpauthURI
        self.roles = roles
    }

    public var description: String { "WebUserEnrolment(\(name))" }
    public var customMirror: Mirror { Mirror(self, children: ["name": name, "roles": roles]) }
}

/// One web user as `web-users list` shows it: never a secret.
public struct WebUserSummary: Codable, Sendable, Hashable {
    public var name: String
    public var roles: [String]
    /// ISO 8601 with the daemon's offset.
    public var createdAt: String
    public var updatedAt: String
    /// Consecutive failed sign-ins.
    public var failures: Int
    /// Whether failed sign-ins reached the lock-out (`web-users unlock NAME` lifts it).
    public var lockedOut: Bool

    public init(name: String, roles: [String], createdAt: String, updatedAt: String, failures: Int, lockedOut: Bool) {
        self.name = name
        self.roles = roles
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.failures = failures
        self.lockedOut = lockedOut
    }
}

/// `web-user.remove` and `web-user.unlock`.
public struct WebUserChangeResult: Codable, Sendable, Hashable {
    public var name: String
    /// `removed` or `unlocked`.
    public var change: String

    public init(name: String, change: String) {
        self.name = name
        self.change = change
    }
}
