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
// Only a hang guard (the longest test takes ~25 s): no test blocks a pool thread any more, so these are not kept
// waiting for one.
@Suite(.timeLimit(.minutes(3)))
struct WatchdogTests {
    struct Bed {
        let core: ServiceBed
        let listener: NotifyListener
        var store: SQLiteStore { core.store }
        var dispatcher: Dispatcher { core.dispatcher }

        init() throws {
            core = try ServiceBed()
            listener = try NotifyListener(in: core.directory)
        }

        /// The service as the daemon runs it, with a 10 s watchdog (pings every 5 s while the loop turned within 10 s;
        /// an idle dispatcher turns every second).
        var service: SystemdService {
            SystemdService(
                notifier: SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.path]), interval: .seconds(10),
                dispatcher: dispatcher, store: store, logger: Logger(label: "test")
            )
        }

        var pings: Int { listener.assignments.filter { $0 == "WATCHDOG=1" }.count }

        func tearDown() {
            listener.close()
            core.tearDown()
        }
    }

    @Test func aTurningDispatcherKeepsThePingsComing() async throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await bed.dispatcher.run() }
            group.addTask { try await bed.service.run() }
            while bed.pings < 3 { try await Task.sleep(for: .milliseconds(100)) }
            group.cancelAll()
        }
        #expect(bed.pings >= 3)
    }

    @Test func aStalledDispatcherStopsThePings() async throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        // The dispatcher's loop never turns: after one watchdog interval the pings must stop for good.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await bed.service.run() }
            // Past the 10 s interval (measured from the dispatcher's creation) no ping is healthy any more.
            try await Task.sleep(for: .seconds(12))
            let afterInterval = bed.pings
            try await Task.sleep(for: .seconds(12))
            #expect(bed.pings == afterInterval, "no ping once the loop stalled (\(afterInterval) before, \(bed.pings) after)")
            #expect(afterInterval <= 3, "at most the pings of the first interval")
            group.cancelAll()
        }
    }
}
