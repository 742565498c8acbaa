import Testing
import TocsinCore

struct DeliveryStateTests {
    /// Every move DESIGN.md allows; any other pair must be refused.
    static let allowed: Set<[DeliveryState]> = [
        [.pending, .sending], [.pending, .failed], [.pending, .cancelled],
        [.sending, .delivered], [.sending, .retrying], [.sending, .failed], [.sending, .pending], [.sending, .cancelled],
        [.retrying, .sending], [.retrying, .failed], [.retrying, .cancelled],
        // `resend`: an operator reopens a failed delivery.
        [.failed, .pending],
    ]

    @Test(arguments: DeliveryState.allCases, DeliveryState.allCases)
    func canMoveFollowsTheStateMachine(from: DeliveryState, to: DeliveryState) {
        #expect(from.canMove(to: to) == Self.allowed.contains([from, to]))
    }

    @Test(arguments: DeliveryState.allCases)
    func finalStatesAreExactlyDeliveredFailedCancelled(state: DeliveryState) {
        #expect(state.isFinal == [.delivered, .failed, .cancelled].contains(state))
    }

    /// The one way out of a final state is a resend's reopening of a failed delivery, back to `pending` only:
    /// delivered and cancelled deliveries stay as they are, and a reopened one is scheduled like a new one.
    @Test(arguments: DeliveryState.allCases.filter(\.isFinal))
    func onlyAResendLeavesAFinalStateAndOnlyFromFailedToPending(state: DeliveryState) {
        let exits = DeliveryState.allCases.filter { state.canMove(to: $0) }
        #expect(exits == (state == .failed ? [.pending] : []))
        #expect(state.isReopenable == (state == .failed))
    }

    @Test(arguments: DeliveryState.allCases.filter { !$0.isFinal })
    func anUnfinishedDeliveryIsNotReopenable(state: DeliveryState) {
        #expect(!state.isReopenable)
    }

    @Test func rawValuesAreTheStoredNames() {
        #expect(DeliveryState.allCases.map(\.rawValue) == ["pending", "sending", "delivered", "retrying", "failed", "cancelled"])
    }
}
