import Foundation
import TocsinChannels
import TocsinCore

/// A delivery as the dispatcher holds it in memory while it is not final.
struct DeliveryJob: Sendable {
    let id: String
    let incidentID: String
    let channel: String
    let recipient: String?
    /// Shared by every delivery of the channel in this incident: encoded once, never per delivery.
    let payload: EncodedPayload
    let createdAt: Date
    let deadlineAt: Date
    var state: DeliveryState
    var attempts: Int
    var nextAttemptAt: Date?
    var lastStatus: Int?
    var lastError: String?
    var misconfiguration = false
    var deliveredAt: Date?
}
