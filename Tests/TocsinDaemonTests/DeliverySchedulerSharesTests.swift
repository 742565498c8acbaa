import Foundation
import Testing
import TocsinCore
import TocsinTestSupport

@testable import TocsinDaemon

/// Several nodes on one database share each channel's `max_concurrency` and `rate_limit` (issue 17, item 3), on a
/// manual clock: the shares add up to the limits, a node with no slot still sends in its turn, a node count that
/// changes mid fan-out lowers a share at once and raises it only after the hold-off.
struct DeliverySchedulerSharesTests {
    typealias H = SchedulerHarness
    typealias Shares = Scheduler.ClusterShares

    static let lease = Duration.seconds(2)

    /// One node's harness in a cluster of `names`, with no lease renewal to drive (the shares are under test).
    private static func node(_ channels: [String: Scheduler.ChannelLimits]) -> H {
        H(channels: channels, sharedLimits: lease)
    }

    /// Advances every harness together by `step` until `duration` has passed, re-reading the node list `names`
    /// every third of a lease as the dispatcher does, and calling `each` after every step with the actions.
    private static func run(
        _ nodes: inout [H], names: [String], for duration: Duration, step: Duration = .milliseconds(50),
        each: (_ node: Int, _ actions: [Scheduler.Action], _ harness: inout H) -> Void
    ) {
        let steps = Int(duration / step)
        for count in 0..<steps {
            for index in nodes.indices {
                var actions = nodes[index].advance(by: step)
                if count % Int((lease / 3) / step) == 0 {
                    actions += nodes[index].machine.nodesSeen(names, me: names[index], readAt: nodes[index].clock.now)
                }
                each(index, actions, &nodes[index])
            }
        }
    }

    @Test func oneNodeAloneHasTheWholeLimitsAndNoListNoShare() {
        var h = Self.node(["sms": .init(maxConcurrency: 3, rateLimit: 4)])
        #expect(h.accept((1...3).map { H.job("d\($0)", channel: "sms") }).started.isEmpty, "no list of the nodes yet: no share")
        let seen = h.machine.nodesSeen(["a"], me: "a", readAt: h.clock.now)
        #expect(seen.started == ["d1"], "alone: the whole limits at once, paced by the whole rate")
        #expect(seen.wake == at(.milliseconds(250)))
        #expect(h.machine.share(of: "sms") == .init(maxConcurrency: 3, rateLimit: 4))
        // A list older than a lease gives no share (a node cut off from the database stops its limited sends).
        _ = h.advance(by: Self.lease)
        #expect(h.machine.share(of: "sms").maxConcurrency == 0)
        #expect(h.advance(by: .seconds(1)).started.isEmpty)
        // Alone again: at once (nobody else was live to send meanwhile).
        #expect(h.machine.nodesSeen(["a"], me: "a", readAt: h.clock.now).started == ["d2"])
        // SQLite: no sharing at all.
        var sole = H(channels: ["sms": .init(maxConcurrency: 3, rateLimit: nil)])
        #expect(sole.accept((1...3).map { H.job("d\($0)", channel: "sms") }).started == ["d1", "d2", "d3"])
    }

    /// Every node of one list works out its share alone; together they never exceed the limits, every node has a
    /// slot when there are as many slots as nodes, and over the turns every node gets one when there are fewer.
    @Test(arguments: [1, 2, 3, 5, 8], [1, 2, 3, 4])
    func theSharesOfEveryNodeAddUpToTheLimits(maxConcurrency: Int, nodes: Int) {
        let limits = Scheduler.ChannelLimits(maxConcurrency: maxConcurrency, rateLimit: 6, attemptTimeout: .seconds(1))
        let wall = (instant: ManualClock.zero, date: H.wall)
        var shares = (0..<nodes).map { _ in Shares(viewLifetime: Self.lease) }
        let hold = shares[0].hold(of: limits)
        let end = ManualClock.zero.advanced(by: shares[0].window(of: limits) * (nodes + 2))
        var everHad = Set<Int>()
        // Each node re-reads the list every half second; checked past the first hold-off, over several turns.
        var now = ManualClock.zero
        while now < end {
            for index in shares.indices { shares[index].seen(.init(index: index, count: nodes), at: now, keeping: .seconds(600)) }
            defer { now = now.advanced(by: .milliseconds(500)) }
            guard now >= ManualClock.zero.advanced(by: hold) else { continue }
            let each = shares.map { $0.share(of: limits, channel: "sms", at: now, wall: wall) }
            #expect(each.map(\.concurrency).reduce(0, +) <= maxConcurrency)
            #expect(each.compactMap(\.rate).reduce(0, +) <= 6 + 1e-9)
            if maxConcurrency >= nodes {
                #expect(each.map(\.concurrency).reduce(0, +) == maxConcurrency, "no slot idle in steady state")
                #expect(each.allSatisfy { $0.concurrency >= 1 })
            }
            for (index, share) in each.enumerated() where share.concurrency > 0 { everHad.insert(index) }
        }
        #expect(everHad.count == nodes, "every node sends in its turn")
    }

    /// `max_concurrency: 1` and `rate_limit: 4` on two nodes that both hold deliveries of the channel: each node
    /// sends in its turn, and the attempts of the two (300 ms each) never overlap nor start closer than 250 ms.
    /// Each node applying the whole limits fails it at the first step.
    @Test func twoNodesWithOneSlotTakeTurnsAndNeverOverlap() {
        let channels: [String: Scheduler.ChannelLimits] = ["sms": .init(maxConcurrency: 1, rateLimit: 4, attemptTimeout: .seconds(1))]
        var nodes = [Self.node(channels), Self.node(channels)]
        for index in nodes.indices {
            _ = nodes[index].accept((1...200).map { H.job("n\(index)-\($0)", channel: "sms", deadline: .seconds(600)) })
        }
        var starts: [(node: Int, at: Duration)] = []
        var running: [[(id: String, ends: Duration)]] = [[], []]
        Self.run(&nodes, names: ["a", "b"], for: .seconds(120)) { index, actions, h in
            var actions = actions
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
        #expect(times.count > 20)
        let gaps = zip(times, times.dropFirst()).map { $1 - $0 }
        #expect(gaps.allSatisfy { $0 >= .milliseconds(300) }, "no overlap, no spacing below 1/rate: \(gaps.min() ?? .zero)")
        #expect(Set(starts.map(\.node)) == [0, 1], "both nodes send their deliveries, in turns")
    }

    /// A node count that changes mid fan-out: a new node lowers this node's share at once (attempts in flight end,
    /// nothing starts until under it); a node gone raises it only after the hold-off, then at once.
    @Test func aNodeCountChangeMidFanOutLowersAtOnceAndRaisesAfterTheHoldOff() throws {
        var h = Self.node(["ops": .init(maxConcurrency: 4, rateLimit: nil, attemptTimeout: .seconds(1))])
        var flying = Set(h.accept((1...20).map { H.job(String(format: "d%02d", $0), deadline: .seconds(600)) }).started)
        flying.formUnion(h.machine.nodesSeen(["a"], me: "a", readAt: h.clock.now).started)
        #expect(flying.count == 4)
        // "b" joins: this node's share is 2 of 4 at once.
        _ = h.machine.nodesSeen(["a", "b"], me: "a", readAt: h.clock.now)
        let share = h.machine.share(of: "ops").maxConcurrency
        #expect(share == 2)
        for id in flying.sorted().prefix(4 - share) {
            flying.remove(id)
            #expect(h.finish(id, .delivered).started.isEmpty, "over its new share: nothing starts")
        }
        let id = try #require(flying.sorted().first)
        flying.remove(id)
        let next = h.finish(id, .delivered).started
        #expect(next.count == 1, "under its share: one starts")
        flying.formUnion(next)
        // "b" goes (its row no longer live): the share rises only after the hold-off.
        let gone = h.clock.now
        let hold = Shares(viewLifetime: Self.lease).hold(of: .init(maxConcurrency: 4, rateLimit: nil, attemptTimeout: .seconds(1)))
        var raisedAt: Duration?
        var wake: ManualClock.Instant?
        for step in 1...Int(hold / .milliseconds(500)) + 2 {
            var actions = h.advance(by: .milliseconds(500))
            actions += h.machine.nodesSeen(["a"], me: "a", readAt: h.clock.now)
            if step == 1 { wake = actions.wake }
            if !actions.started.isEmpty, raisedAt == nil { raisedAt = gone.duration(to: h.clock.now) }
            flying.formUnion(actions.started)
        }
        // The first read without "b" came 500 ms after it went: the share rises a hold-off after that read.
        #expect(wake.map { $0 <= gone.advanced(by: hold + .milliseconds(500)) } == true, "wakes for the rise: \(String(describing: wake))")
        #expect(raisedAt == hold + .milliseconds(500), "risen after the hold-off, not before: \(String(describing: raisedAt))")
        #expect(flying.count == 4)
    }

    /// A node of two whose reads of the node list stop (its database is away): no share once the last list is older
    /// than its lifetime; once it reads again, its share comes back only after the hold-off (another node may have
    /// joined meanwhile and counted on that).
    @Test func aNodeThatCannotReadTheListStopsAndComesBackAfterTheHoldOff() {
        let limits = Scheduler.ChannelLimits(maxConcurrency: 4, rateLimit: nil, attemptTimeout: .seconds(1))
        var h = Self.node(["ops": limits])
        _ = h.machine.nodesSeen(["a"], me: "a", readAt: h.clock.now)
        _ = h.machine.nodesSeen(["a", "b"], me: "a", readAt: h.clock.now)
        #expect(h.machine.share(of: "ops").maxConcurrency == 2)
        _ = h.advance(by: Self.lease - .milliseconds(1))
        #expect(h.machine.share(of: "ops").maxConcurrency == 2, "a list younger than its lifetime still counts")
        _ = h.advance(by: .milliseconds(1))
        #expect(h.machine.share(of: "ops").maxConcurrency == 0, "too old: no share")
        #expect(h.accept([H.job("d1", deadline: .seconds(600))]).started.isEmpty)
        _ = h.advance(by: .seconds(3))
        let back = h.clock.now
        let hold = Shares(viewLifetime: Self.lease).hold(of: limits)
        var startedAt: Duration?
        while h.clock.now < back.advanced(by: hold + .seconds(1)) {
            var actions = h.machine.nodesSeen(["a", "b"], me: "a", readAt: h.clock.now)
            actions += h.advance(by: .milliseconds(250))
            if !actions.started.isEmpty, startedAt == nil { startedAt = back.duration(to: h.clock.now) }
        }
        #expect(startedAt == hold, "once the gap has left the hold-off, not before: \(String(describing: startedAt))")
    }
}
