import Foundation
import Logging
import Testing
import TocsinConfig
import TocsinStore
import TocsinTestSupport
import TocsinTransport

@testable import TocsinDaemon

/// The systemd watchdog (issue 13): tocsind pings only while its dispatcher loop turns, so the unit's
/// `WatchdogSec=` restarts a daemon whose dispatcher is stuck. Real parts: a dispatcher over a real SQLite store, a
/// real datagram socket standing in for systemd's `NOTIFY_SOCKET`.
@Suite(.timeLimit(.minutes(2)))
struct WatchdogTests {
    struct Bed {
        let directory: TemporaryDirectory
        let listener: NotifyListener
        let store: SQLiteStore
        let dispatcher: Dispatcher
        let transport: CurlTransport

        init() throws {
            directory = try TemporaryDirectory()
            listener = try NotifyListener(in: directory)
            let path = try TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops")]).write(to: directory)
            let configuration = try #require(ConfigLoader.load(path: path).configuration)
            store = try SQLiteStore(path: directory.file("state/tocsin.db"))
            transport = CurlTransport()
            dispatcher = Dispatcher(
                configuration: ConfigurationHolder(ActiveConfiguration(configuration, path: path)), store: store,
                transport: transport, events: DeliveryEvents(), logger: Logger(label: "test")
            )
        }

        /// The service as the daemon runs it, with a 4 s watchdog (pings every 2 s while healthy).
        var service: SystemdService {
            SystemdService(
                notifier: SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.path]), interval: .seconds(4),
                dispatcher: dispatcher, store: store, logger: Logger(label: "test")
            )
        }

        var pings: Int { listener.assignments.filter { $0 == "WATCHDOG=1" }.count }

        func tearDown() {
            transport.shutdown()
            listener.close()
            directory.remove()
        }
    }

    @Test func aTurningDispatcherKeepsThePingsComing() async throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await bed.dispatcher.run() }
            group.addTask { try await bed.service.run() }
            while bed.pings < 4 { try await Task.sleep(for: .milliseconds(100)) }
            group.cancelAll()
        }
        #expect(bed.pings >= 4)
    }

    @Test func aStalledDispatcherStopsThePings() async throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        // The dispatcher's loop never turns: after one watchdog interval the pings must stop for good.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await bed.service.run() }
            try await Task.sleep(for: .seconds(5))
            let afterInterval = bed.pings
            try await Task.sleep(for: .seconds(5))
            #expect(bed.pings == afterInterval, "no ping once the loop stalled (\(afterInterval) before, \(bed.pings) after)")
            #expect(afterInterval <= 2, "at most the pings of the first interval")
            group.cancelAll()
        }
    }
}
