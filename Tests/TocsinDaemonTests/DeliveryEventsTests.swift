import Testing
import TocsinProtocol

@testable import TocsinDaemon

/// Watchers' event streams are bounded (issue 14, item 5): a watcher that stops reading costs at most
/// `bufferLimit` events, then its stream ends so that it re-reads a snapshot.
struct DeliveryEventsTests {
    static func status(_ number: Int) -> DeliveryStatus {
        DeliveryStatus(
            id: "msg_\(number)", channel: "ops", recipient: nil, state: "retrying", attempts: number, lastStatus: 500,
            lastError: nil, misconfiguration: false, nextAttemptAt: nil, deliveredAt: nil, timeToDeliverMillis: nil
        )
    }

    @Test func aWatcherThatFallsBehindIsEndedNotBufferedWithoutLimit() async {
        let events = DeliveryEvents()
        let stream = events.subscribe(incidentID: "i1")
        let published = DeliveryEvents.bufferLimit + 500
        events.publish((0..<published).map { ("i1", Self.status($0)) })
        var received = 0
        for await _ in stream { received += 1 }
        #expect(received == DeliveryEvents.bufferLimit, "the oldest events are kept, then the stream ends")
    }

    @Test func aWatcherThatKeepsUpGetsEveryEventOfItsIncidentOnly() async {
        let events = DeliveryEvents()
        let stream = events.subscribe(incidentID: "i1")
        events.publish([("i1", Self.status(1)), ("i2", Self.status(2)), ("i1", Self.status(3))])
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next()?.attempts == 1)
        #expect(await iterator.next()?.attempts == 3)
    }
}
