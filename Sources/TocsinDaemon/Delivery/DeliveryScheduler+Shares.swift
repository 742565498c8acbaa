import Foundation
import TocsinCore

extension DeliveryScheduler {
    /// This node's part of each channel's `max_concurrency` and `rate_limit` when several nodes send from one
    /// PostgreSQL database (issue 17, item 3), so the whole cluster never exceeds a channel's limits.
    ///
    /// Each node reads the live nodes (seen within 3 leases) at every poll of the database (a second at most); its
    /// place among them, sorted by name, gives its share, and every node works the same shares out from the list:
    /// - `max_concurrency` M over N nodes: M / N each, the remainder to nodes picked by the channel's name; with
    ///   M < N, the M slots take turns: the wall clock is cut into windows and each window moves every slot to the
    ///   next node, so a node with no slot now still sends that channel's deliveries in its turn.
    /// - `rate_limit` R: R × (the node's slots) / M, so the shares add up to R (and a node with no slot sends none).
    ///
    /// A share falls at once, and rises only once it has been at least as high for a hold-off (``hold(of:)``): an
    /// attempt another node started under its old share (bounded by the channel's timeout) has ended by then, and
    /// every other node has read the node list that moved the share. Before its first list a node has no share, and
    /// after it the share rises only after a hold-off, unless no list so far had another live node; a list older
    /// than a few polls gives no share at all (a node cut off from the database stops its limited sends, as its leases
    /// do).
    struct ClusterShares: Sendable {
        /// This node's place among the live nodes, sorted by name.
        struct View: Sendable, Hashable {
            var index: Int
            var count: Int
        }

        /// What one channel's limits come to for this node now.
        struct Share: Sendable, Equatable {
            var concurrency: Int
            /// Nil when the channel has no rate limit.
            var rate: Double?
            /// When this share may next rise (a lower value leaves the hold-off); nil when only a new read can.
            var risesAt: C.Instant?
        }

        /// A view older than this counts for nothing (``Dispatcher/Leasing/nodeListLifetime``).
        let viewLifetime: Duration
        /// Views read, oldest first (only those the longest hold-off still looks at); a read that sees the same as the
        /// last one, while that one is fresh, only refreshes it, so this holds changes, not reads.
        private var views: [(at: C.Instant, view: View, refreshed: C.Instant)] = []
        /// No view read so far had another live node: this node has the whole limits at once (a node that is alone
        /// for good, on one PostgreSQL database, never waits for a hold-off, even after the database was away).
        private var alone = false
        /// The first view had no other live node: before it, this node had the whole limits (not none).
        private var startedAlone = false

        init(viewLifetime: Duration) {
            self.viewLifetime = viewLifetime
        }

        /// The live nodes as a read that started at `at` saw them.
        mutating func seen(_ view: View, at: C.Instant, keeping horizon: Duration) {
            if views.isEmpty {
                alone = true
                startedAlone = view.count <= 1
            }
            if view.count > 1 { alone = false }
            let at = max(at, views.last?.refreshed ?? at)
            if let last = views.last, last.view == view, at < last.refreshed.advanced(by: viewLifetime) {
                views[views.count - 1].refreshed = at
                return
            }
            views.append((at, view, at))
            // Drop views that ended before the longest hold-off looks back.
            let oldest = at.advanced(by: .zero - horizon)
            while views.count > 1, views[1].at <= oldest {
                views.removeFirst()
            }
        }

        /// How long a share waits before it rises: an attempt's longest run (timeout, plus a second for the start and
        /// clock skew between nodes, plus one rate interval), plus a view's lifetime for every other node's read of
        /// the list (a node that could not read it has stopped by then).
        func hold(of limits: ChannelLimits) -> Duration {
            let interval = limits.rateLimit.map { Duration.seconds(1 / $0) } ?? .zero
            return limits.attemptTimeout + .seconds(1) + interval + viewLifetime
        }

        /// The length of a turn when the slots are fewer than the nodes: four hold-offs, so three quarters of a turn
        /// are spent sending.
        func window(of limits: ChannelLimits) -> Duration { hold(of: limits) * 4 }

        /// This node's share of `limits` for `channel` at `now`: the lowest share it had over the hold-off.
        /// - Parameter wall: the wall-clock date at one instant (turns are cut on the wall clock, alike on every node).
        func share(of limits: ChannelLimits, channel: String, at now: C.Instant, wall: (instant: C.Instant, date: Date)) -> Share {
            let whole = limits.maxConcurrency
            let none = Share(concurrency: 0, rate: limits.rateLimit.map { _ in 0 }, risesAt: nil)
            // No list yet, or the last one is too old: no share until a read.
            guard whole > 0, let first = views.first, let last = views.last, last.refreshed.advanced(by: viewLifetime) > now else {
                return none
            }
            if alone { return Share(concurrency: whole, rate: limits.rateLimit, risesAt: nil) }
            let hold = hold(of: limits)
            let from = now.advanced(by: .zero - hold)
            let turnMillis = max(window(of: limits).milliseconds, 1)
            func turn(_ instant: C.Instant) -> Int64 {
                let millis = wall.date.millisecondsSince1970 + wall.instant.duration(to: instant).milliseconds
                return millis >= 0 ? millis / turnMillis : (millis - turnMillis + 1) / turnMillis
            }
            let salt = Self.salt(channel)
            var lowest = whole
            // A share rises when the earliest change inside the hold-off leaves it.
            var firstChange: C.Instant?
            func changed(at point: C.Instant) {
                if point > from { firstChange = min(firstChange ?? point, point) }
            }
            if first.at > from, !startedAlone {
                // Before the first read: no share.
                lowest = 0
                changed(at: first.at)
            }
            var rotates = false
            for (position, entry) in views.enumerated() {
                let isLast = position + 1 == views.count
                let next = isLast ? now : views[position + 1].at
                let expiry = entry.refreshed.advanced(by: viewLifetime)
                if position > 0 { changed(at: entry.at) }
                if !isLast, expiry < next, next > from {
                    // The view went stale before the next read: no share over that gap.
                    lowest = 0
                }
                let end = min(next, expiry)
                guard isLast || end > from else { continue }
                let view = entry.view
                if view.count <= 1 { continue }
                if whole >= view.count {
                    let extra = (view.index + salt) % view.count < whole % view.count ? 1 : 0
                    lowest = min(lowest, whole / view.count + extra)
                    continue
                }
                rotates = true
                // One slot at most: the M slots go to M nodes.
                lowest = min(lowest, 1)
                let firstTurn = turn(max(entry.at, from))
                let lastTurn = turn(min(end, now))
                // Within `count` turns every node is without a slot at least once.
                var index = firstTurn
                while index <= lastTurn, index < firstTurn + Int64(view.count) {
                    if (view.index + salt + Int(index % Int64(view.count))) % view.count >= whole {
                        lowest = 0
                        break
                    }
                    index += 1
                }
            }
            if rotates {
                // The first turn to begin inside the hold-off: the one before it leaves the hold-off then.
                let boundary = (turn(from) + 1) * turnMillis
                let fromMillis = wall.date.millisecondsSince1970 + wall.instant.duration(to: from).milliseconds
                changed(at: from.advanced(by: .milliseconds(boundary - fromMillis)))
            }
            let rises = lowest < whole ? firstChange.map { $0.advanced(by: hold) } : nil
            return Share(concurrency: lowest, rate: limits.rateLimit.map { $0 * Double(lowest) / Double(whole) }, risesAt: rises)
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
