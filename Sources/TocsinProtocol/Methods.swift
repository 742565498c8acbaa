/// The admin methods, by name. Each is checked against the caller's roles (see `AdminMethod.roles`).
public enum AdminMethod: String, Sendable, CaseIterable, Codable {
    case send = "incident.send"
    case preview = "incident.preview"
    case incidentStatus = "incident.status"
    case incidentList = "incident.list"
    case watch = "incident.watch"
    case cancel = "incident.cancel"
    case resend = "incident.resend"
    case templateList = "template.list"
    case templateShow = "template.show"
    case templateApprove = "template.approve"
    case auditLog = "audit.log"
    case auditVerify = "audit.verify"
    case auditExport = "audit.export"
    case auditAccept = "audit.accept"
    case incidentReport = "incident.report"
    case daemonStatus = "daemon.status"
    case reload = "daemon.reload"
    case channelList = "channel.list"
    case channelTest = "channel.test"
    case backup = "daemon.backup"
    case health = "daemon.health"
    case languages = "daemon.languages"
    case webUserList = "web-user.list"
    case webUserAdd = "web-user.add"
    case webUserReset = "web-user.reset"
    case webUserRemove = "web-user.remove"
    case webUserUnlock = "web-user.unlock"
    case webSignIn = "web.sign-in"

    /// The notification method of `incident.watch`'s live events.
    public static let deliveryEvent = "delivery.event"

    /// Not a role of `access`: the callers listed under `access.web_gateways`, for the methods only they may call.
    public static let webGatewayRole = "web-gateway"

    /// What a web user may ask for through the console, whatever roles `web:NAME` holds: sending and following
    /// incidents and reading templates and reports. Managing users, approving templates, reloading, backups and the
    /// audit log stay on the admin socket, where the caller is a Unix user the kernel names, so a console (or
    /// anyone who took it over) can never reach them by naming an approver.
    public var servesWebUsers: Bool {
        switch self {
        case .send, .preview, .incidentStatus, .incidentList, .watch, .cancel, .resend, .incidentReport, .templateList,
             .templateShow, .languages:
            true
        case .templateApprove, .auditLog, .auditVerify, .auditExport, .auditAccept, .daemonStatus, .reload, .channelList,
             .channelTest, .backup, .health, .webUserList, .webUserAdd, .webUserReset, .webUserRemove, .webUserUnlock, .webSignIn:
            false
        }
    }

    /// Roles any one of which allows the call (`operator`, `approver`, `auditor`).
    public var roles: Set<String> {
        switch self {
        case .send, .watch, .cancel, .resend: ["operator"]
        case .preview, .templateList, .templateShow: ["operator", "approver", "auditor"]
        case .incidentStatus, .incidentList, .daemonStatus, .incidentReport: ["operator", "approver", "auditor"]
        case .reload: ["operator", "approver"]
        case .channelList: ["operator", "approver", "auditor"]
        case .channelTest: ["operator"]
        case .backup: ["operator", "auditor"]
        case .templateApprove, .auditAccept: ["approver"]
        // Who may send from a phone is decided by the people who approve what is sent (and root).
        case .webUserList, .webUserAdd, .webUserReset, .webUserRemove, .webUserUnlock: ["approver"]
        case .auditLog, .auditVerify, .auditExport: ["auditor"]
        // Only a web console process, listed under access.web_gateways, checks its users' passwords and codes.
        case .webSignIn: [Self.webGatewayRole]
        // Monitoring checks run as a service user (nagios, prometheus) that needs nothing else.
        case .health: ["operator", "approver", "auditor", "monitor"]
        // The CLI asks it to choose the operator's language when neither --lang nor the locale decides.
        case .languages: ["operator", "approver", "auditor", "monitor"]
        }
    }
}
