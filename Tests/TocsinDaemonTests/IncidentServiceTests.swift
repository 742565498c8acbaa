import Foundation
import Logging
import Testing
import TocsinConfig
import TocsinCore
import TocsinProtocol
import TocsinStore
import TocsinTestSupport
import TocsinTransport

@testable import TocsinDaemon

/// A send is planned, stored and dispatched against one configuration snapshot (issue 14, item 3).
@Suite(.timeLimit(.minutes(2)))
struct IncidentServiceTests {
    @Test func aReloadBetweenPlanAndCommitDoesNotEmptyTheSend() async throws {
        let receiverFolder = try TemporaryDirectory()
        defer { receiverFolder.remove() }
        let receiver = try await offPool { try LoopbackReceiver(in: receiverFolder) }
        defer { receiver.stop() }
        let bed = try ServiceBed(channels: [.init("ops", url: receiver.url("/ops"))])
        defer { bed.tearDown() }
        // The reloaded configuration no longer has the channel the send was planned for.
        let afterDirectory = try TemporaryDirectory()
        defer { afterDirectory.remove() }
        let after = try TestConfig(channels: [.init("staff", url: receiver.url("/staff"))]).write(to: afterDirectory)
        let reloaded = try #require(ConfigLoader.load(path: after).configuration)
        let (holder, store, dispatcher, incidents, caller) = (bed.holder, bed.store, bed.dispatcher, bed.incidents, bed.caller())
        let request = AuditEvent(timeMillis: 1, kind: "admin.request", subject: "admin", detail: "{}")

        let plan = try await incidents.plan(SendParams(template: "evacuation", variables: ["building": "Pavillon A"], drill: true))
        holder.replace(with: ActiveConfiguration(reloaded, path: after))
        let status = try await incidents.create(plan, caller: caller, requestAudit: request)

        #expect(status.deliveries.map(\.channel) == ["ops"])
        #expect(status.deliveries.allSatisfy { $0.state == "pending" }, "\(status.deliveries.map { "\($0.state) \($0.lastError ?? "")" })")
        let payloads = try await store.payloads(for: [PayloadKey(incidentID: status.summary.incident, channel: "ops")])
        let body = try #require(payloads.first?.value.body)
        #expect(String(decoding: body, as: UTF8.self).contains("Pavillon A"), "the stored payload is the whole message")

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await dispatcher.run() }
            while receiver.requests(path: "/ops").isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            group.cancelAll()
        }
        #expect(receiver.requests(path: "/ops").first?.body.contains("Pavillon A") == true, "delivered whole after the reload")
    }
}
