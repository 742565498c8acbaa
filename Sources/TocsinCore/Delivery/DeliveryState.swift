/// Where one delivery (one message to one channel or recipient) stands.
///
/// `pending → sending → delivered | retrying → sending … | failed`, and `cancelled` from any non-final state.
/// `failed → pending` is the one way out of a final state: `tocsinctl resend` reopens a failed delivery (audited,
/// with a fresh deadline) to send the same stored bytes again under the same id.
public enum DeliveryState: String, Sendable, Codable, CaseIterable {
    case pending, sending, delivered, retrying, failed, cancelled

    public var isFinal: Bool {
        switch self {
        case .delivered, .failed, .cancelled: true
        case .pending, .sending, .retrying: false
        }
    }

    /// Whether the state machine allows going from `self` to `next`: the transition table every change of a delivery
    /// in the daemon's scheduler goes through (an illegal move is a programming error there).
    public func canMove(to next: DeliveryState) -> Bool {
        switch (self, next) {
        case (.pending, .sending), (.retrying, .sending): true
        case (.sending, .delivered), (.sending, .retrying), (.sending, .failed): true
        // A deadline can pass while waiting, and a crash can leave `sending` to be retried.
        case (.retrying, .failed), (.pending, .failed), (.sending, .pending): true
        // Only `resend` takes it, never the scheduler: a failed delivery is reopened by an operator, audited.
        case (.failed, .pending): true
        case (let from, .cancelled): !from.isFinal
        default: false
        }
    }

    /// Whether an operator's `resend` may reopen a delivery in this state: only a failed one (a delivered one was
    /// received, a cancelled one was stopped on purpose).
    public var isReopenable: Bool { isFinal && canMove(to: .pending) }
}
