public import Foundation
public import GRDB

/// A user of the web console (issue 18): a bcrypt hash of the password and the TOTP seed sealed by
/// `SeedSealer`, never either in clear; the sign-in throttle's count; the last TOTP time step accepted (a code is
/// accepted once). Kept in the store so every node of a cluster knows the same users.
public struct WebUserRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord, CustomStringConvertible, CustomReflectable {
    public static let databaseTableName = "web_user"

    public var name: String
    public var passwordHash: String
    public var sealedSeed: Data
    /// Which seed key sealed it (`SeedSealer.keyID`): a seed sealed with another key is named, not guessed at.
    public var seedKeyID: String
    public var createdAt: Int64
    public var updatedAt: Int64
    /// Consecutive failed sign-ins and when the last was (`SignInThrottle.Record`).
    public var failures: Int
    public var lastFailureAt: Int64
    /// The last TOTP time step a sign-in used: a code of that step or before is refused (RFC 6238 §5.2).
    public var lastTOTPStep: Int64?

    public init(
        name: String, passwordHash: String, sealedSeed: Data, seedKeyID: String, createdAt: Int64, updatedAt: Int64,
        failures: Int = 0, lastFailureAt: Int64 = 0, lastTOTPStep: Int64? = nil
    ) {
        self.name = name
        self.passwordHash = passwordHash
        self.sealedSeed = sealedSeed
        self.seedKeyID = seedKeyID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.failures = failures
        self.lastFailureAt = lastFailureAt
        self.lastTOTPStep = lastTOTPStep
    }

    // A hash and a sealed seed are not secrets to print either: a log line is no place for them.
    public var description: String { "WebUserRecord(\(name), failures \(failures))" }
    public var customMirror: Mirror { Mirror(self, children: ["name": name, "failures": failures]) }
}

/// A change to the web users, made in a commit with its audit entry. A change that names no existing user (or,
/// for `add`, an existing one) fails the commit with `.constraint`: nothing of it is stored.
public enum WebUserChange: Sendable, Hashable {
    /// A new user.
    case add(WebUserRecord)
    /// A new password and seed for an existing user (lost phone, forgotten password): the throttle and the TOTP
    /// step start again; the creation time stays.
    case reset(WebUserRecord)
    case remove(name: String)
    /// The throttle cleared: a locked-out user may sign in again at once.
    case unlock(name: String, at: Int64)
    /// A failed sign-in or step-up, counted in the database (`failures + 1`, so two nodes failing at once count
    /// two); a count whose last failure is at or before `forgetBefore` starts again at one (`SignInThrottle.current`).
    case signInFailed(name: String, at: Int64, forgetBefore: Int64)
    /// A code accepted: `step` kept as the last used, and, for a sign-in (`clearsFailures`), the failed sign-ins
    /// cleared; a step-up's code proves the phone, not the password, and leaves them. Compare-and-set: when the
    /// stored step is already `step` or later (the code used once, on any node), no row changes and the commit fails,
    /// so a code is accepted once across the cluster.
    case codeAccepted(name: String, step: Int64, clearsFailures: Bool)

    public var name: String {
        switch self {
        case .add(let user), .reset(let user): user.name
        case .remove(let name), .unlock(let name, _), .signInFailed(let name, _, _), .codeAccepted(let name, _, _): name
        }
    }

    /// The commit's error when the change finds no user to change (or, for `add`, one already there).
    public var conflict: StoreError {
        switch self {
        case .add(let user): StoreError(.constraint, "a web user named '\(user.name)' already exists")
        case .codeAccepted(let name, let step, _): StoreError(.constraint, "web user '\(name)' has no code of step \(step) left to use: it was used already, or the user is gone")
        default: StoreError(.constraint, "no web user named '\(name)'")
        }
    }
}
