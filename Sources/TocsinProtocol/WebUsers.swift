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

/// The web user a gateway acts for: the request envelope's `onBehalfOf` member, honoured only from a process whose
/// user is listed under `access.web_gateways` (from anyone else the request is refused). The daemon checks that the
/// user exists and applies that user's own `web:` roles, never the gateway's.
public struct OnBehalfOf: Codable, Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    public var webUser: String
    /// The client's address as the gateway saw it (after a trusted proxy's `X-Forwarded-For`), for the audit log.
    public var client: String?
    /// A fresh TOTP code (step-up), which a live send from the web console needs; the daemon checks it and accepts it
    /// once, as at sign-in.
    public var code: String?

    public init(webUser: String, client: String? = nil, code: String? = nil) {
        self.webUser = webUser
        self.client = client
        self.code = code
    }

    public var description: String { "OnBehalfOf(\(webUser), from \(client ?? "?"))" }
    public var customMirror: Mirror { Mirror(self, children: ["webUser": webUser, "client": client as Any]) }
}

/// `web.sign-in`: a gateway asks whether a web user's password and TOTP code are right. Neither is logged, audited
/// or echoed in an error.
public struct WebSignInParams: Codable, Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    public var name: String
    public var password: String
    public var code: String
    /// The client's address, for the per-address throttle and the audit log.
    public var client: String

    public init(name: String, password: String, code: String, client: String) {
        self.name = name
        self.password = password
        self.code = code
        self.client = client
    }

    public var description: String { "WebSignInParams(\(name), from \(client))" }
    public var customMirror: Mirror { Mirror(self, children: ["name": name, "client": client]) }
}

/// A sign-in accepted: who, and the roles `web:NAME` has now (empty: signed in, allowed nothing).
public struct WebSignInResult: Codable, Sendable, Hashable {
    public var name: String
    public var roles: [String]

    public init(name: String, roles: [String]) {
        self.name = name
        self.roles = roles
    }
}
