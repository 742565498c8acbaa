/// What the daemon says to a person, by key, so that each client shows it in its operator's language (issue 16,
/// item 2: daemon errors are translated by their code, never by matching English text).
///
/// An error keeps its English `message` for logs, scripts and clients that do not know the key; `said` travels
/// beside it. A key this client does not know (a newer daemon) is shown as the English message: the key is kept
/// as text, not decoded into ``Key``, so an unknown one never makes the whole answer unreadable.
public struct Said: Codable, Sendable, Hashable {
    public var key: String
    public var arguments: [String: String]
    /// Arguments that are lists (the known templates, the allowed values), each item as it is: no separator to
    /// choose that a value could hold, and no line break in what a client may print.
    public var lists: [String: [String]]?

    public init(_ key: Key, _ arguments: [String: String] = [:], lists: [String: [String]] = [:]) {
        self.key = key.rawValue
        self.arguments = arguments
        self.lists = lists.isEmpty ? nil : lists
    }

    /// Every key the daemon uses. ``OperatorText`` has both languages' wording for each, checked by the compiler.
    public enum Key: String, Codable, Sendable, CaseIterable {
        // Errors (the message and, where there is one, the hint).
        case notAuthorised = "not-authorised"
        case noTemplate = "no-template"
        case notApproved = "not-approved"
        case approvalChanged = "approval-changed"
        case valuesInvalid = "values-invalid"
        case sendCut = "send-cut"
        case requestKeyInvalid = "request-key-invalid"
        case requestKeyReused = "request-key-reused"
        case requestKeyExpired = "request-key-expired"
        case noDrillRoute = "no-drill-route"
        case noRoute = "no-route"
        case noChannel = "no-channel"
        case noIncident = "no-incident"
        case storeFailed = "store-failed"
        case alreadyApproved = "already-approved"
        case resendRaced = "resend-raced"
        case resendHeartbeat = "resend-heartbeat"
        case resendOver = "resend-over"
        case resendChannelGone = "resend-channel-gone"
        case resendChannelCannotSend = "resend-channel-cannot-send"
        case resendNothingFailed = "resend-nothing-failed"
        case resendNoStoredMessage = "resend-no-stored-message"
        case builtInAllClearNoValues = "built-in-all-clear-no-values"
        case channelTestPublic = "channel-test-public"
        case notARecipient = "not-a-recipient"
        case approvalCuts = "approval-cuts"
        case backupPath = "backup-path"
        case backupNotAuthorised = "backup-not-authorised"
        case backupNoRoom = "backup-no-room"
        case backupFolderNotFolder = "backup-folder-not-folder"
        case auditReasonShort = "audit-reason-short"
        // The web console's users (`web-users`).
        case webUserName = "web-user-name"
        case webUserPassword = "web-user-password"
        case webUserExists = "web-user-exists"
        case webUserUnknown = "web-user-unknown"
        case webSeedKeyMissing = "web-seed-key-missing"
        // The web console's sign-in and the gateway that passes it on.
        case webSignInWrong = "web-sign-in-wrong"
        case webSignInWait = "web-sign-in-wait"
        case webSignInLockedOut = "web-sign-in-locked-out"
        case webStepUpNeeded = "web-step-up-needed"
        case webGatewayNotListed = "web-gateway-not-listed"
        case webUserGone = "web-user-gone"
        case webNotServed = "web-not-served"
        case webCodeUsed = "web-code-used"
        case busy = "busy"
        case reloadBusy = "reload-busy"
        case reloadInvalid = "reload-invalid"
        case reloadUnreadable = "reload-unreadable"
        // A template that would reach a channel shortened (a preview's cuts, an approval refused for them).
        case templateCut = "template-cut"
        // Problems of the values typed for a send (one line each).
        case unknownVariable = "unknown-variable"
        case missingVariable = "missing-variable"
        case valueTooLong = "value-too-long"
        case valueControl = "value-control"
        case valueBidirectional = "value-bidirectional"
        case valueInvisible = "value-invisible"
        case valueOverMaxLength = "value-over-max-length"
        case valueNotAllowed = "value-not-allowed"
        case valueEmpty = "value-empty"
        // `health`'s checks, one sentence each (OperatorText+Health.swift).
        case healthConfigRefused = "health-config-refused"
        case healthConfigLoaded = "health-config-loaded"
        case healthTemplatesCut = "health-templates-cut"
        case healthDatabaseCannotWrite = "health-database-cannot-write"
        case healthDatabaseLowSpace = "health-database-low-space"
        case healthDatabaseWritable = "health-database-writable"
        case healthChannelCannotSend = "health-channel-cannot-send"
        case healthChannelFailing = "health-channel-failing"
        case healthChannelLastFailed = "health-channel-last-failed"
        case healthChannelsFine = "health-channels-fine"
        case healthCredentialExpired = "health-credential-expired"
        case healthCredentialExpiring = "health-credential-expiring"
        case healthHeartbeatFailed = "health-heartbeat-failed"
        case healthHeartbeatMissing = "health-heartbeat-missing"
        case healthHeartbeatLate = "health-heartbeat-late"
        case healthHeartbeatFirst = "health-heartbeat-first"
        case healthHeartbeatDelivered = "health-heartbeat-delivered"
        case healthAuditContradicts = "health-audit-contradicts"
        case healthAuditBroken = "health-audit-broken"
        case healthAuditIntact = "health-audit-intact"
        case healthAuditCannotVerify = "health-audit-cannot-verify"
        case healthNodesUnreadable = "health-nodes-unreadable"
        case healthNodeSilent = "health-node-silent"
        case healthNodesDiffer = "health-nodes-differ"
        case healthNodesFine = "health-nodes-fine"
    }
}
