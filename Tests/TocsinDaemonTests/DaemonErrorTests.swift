import Testing
import TocsinProtocol
import TocsinStore

@testable import TocsinDaemon

/// One daemon error, mapped to JSON-RPC once (issue 14, item 4).
struct DaemonErrorTests {
    @Test func aStoreFailureKeepsItsCodeOnTheWire() {
        let error = DaemonError.store(StoreError(.full, "the disk holding the state database is full"), doing: "cannot read approvals")
        #expect(error.code == .store)
        #expect(error.storeCode == .full)
        #expect(error.message == "cannot read approvals: the disk holding the state database is full")
        let wire = RPCError(error)
        #expect(wire.code == RPCError.unavailableCode)
        #expect(wire.data?.reason == "store.full")
        #expect(wire.message == error.message)
    }

    @Test func aStoreMessageThatSaysWhatFailedIsNotPrefixedTwice() {
        let said = StoreError(.open, "cannot read approvals: the PostgreSQL server cannot be reached")
        #expect(DaemonError.store(said, doing: "cannot read approvals").message == "cannot read approvals: the PostgreSQL server cannot be reached")
    }

    @Test(arguments: [
        (DaemonError.validation("bad", problems: ["a", "b"]), RPCError.validationCode, "validation"),
        (DaemonError.notAuthorised("no"), RPCError.notAuthorisedCode, "not-authorised"),
        (DaemonError.notApproved("no", hint: "approve it"), RPCError.notApprovedCode, "not-approved"),
        (DaemonError.notFound("none"), RPCError.notFoundCode, "not-found"),
        (DaemonError.unavailable("down"), RPCError.unavailableCode, "unavailable"),
        (DaemonError.invalidParams("x"), RPCError.invalidParamsCode, "invalid-params"),
    ])
    func everyCodeHasItsWireCodeAndReason(error: DaemonError, code: Int, reason: String) {
        let wire = RPCError(error)
        #expect(wire.code == code)
        #expect(wire.data?.reason == reason)
        #expect(wire.data?.problems == error.problems)
        #expect(wire.data?.hint == error.hint)
    }

    @Test func aDaemonErrorPassesThroughUnchangedAndOtherErrorsAreUnavailable() {
        let original = DaemonError.notFound("no incident 'x'")
        #expect(DaemonError.store(original).code == .notFound)
        struct Other: Error {}
        #expect(DaemonError.store(Other()).code == .unavailable)
    }
}
