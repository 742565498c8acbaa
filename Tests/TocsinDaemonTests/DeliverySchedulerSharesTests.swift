import Foundation
import Testing
import TocsinCore
import TocsinTestSupport

@testable import TocsinDaemon

/// Several nodes on one database share each channel's `max_concurrency` and `rate_limit` among the nodes busy on it
/// (issue 17, item 3), on a manual clock: a node alone on a channel has the whole limits, busy nodes' shares add up
/// to the limits, a change of the busy nodes moves a share at once both ways, and a node that cannot read keeps its
/// last share. No share ever waits for a hold-off.
struct DeliverySchedulerSharesTests {
    typealias H = SchedulerHarness
    typealias Shares = Scheduler.ClusterShares

    private static func node(_ channels: [String: Scheduler.ChannelLimits]) -> H {
        H(channels: channels, sharedLimits: true)
    }

    /// Advances every harness together by `step` until `duration` has passed, giving each the busy nodes `busy` every
    /// `read` as the dispatcher's poll does, and calling `each` after every step with the actions.
    private static func run(
        _ nodes: inout [H], names: [String], busy: [String: Set<String>], for duration: Duration,
        step: Duration = .milliseconds(50), read: Duration = .seconds(1),
        each: (_ node: Int, _ actions: [Scheduler.Action], _ harness: inout H) -> Void
    ) {
        let steps = Int(duration / step)
        for count in 0..<steps {
            for index in nodes.indices {
                var actions = nodes[index].advance(by: step)
                if count % Int(read / step) == 0 {
                    actions += nodes[index].machine.nodesBusy(busy, me: names[index])
                }
                each(index, actions, &nodes[index])
            }
        }
    }

    /// Never read, alone on the channel, or beside nodes idle or busy elsewhere: the whole limits, at once.
    @Test func aNodeAloneOnAChannelHasTheWholeLimits() {
        var h = Self.node(["sms": .init(maxConcurrency: 3, rateLimit: 4)])
        let first = h.accept((1...6).map { H.job("d\($0)", channel: "sms", deadline: .seconds(600)) })
        #expect(first.started == ["d1"], "no list read yet: the whole limits, paced by the whole rate")
        #expect(first.wake == at(.milliseconds(250)))
        #expect(h.machine.share(of: "sms") == .init(maxConcurrency: 3, rateLimit: 4))
        // "b" is live but idle, "c" busy on another channel: this node is alone on "sms".
        _ = h.machine.nodesBusy(["a": ["sms"], "b": [], "c": ["ops"]], me: "a")
        #expect(h.machine.share(of: "sms") == .init(maxConcurrency: 3, rateLimit: 4))
        #expect(h.advance(by: .milliseconds(250)).started == ["d2"], "paced by the whole rate, not half of it")
        // "b" busy on it too: half the rate (an interval of 500 ms) and 3 slots shared 2 + 1 by the channel's name.
        _ = h.machine.nodesBusy(["b": ["sms"]], me: "a")
        let share = h.machine.share(of: "sms")
        #expect(share.rateLimit.map { abs($0 - 4 * Double(share.maxConcurrency) / 3) < 1e-9 } == true)
        #expect([1, 2].contains(share.maxConcurrency))
        // SQLite: no sharing at all.
        var sole = H(channels: ["sms": .init(maxConcurrency: 3, rateLimit: nil)])
        #expect(sole.accept((1...3).map { H.job("d\($0)", channel: "sms") }).started == ["d1", "d2", "d3"])
        _ = sole.machine.nodesBusy(["b": ["sms"]], me: "a")
        #expect(sole.machine.share(of: "sms").maxConcurrency == 3)
    }

    /// Every busy node works its share out alone from the same list; together they never exceed the limits, no slot
    /// is idle when there are as many slots as busy nodes, and with fewer a node stops starting a drain before its
    /// turn ends (so no more than M nodes have attempts that may run at any time) and its turn comes within N turns.
    @Test(arguments: [1, 2, 3, 5, 8], [1, 2, 3, 4])
    func theSharesOfTheBusyNodesAddUpToTheLimits(maxConcurrency: Int, nodes: Int) {
        let limits = Scheduler.ChannelLimits(maxConcurrency: maxConcurrency, rateLimit: 6, attemptTimeout: .seconds(1))
        let wall = (instant: ManualClock.zero, date: H.wall)
        let names = (0..<nodes).map { "node-\($0)" }
        let busy = Dictionary(uniqueKeysWithValues: names.map { ($0, Set(["sms"])) })
        let shares = names.map { name in
            var shares = Shares()
            shares.seen(busy, me: name)
            return shares
        }
        let drain = Shares.drain(of: limits)
        let turn = Shares.turn(of: limits)
        let step = Duration.milliseconds(100)
        var now = ManualClock.zero
        // When each node last had a slot, and the longest wait between two.
        var lastSlot: [ManualClock.Instant?] = Array(repeating: nil, count: nodes)
        var longestWait = Duration.zero
        while now < ManualClock.zero.advanced(by: turn * (nodes * 3)) {
            defer { now = now.advanced(by: step) }
            let each = shares.map { $0.share(of: limits, channel: "sms", at: now, wall: wall) }
            #expect(each.map(\.concurrency).reduce(0, +) <= maxConcurrency)
            #expect(each.compactMap(\.rate).reduce(0, +) <= 6 + 1e-9)
            if maxConcurrency >= nodes {
                #expect(each.map(\.concurrency).reduce(0, +) == maxConcurrency, "no slot idle")
                #expect(each.allSatisfy { $0.concurrency >= 1 && $0.changesAt == nil })
            }
            for (index, share) in each.enumerated() where share.concurrency > 0 {
                if let last = lastSlot[index] { longestWait = max(longestWait, last.duration(to: now)) }
                lastSlot[index] = now
            }
            // Nodes that may still have an attempt running (started within a drain): never more than the slots.
            let running = lastSlot.filter { $0.map { $0.duration(to: now) < drain } ?? false }.count
            #expect(running <= maxConcurrency, "an attempt of a turn that ended may overlap the next holder's")
        }
        #expect(lastSlot.allSatisfy { $0 != nil }, "every node sends in its turn")
        #expect(longestWait <= turn * nodes, "a node's turn comes within \(nodes) turns: \(longestWait)")
    }

    /// `max_concurrency: 1` and `rate_limit: 4` on two nodes that both hold deliveries of the channel: each node
    /// sends in its turn (waking for it, not polling), and the attempts of the two (300 ms each) never overlap nor
    /// start closer than 250 ms. Each node applying the whole limits fails it at the first step.
    @Test func twoBusyNodesWithOneSlotTakeTurnsAndNeverOverlap() {
        let channels: [String: Scheduler.ChannelLimits] = ["sms": .init(maxConcurrency: 1, rateLimit: 4, attemptTimeout: .seconds(1))]
        var nodes = [Self.node(channels), Self.node(channels)]
        var waiting: ManualClock.Instant?
        // What accepting the deliveries started, handled at the first step.
        var first: [[Scheduler.Action]] = [[], []]
        for index in nodes.indices {
            _ = nodes[index].machine.nodesBusy(["a": ["sms"], "b": ["sms"]], me: ["a", "b"][index])
            first[index] = nodes[index].accept((1...200).map { H.job("n\(index)-\($0)", channel: "sms", deadline: .seconds(600)) })
            if first[index].started.isEmpty { waiting = first[index].wake }
        }
        #expect(first.filter { $0.started.count == 1 }.count == 1, "one node has the slot now, the other waits")
        // The node without the slot now wakes when its turn begins, within one turn.
        let turn = Shares.turn(of: channels["sms"]!)
        #expect(waiting.map { $0 > ManualClock.zero && $0 <= ManualClock.zero.advanced(by: turn) } == true, "\(String(describing: waiting))")
        var starts: [(node: Int, at: Duration)] = []
        var running: [[(id: String, ends: Duration)]] = [[], []]
        Self.run(&nodes, names: ["a", "b"], busy: ["a": ["sms"], "b": ["sms"]], for: .seconds(120)) { index, actions, h in
            var actions = first[index] + actions
            first[index] = []
            while true {
                for attempt in actions.attempts {
                    starts.append((index, h.t))
                    running[index].append((attempt.job.id, h.t + .milliseconds(300)))
                }
                guard let done = running[index].firstIndex(where: { $0.ends <= h.t }) else { break }
                actions = h.finish(running[index].remove(at: done).id, .delivered)
            }
        }
        let times = starts.map(\.at).sorted()
        #expect(times.count > 100)
        let gaps = zip(times, times.dropFirst()).map { $1 - $0 }
        #expect(gaps.allSatisfy { $0 >= .milliseconds(300) }, "no overlap, no spacing below 1/rate: \(gaps.min() ?? .zero)")
        #expect(Set(starts.map(\.node)) == [0, 1], "both nodes send their deliveries, in turns")
    }

    /// The busy nodes change mid fan-out: another node busy lowers this node's share at once (attempts in flight
    /// end, nothing starts until under it); that node going idle, or dying (its row no longer fresh, so absent from
    /// the read), raises it at once, with no hold-off.
    @Test func aNodeJoiningGoingIdleOrDyingMovesTheShareAtOnce() throws {
        var h = Self.node(["ops": .init(maxConcurrency: 4, rateLimit: nil, attemptTimeout: .seconds(1))])
        _ = h.machine.nodesBusy([:], me: "a")
        var flying = Set(h.accept((1...40).map { H.job(String(format: "d%02d", $0), deadline: .seconds(600)) }).started)
        #expect(flying.count == 4)
        // "b" joins, busy on the channel: this node's share is 2 of 4 at once.
        _ = h.machine.nodesBusy(["b": ["ops"]], me: "a")
        #expect(h.machine.share(of: "ops").maxConcurrency == 2)
        for id in flying.sorted().prefix(2) {
            flying.remove(id)
            #expect(h.finish(id, .delivered).started.isEmpty, "over its new share: nothing starts")
        }
        let id = try #require(flying.sorted().first)
        flying.remove(id)
        let next = h.finish(id, .delivered).started
        #expect(next.count == 1, "under its share: one starts")
        flying.formUnion(next)
        // "b" goes idle: the whole limits at the read that shows it, not a hold-off later.
        let idle = h.machine.nodesBusy(["b": []], me: "a").started
        #expect(idle.count == 2, "risen at once: \(idle)")
        flying.formUnion(idle)
        #expect(flying.count == 4)
        // "b" busy again, then dead (its row no longer fresh: the read leaves it out): down, then up, at once.
        _ = h.machine.nodesBusy(["b": ["ops"]], me: "a")
        for id in flying.sorted().prefix(2) {
            flying.remove(id)
            #expect(h.finish(id, .delivered).started.isEmpty)
        }
        _ = h.advance(by: .seconds(1))
        let dead = h.machine.nodesBusy([:], me: "a").started
        #expect(dead.count == 2, "risen at once: \(dead)")
        flying.formUnion(dead)
        #expect(flying.count == 4)
    }

    /// A node whose reads fail (its database away) keeps the last share it knew, for as long as it cannot read:
    /// never none, so it goes on sending.
    @Test func aNodeThatCannotReadKeepsItsLastShare() {
        var h = Self.node(["ops": .init(maxConcurrency: 4, rateLimit: 2, attemptTimeout: .seconds(1))])
        _ = h.machine.nodesBusy(["b": ["ops"]], me: "a")
        let last = h.machine.share(of: "ops")
        #expect(last == .init(maxConcurrency: 2, rateLimit: 1, attemptTimeout: .seconds(1)))
        var started: [String] = []
        var actions = h.accept((1...20).map { H.job("d\($0)", deadline: .seconds(600)) })
        // A minute with no read at all; each attempt ends at once.
        for _ in 0..<60 {
            while !actions.started.isEmpty {
                started += actions.started
                actions = actions.started.flatMap { h.finish($0, .delivered) }
            }
            #expect(h.machine.share(of: "ops") == last)
            actions = h.advance(by: .seconds(1))
        }
        #expect(started.count == 20, "sent on at its last share (1 a second): \(started.count)")
    }
}
