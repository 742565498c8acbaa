import Testing

@testable import TocsinDaemon

/// Incident ends reach every service that subscribed (the checkpoint and the heartbeat), in order, with bounded
/// memory for a subscriber that does not read.
@Suite(.timeLimit(.minutes(1)))
struct IncidentEndsTests {
    @Test func everySubscriberReadsEveryEndInOrder() async {
        let ends = IncidentEnds()
        let checkpoint = ends.subscribe()
        let heartbeat = ends.subscribe()
        for id in ["inc-1", "inc-2", "inc-3"] { ends.announce(id) }
        #expect(await Array(checkpoint.prefix(3)) == ["inc-1", "inc-2", "inc-3"])
        #expect(await Array(heartbeat.prefix(3)) == ["inc-1", "inc-2", "inc-3"])
    }

    /// A subscriber that stopped reading keeps the newest ends, not all of them: the end that matters to the
    /// heartbeat is its latest incident's, and a checkpoint for a later end covers every earlier one.
    @Test func anUnreadSubscriberKeepsOnlyTheNewestEnds() async {
        let ends = IncidentEnds()
        let stalled = ends.subscribe()
        let total = IncidentEnds.bufferLimit + 10
        for number in 1...total { ends.announce("inc-\(number)") }
        let kept = await Array(stalled.prefix(IncidentEnds.bufferLimit))
        #expect(kept.first == "inc-11")
        #expect(kept.last == "inc-\(total)")
    }

    @Test func endsBeforeSubscribingAreNotReplayed() async {
        let ends = IncidentEnds()
        ends.announce("before")
        let late = ends.subscribe()
        ends.announce("after")
        #expect(await Array(late.prefix(1)) == ["after"])
    }
}
