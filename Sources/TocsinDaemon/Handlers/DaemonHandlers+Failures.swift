import TocsinProtocol
import TocsinStore

/// The failures `status` lists (issue 16, item 4): channel tests apart from incidents, and only failures that still
/// say something — once a channel has delivered since, its older failure is history (the incident's own status and
/// report still show it), not a problem to act on.
extension DaemonHandlers {
    struct RecentFailures {
        var incidents: [DeliveryStatus] = []
        var tests: [DeliveryStatus] = []
    }

    /// At most `limit` of each kind, newest first.
    static func recentFailures(_ store: any Store, limit: Int) async throws(StoreError) -> RecentFailures {
        // Read more than shown: failures of recovered channels are dropped, and tests and incidents share the list.
        let failed = try await store.recentFailures(limit: limit * 10)
        guard !failed.isEmpty else { return RecentFailures() }
        let activity = try await store.channelActivity()
        var statusOf: [String: String] = [:]
        var result = RecentFailures()
        for delivery in failed {
            if let delivered = activity[delivery.channel]?.lastDeliveredAt, delivered > delivery.updatedAt { continue }
            if statusOf[delivery.incidentID] == nil {
                statusOf[delivery.incidentID] = try await store.incident(delivery.incidentID)?.status ?? ""
            }
            // Named in each line: a failure read without its incident cannot be resent or reported on.
            var status = DeliveryStatusMapper.status(of: delivery)
            status.incident = delivery.incidentID
            if statusOf[delivery.incidentID] == "Test" {
                if result.tests.count < limit { result.tests.append(status) }
            } else if result.incidents.count < limit {
                result.incidents.append(status)
            }
            if result.tests.count >= limit, result.incidents.count >= limit { break }
        }
        return result
    }
}
