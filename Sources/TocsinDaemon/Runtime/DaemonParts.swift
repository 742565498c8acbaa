import Foundation
import Logging
import TocsinStore
import TocsinTransport

/// The daemon's parts, built once and wired in one direction: the dispatcher announces incident ends on a stream
/// that the checkpoint and heartbeat services read, so nothing is connected after construction. `Daemon.run` runs
/// them as services; tests build them on a test store.
struct DaemonParts: Sendable {
    let dispatcher: Dispatcher
    let checkpoints: CheckpointService
    let heartbeat: HeartbeatService
    let reloader: Reloader
    let daemon: DaemonHandlers
    /// Every admin method, each registered by the handler group it belongs to.
    let methods: MethodTable
    let router: AdminRouter

    init(configuration: ConfigurationHolder, store: any Store, transport: any Transport, logger: Logger) {
        let events = DeliveryEvents()
        let ends = IncidentEnds()
        checkpoints = CheckpointService(configuration: configuration, store: store, transport: transport, ends: ends.subscribe(), logger: logger)
        dispatcher = Dispatcher(configuration: configuration, store: store, transport: transport, events: events, logger: logger, ends: ends)
        let approvals = ApprovalService(store: store, configuration: configuration)
        let incidents = IncidentService(configuration: configuration, store: store, dispatcher: dispatcher, approvals: approvals, logger: logger)
        reloader = Reloader(configuration: configuration, store: store, notifier: SystemdNotifier(), dispatcher: dispatcher, logger: logger)
        heartbeat = HeartbeatService(configuration: configuration, store: store, incidents: incidents, ends: ends.subscribe(), logger: logger)
        let verifier = ChainVerifier(configuration: configuration, store: store, checkpoints: checkpoints)
        daemon = DaemonHandlers(
            configuration: configuration, store: store, dispatcher: dispatcher, reloader: reloader, heartbeat: heartbeat,
            verifier: verifier, startedAt: Date(), logger: logger
        )
        var methods = MethodTable()
        IncidentHandlers(configuration: configuration, store: store, incidents: incidents, events: events, verifier: verifier, logger: logger)
            .register(in: &methods)
        TemplateHandlers(configuration: configuration, approvals: approvals).register(in: &methods)
        ChannelHandlers(configuration: configuration, store: store, dispatcher: dispatcher, incidents: incidents).register(in: &methods)
        AuditHandlers(store: store, checkpoints: checkpoints, verifier: verifier).register(in: &methods)
        WebUserHandlers(configuration: configuration, store: store).register(in: &methods)
        let webSignIn = WebSignIn(configuration: configuration, store: store)
        webSignIn.register(in: &methods)
        daemon.register(in: &methods)
        self.methods = methods
        router = AdminRouter(table: methods, configuration: configuration, store: store, webSignIn: webSignIn, logger: logger)
    }
}
