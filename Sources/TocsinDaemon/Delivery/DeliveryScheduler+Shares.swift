import Foundation
import TocsinCore

extension DeliveryScheduler {
    /// This node's part of each channel's `max_concurrency` and `rate_limit` when several nodes send from one
    /// PostgreSQL database (issue 17, item 3), so the cluster keeps to a channel's limits without ever holding an
    /// alert back.
    ///
    /// At every poll of the database (a second at most) each node writes the channels it has work on (deliveries it
    /// holds unfinished, attempts in flight) and reads those of the others, in one statement. A channel's limits are
    /// shared among the nodes busy on it, this node counted whenever it has work for it; sorted by name, each node
    /// works the same shares out from the same list:
    /// - `max_concurrency` M over N busy nodes: M / N each, the remainder to nodes picked by the channel's name; with
    ///   M < N, the M slots take turns on wall-clock windows (``turn(of:)``), so each busy node's turn comes within
    ///   N turns; a node sends only in the first half of its turns, so its attempts have ended when the slot moves.
    /// - `rate_limit` R: R × (the node's slots) / M, so the shares add up to R.
    ///
    /// A share changes at the read that shows the change, with no hold-off: a node alone on a channel, or one that
    /// never read the list, has the whole limits; a node that cannot read keeps the last share it knew. The price is a
    /// bounded overshoot when the busy nodes change: about one poll (until every node has read the change) plus the
    /// attempts already in flight.
    struct ClusterShares: Sendable {
        /// What one channel's limits come to for this node now.
        struct Share: Sendable, Equatable {
            var concurrency: Int
            /// Nil when the channel has no rate limit.
            var rate: Double?
            /// When this share next changes by itself (a turn's sending half ends, or this node's next turn begins);
            /// nil when only a new read can change it.
            var changesAt: C.Instant?
        }

        /// The channels each other live node was busy on at the last read; nil before the first read.
        private(set) var others: [String: Set<String>]?
        /// This node's name (set with the first read).
        private(set) var me = ""

        /// The other nodes busy now, by name, with the channels each has work on (this node's own entry is ignored).
        mutating func seen(_ busy: [String: Set<String>], me: String) {
            self.me = me
            others = busy.filter { $0.key != me && !$0.value.isEmpty }
        }

        /// The nodes busy on `channel`, this one among them, sorted by name.
        func busyNodes(on channel: String) -> [String] {
            let names = (others ?? [:]).filter { $0.value.contains(channel) }.map(\.key)
            return (names + [me]).sorted()
        }

        /// How long before a turn ends its holder stops starting attempts: an attempt's longest run (timeout, plus a
        /// second for the start and clock skew between nodes), plus one slot's rate interval, so the next holder's
        /// first attempt neither overlaps the last one nor comes closer than the rate allows.
        static func drain(of limits: ChannelLimits) -> Duration {
            let interval = limits.rateLimit.map { Duration.seconds(Double(max(limits.maxConcurrency, 1)) / $0) } ?? .zero
            return limits.attemptTimeout + .seconds(1) + interval
        }

        /// A turn when the slots are fewer than the busy nodes: twice the drain, half of it spent sending.
        static func turn(of limits: ChannelLimits) -> Duration { drain(of: limits) * 2 }

        /// This node's share of `limits` for `channel` at `now`.
        /// - Parameter wall: the wall-clock date at one instant (turns are cut on the wall clock, alike on every node).
        func share(of limits: ChannelLimits, channel: String, at now: C.Instant, wall: (instant: C.Instant, date: Date)) -> Share {
            let whole = Share(concurrency: limits.maxConcurrency, rate: limits.rateLimit, changesAt: nil)
            // Never read: the whole limits (one node, or the first second of a start).
            guard others != nil, limits.maxConcurrency > 0 else { return whole }
            let nodes = busyNodes(on: channel)
            guard nodes.count > 1, let index = nodes.firstIndex(of: me) else { return whole }
            let count = nodes.count
            let slotsTotal = limits.maxConcurrency
            let salt = Self.salt(channel)
            func rate(_ slots: Int) -> Double? { limits.rateLimit.map { $0 * Double(slots) / Double(slotsTotal) } }
            if slotsTotal >= count {
                let extra = (index + salt) % count < slotsTotal % count ? 1 : 0
                let slots = slotsTotal / count + extra
                return Share(concurrency: slots, rate: rate(slots), changesAt: nil)
            }
            // Fewer slots than busy nodes: turns. Turn t gives this node a slot when its place, moved by t, falls on
            // one of the M slots; within `count` turns every node has one.
            let turnMillis = max(Self.turn(of: limits).milliseconds, 2)
            let nowMillis = wall.date.millisecondsSince1970 + wall.instant.duration(to: now).milliseconds
            let current = nowMillis >= 0 ? nowMillis / turnMillis : (nowMillis - turnMillis + 1) / turnMillis
            func hasSlot(_ turn: Int64) -> Bool {
                (index + salt + Int(((turn % Int64(count)) + Int64(count)) % Int64(count))) % count < slotsTotal
            }
            func instant(_ millis: Int64) -> C.Instant { now.advanced(by: .milliseconds(millis - nowMillis)) }
            if hasSlot(current) {
                // Consecutive turns with a slot are one: its attempts need end only before the last of them does.
                var last = current
                while hasSlot(last + 1), last < current + Int64(count) { last += 1 }
                let stop = (last + 1) * turnMillis - Self.drain(of: limits).milliseconds
                if nowMillis < stop { return Share(concurrency: 1, rate: rate(1), changesAt: instant(stop)) }
                var next = last + 1
                while !hasSlot(next) { next += 1 }
                return Share(concurrency: 0, rate: rate(0), changesAt: instant(next * turnMillis))
            }
            var next = current + 1
            while !hasSlot(next), next < current + Int64(count) { next += 1 }
            return Share(concurrency: 0, rate: rate(0), changesAt: instant(next * turnMillis))
        }

        /// The channel's offset among the nodes (FNV-1a of its name): the same on every node and every run, so
        /// different channels give their extra slot, and start their turns, on different nodes.
        static func salt(_ channel: String) -> Int {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in channel.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            return Int(hash % 1_000_003)
        }
    }
}
