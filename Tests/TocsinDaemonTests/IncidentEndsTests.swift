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
        #expect(await firstEnds(3, of: checkpoint) == ["inc-1", "inc-2", "inc-3"])
        #expect(await firstEnds(3, of: heartbeat) == ["inc-1", "inc-2", "inc-3"])
    }

    /// A subscriber that stopped reading keeps the newest ends, not all of them: the end that matters to the
    /// heartbeat is its latest incident's, and a checkpoint for a later end covers every earlier one.
    @Test func anUnreadSubscriberKeepsOnlyTheNewestEnds() async {
        let ends = IncidentEnds()
        let stalled = ends.subscribe()
        let total = IncidentEnds.bufferLimit + 10
        for number in 1...total { ends.announce("inc-\(number)") }
        let kept = await firstEnds(IncidentEnds.bufferLimit, of: stalled)
        #expect(kept.first == "inc-11")
        #expect(kept.last == "inc-\(total)")
    }

    @Test func endsBeforeSubscribingAreNotReplayed() async {
        let ends = IncidentEnds()
        ends.announce("before")
        let late = ends.subscribe()
        ends.announce("after")
        #expect(await firstEnds(1, of: late) == ["after"])
    }
}

/// The first `count` ends a subscriber reads. (`Array(_:)` over an async sequence comes from AsyncAlgorithms, which
/// this target does not depend on; MemberImportVisibility no longer lets it leak in through ServiceLifecycle.)
private func firstEnds(_ count: Int, of stream: AsyncStream<String>) async -> [String] {
    var read: [String] = []
    for await id in stream.prefix(count) { read.append(id) }
    return read
}
