import Foundation
import Testing
import TocsinCore
import TocsinProtocol
import TocsinTransport

/// The daemon tells each client what kind of failure a delivery's error is (`errorKind`, issue 16, item 2), read
/// from the words it recorded itself: the transport's description, the retry policy's, the HTTP classification.
struct ErrorKindTests {
    @Test(arguments: [
        (TransportError.Kind.timeout, ErrorKind.timeout), (.connect, .connectionFailed), (.dns, .dns), (.tls, .tls),
        (.sendOrReceive, .connectionBroken), (.other, .other),
    ])
    func everyTransportKindIsReadBackFromItsDescription(transport: TransportError.Kind, kind: ErrorKind) {
        let error = TransportError(kind: transport, curlCode: 7, message: "detail", latency: .milliseconds(5_001))
        #expect(ErrorKind.of(error: error.description, status: nil) == kind, "\(error.description)")
        // A configuration problem wraps the description; a deadline that ends retrying follows it.
        #expect(ErrorKind.of(error: "the request cannot be sent: \(error.description); check the channel's configuration", status: nil) == kind)
        #expect(ErrorKind.of(error: "\(error.description); gave up after 3 attempts: the delivery deadline has passed", status: nil) == kind)
    }

    @Test func aRefusedConnectionAndATimeoutSayWhatTheOperatorNeeds() {
        let refused = TransportError(
            kind: .connect, curlCode: 7,
            message: "Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server; \(ErrorKind.refusedMark)"
        )
        #expect(ErrorKind.of(error: refused.description, status: nil) == .connectionRefused)
        let timeout = TransportError(kind: .timeout, curlCode: 28, message: "Operation timed out", latency: .milliseconds(5_001))
        #expect(ErrorKind.seconds(in: timeout.description) == 5)
        #expect(ErrorKind.gaveUpAttempts(in: timeout.description + "; gave up after 4 attempts: the delivery deadline has passed") == 4)
        #expect(ErrorKind.gaveUpAttempts(in: timeout.description) == nil)
    }

    @Test func answersAndTheDeadlineHaveTheirOwnKinds() {
        // The retry policy's classification, with and without the status beside it (a channel's last error).
        let outcome = AttemptOutcome.classify(status: 404, retryAfter: nil, now: .now)
        guard case .permanent(let reason, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(ErrorKind.of(error: reason, status: 404) == .httpStatus)
        #expect(ErrorKind.of(error: reason, status: nil) == .httpStatus)
        #expect(ErrorKind.status(in: reason) == 404)
        #expect(ErrorKind.of(error: "HTTP 500", status: nil) == .httpStatus)
        #expect(ErrorKind.of(error: "the delivery deadline passed before its next attempt", status: nil) == .deadline)
        #expect(ErrorKind.of(error: nil, status: nil) == nil)
        #expect(ErrorKind.of(error: "could not write the feed", status: nil) == .other)
    }
}
