/// Where one delivery (one message to one channel or recipient) stands.
///
/// `pending → sending → delivered | retrying → sending … | failed`, and `cancelled` from any non-final state.
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
        case (let from, .cancelled): !from.isFinal
        default: false
        }
    }
}
