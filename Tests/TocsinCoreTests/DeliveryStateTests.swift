import Testing
import TocsinCore

struct DeliveryStateTests {
    /// Every move DESIGN.md allows; any other pair must be refused.
    static let allowed: Set<[DeliveryState]> = [
        [.pending, .sending], [.pending, .failed], [.pending, .cancelled],
        [.sending, .delivered], [.sending, .retrying], [.sending, .failed], [.sending, .pending], [.sending, .cancelled],
        [.retrying, .sending], [.retrying, .failed], [.retrying, .cancelled],
    ]

    @Test(arguments: DeliveryState.allCases, DeliveryState.allCases)
    func canMoveFollowsTheStateMachine(from: DeliveryState, to: DeliveryState) {
        #expect(from.canMove(to: to) == Self.allowed.contains([from, to]))
    }

    @Test(arguments: DeliveryState.allCases)
    func finalStatesAreExactlyDeliveredFailedCancelled(state: DeliveryState) {
        #expect(state.isFinal == [.delivered, .failed, .cancelled].contains(state))
    }

    @Test(arguments: DeliveryState.allCases.filter(\.isFinal))
    func nothingLeavesAFinalState(state: DeliveryState) {
        #expect(DeliveryState.allCases.allSatisfy { !state.canMove(to: $0) })
    }

    @Test func rawValuesAreTheStoredNames() {
        #expect(DeliveryState.allCases.map(\.rawValue) == ["pending", "sending", "delivered", "retrying", "failed", "cancelled"])
    }
}
