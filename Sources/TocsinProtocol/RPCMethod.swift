/// An admin method bound to the types of its params and its result.
///
/// The daemon registers one handler per method through these, and the client calls through them, so a handler or a
/// call with the wrong params or result type does not compile (the method table once paired them by hand).
public struct RPCMethod<Params: Codable & Sendable, Result: Codable & Sendable>: Sendable {
    public let method: AdminMethod

    public init(_ method: AdminMethod) { self.method = method }
}

/// Every admin method with its types: the protocol's one table (DESIGN.md lists the methods and their roles).
public enum AdminCall {
    public static let send = RPCMethod<SendParams, IncidentStatus>(.send)
    public static let preview = RPCMethod<SendParams, PreviewResult>(.preview)
    public static let incidentStatus = RPCMethod<IncidentParams, IncidentStatus>(.incidentStatus)
    public static let incidentList = RPCMethod<ListParams, [IncidentSummary]>(.incidentList)
    public static let watch = RPCMethod<IncidentParams, IncidentStatus>(.watch)
    public static let cancel = RPCMethod<IncidentParams, IncidentStatus>(.cancel)
    public static let resend = RPCMethod<ResendParams, ResendResult>(.resend)
    public static let incidentReport = RPCMethod<IncidentParams, IncidentReport>(.incidentReport)
    public static let templateList = RPCMethod<EmptyParams, [TemplateSummary]>(.templateList)
    public static let templateShow = RPCMethod<TemplateParams, TemplateDetail>(.templateShow)
    public static let templateApprove = RPCMethod<ApproveParams, ApproveResult>(.templateApprove)
    public static let auditLog = RPCMethod<AuditLogParams, [AuditRecordDTO]>(.auditLog)
    public static let auditVerify = RPCMethod<EmptyParams, AuditVerifyResult>(.auditVerify)
    public static let auditExport = RPCMethod<AuditExportParams, AuditExportPage>(.auditExport)
    public static let auditAccept = RPCMethod<AuditAcceptParams, AuditAcceptResult>(.auditAccept)
    public static let daemonStatus = RPCMethod<EmptyParams, DaemonStatus>(.daemonStatus)
    public static let reload = RPCMethod<EmptyParams, ReloadResult>(.reload)
    public static let backup = RPCMethod<BackupParams, BackupResult>(.backup)
    public static let health = RPCMethod<EmptyParams, HealthReport>(.health)
    public static let languages = RPCMethod<EmptyParams, [String]>(.languages)
    public static let channelList = RPCMethod<EmptyParams, [ChannelInfo]>(.channelList)
    public static let channelTest = RPCMethod<ChannelParams, IncidentStatus>(.channelTest)
    public static let webUserList = RPCMethod<EmptyParams, [WebUserSummary]>(.webUserList)
    public static let webUserAdd = RPCMethod<WebUserPasswordParams, WebUserEnrolment>(.webUserAdd)
    public static let webUserReset = RPCMethod<WebUserPasswordParams, WebUserEnrolment>(.webUserReset)
    public static let webUserRemove = RPCMethod<WebUserParams, WebUserChangeResult>(.webUserRemove)
    public static let webUserUnlock = RPCMethod<WebUserParams, WebUserChangeResult>(.webUserUnlock)
    public static let webSignIn = RPCMethod<WebSignInParams, WebSignInResult>(.webSignIn)
}
