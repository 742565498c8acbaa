import Foundation
import Logging
import Testing
import TocsinConfig
import TocsinCore
import TocsinStore
import TocsinTestSupport
import TocsinTransport

@testable import TocsinDaemon

/// The daemon's delivery core over real parts, without its process: a test config written to a temporary folder, a
/// real SQLite store, curl's transport, a dispatcher (not running until a test runs it) and the incident service.
struct ServiceBed {
    let directory: TemporaryDirectory
    let configPath: String
    let holder: ConfigurationHolder
    let store: SQLiteStore
    let transport: CurlTransport
    let dispatcher: Dispatcher
    let incidents: IncidentService

    /// - Parameter channels: the config's webhooks; by default one, `ops`, on a port nothing listens on.
    init(channels: [TestConfig.Channel] = [.init("ops", url: "http://127.0.0.1:9/ops")]) throws {
        directory = try TemporaryDirectory()
        configPath = try TestConfig(channels: channels).write(to: directory)
        let configuration = try #require(ConfigLoader.load(path: configPath).configuration)
        holder = ConfigurationHolder(ActiveConfiguration(configuration, path: configPath))
        store = try SQLiteStore(path: directory.file("state/tocsin.db"))
        transport = CurlTransport()
        let logger = Logger(label: "test")
        dispatcher = Dispatcher(configuration: holder, store: store, transport: transport, events: DeliveryEvents(), logger: logger)
        incidents = IncidentService(
            configuration: holder, store: store, dispatcher: dispatcher,
            approvals: ApprovalService(store: store, configuration: holder), logger: logger
        )
    }

    var policy: AccessPolicy { holder.current.configuration.access }

    /// A Unix caller as the admin socket would name it.
    func caller(uid: UInt32 = 0) -> Principal { Principal(uid: uid, gid: 0, pid: getpid(), groups: [], policy: policy) }

    func tearDown() {
        transport.shutdown()
        directory.remove()
    }
}
