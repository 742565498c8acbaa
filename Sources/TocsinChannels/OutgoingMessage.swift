public import TocsinCore

/// Everything a channel needs to shape one incident's message, rendered once for all channels.
public struct OutgoingMessage: Sendable, Hashable {
    public var incidentID: String
    public var status: CAP.Status
    public var msgType: CAP.MessageType
    /// CAP `references` of the incidents this one follows up: `sender,identifier,sent` each.
    public var references: [String]
    public var templateID: String
    /// False for a drill of a template not (or no longer) approved.
    public var approved: Bool
    public var organization: String
    public var sender: String
    /// CAP `<sent>`, e.g. `2026-11-23T16:40:42-05:00`.
    public var sent: String
    public var category: CAP.Category
    public var severity: CAP.Severity
    public var urgency: CAP.Urgency
    public var certainty: CAP.Certainty
    public var response: CAP.ResponseType?
    /// In the organisation's language order.
    public var messages: [RenderedMessage]
    /// The values of the template's variables, as they appear in the texts: shortening keeps each whole.
    public var variableValues: [String]

    public init(
        incidentID: String, status: CAP.Status, msgType: CAP.MessageType, references: [String], templateID: String,
        approved: Bool, organization: String, sender: String, sent: String, category: CAP.Category,
        severity: CAP.Severity, urgency: CAP.Urgency, certainty: CAP.Certainty, response: CAP.ResponseType?,
        messages: [RenderedMessage], variableValues: [String] = []
    ) {
        self.incidentID = incidentID
        self.status = status
        self.msgType = msgType
        self.references = references
        self.templateID = templateID
        self.approved = approved
        self.organization = organization
        self.sender = sender
        self.sent = sent
        self.category = category
        self.severity = severity
        self.urgency = urgency
        self.certainty = certainty
        self.response = response
        self.messages = messages
        self.variableValues = variableValues
    }

    /// The messages in the languages a channel takes, keeping the organisation's order.
    public func messages(for languages: [String]) -> [RenderedMessage] {
        messages.filter { languages.contains($0.language) }
    }
}
