import Foundation
public import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TocsinAudit
import TocsinChannels
import TocsinConfig
public import TocsinCore
import TocsinStore
import TocsinTransport
import UnixSignals

/// Wires the daemon's parts together and runs them until SIGTERM or SIGINT.
public enum Daemon {
    /// Runs the daemon on an already validated configuration.
    public static func run(configuration: Configuration, configPath: String, logger: Logger) async throws {
        let lock = try StateLock(folder: configuration.paths.state)
        defer { _ = lock }
        raiseOpenFileLimit()
        try await StoreFactory.withStore(configuration, logger: logger) { store in
            try await run(configuration: configuration, configPath: configPath, store: store, logger: logger)
        }
    }

    private static func run(configuration: Configuration, configPath: String, store: any Store, logger: Logger) async throws {
        // Before anything is appended: one chain may hold several nodes' entries (PostgreSQL), each naming its node.
        store.nameAuditEntries(by: configuration.cluster.node)
        let transport = CurlTransport(options: .init(
            maxHostConnections: Dispatcher.maximumInFlight, maxTotalConnections: Dispatcher.maximumInFlight,
            proxy: configuration.delivery.proxy.transportProxy
        ))
        defer { transport.shutdown() }
        let holder = ConfigurationHolder(ActiveConfiguration(configuration, path: configPath))
        for (name, reason) in holder.current.unavailable.sorted(by: { $0.key < $1.key }) {
            logger.warning("channel cannot send", metadata: ["channel": "\(name)", "reason": "\(reason)"])
        }
        holder.current.logCuts(logger)
        let registry = DaemonMetrics.bootstrap()
        DaemonMetrics.declare(channels: Array(configuration.channels.keys))
        let parts = DaemonParts(configuration: holder, store: store, transport: transport, logger: logger)
        let (dispatcher, checkpoints, heartbeat, reloader) = (parts.dispatcher, parts.checkpoints, parts.heartbeat, parts.reloader)
        store.onAuditHeadMoved { checkpoints.headMoved($0) }

        let recovered = try await recover(into: dispatcher, store: store, channels: configuration.channels)
        var detail = AuditDetail()
        detail.set("config", configPath)
        detail.set("fingerprint", configuration.fingerprint)
        detail.set("templates", configuration.templates.count)
        detail.set("channels", configuration.channels.count)
        detail.set("resumed_deliveries", recovered)
        detail.set("pid", Int(getpid()))
        try await store.commit(StoreWrite(audit: [
            AuditEvent(timeMillis: Date().millisecondsSince1970, kind: "config.load", actorUID: Int64(getuid()), actorPID: Int64(getpid()), subject: "daemon", detail: detail.json)
        ]))
        if recovered > 0 { logger.notice("resuming unfinished deliveries", metadata: ["deliveries": "\(recovered)"]) }

        let notifier = SystemdNotifier()
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = AdminServer(
            path: configuration.paths.socket, mode: configuration.paths.socketMode,
            router: parts.router,
            group: eventLoops, logger: logger
        ) {
            logger.notice("tocsind ready", metadata: ["socket.path": "\(configuration.paths.socket)", "config.fingerprint": "\(configuration.fingerprint.prefix(12))"])
            notifier.notify("READY=1", "STATUS=\(parts.daemon.readyStatus())")
        }
        // Services stop in reverse order: the admin socket stops taking sends before the dispatcher drains, and the
        // last checkpoint is signed after both.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: checkpoints), .init(service: dispatcher), .init(service: server), .init(service: heartbeat),
                .init(service: MetricsService(
                    registry: registry, configuration: holder, store: store, dispatcher: dispatcher, heartbeat: heartbeat,
                    verifier: parts.daemon.verifier, group: eventLoops, logger: logger
                )), .init(service: HangupReloadService(reloader: reloader)),
                .init(service: SystemdService(
                    notifier: notifier, interval: SystemdNotifier.watchdogInterval(), dispatcher: dispatcher, store: store, logger: logger
                )),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // TimeoutStopSec=30s in the unit: attempts in flight get 20 s to end, then they are cancelled (their
        // deliveries stay durable and resume at the next start), and a part that ignores cancellation is a crash
        // systemd restarts from, never a daemon that hangs on stop.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(20)
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            try? await eventLoops.shutdownGracefully()
            throw error
        }
        try? await eventLoops.shutdownGracefully()
        logger.notice("tocsind stopped", metadata: ["deliveries.unfinished": "\(dispatcher.pendingCount)"])
    }

    /// How each template would be shortened on the channels it can reach (the fit check of load, reload and
    /// approval), as `tocsind --check-config` prints them: warnings, since the daemon still starts and sends.
    public static func fitWarnings(_ configuration: Configuration, path: String) -> [String] {
        let cuts = ActiveConfiguration(configuration, path: path).cuts
        return cuts.keys.sorted().flatMap { cuts[$0] ?? [] }.map(\.description)
    }

    /// Hands every unfinished delivery on disk back to the dispatcher; one that was in flight when the
    /// daemon died is sent again with the same id (`webhook-id`), so receivers can drop the duplicate.
    private static func recover(into dispatcher: Dispatcher, store: any Store, channels: [String: ChannelDefinition]) async throws -> Int {
        // Several nodes: unfinished deliveries may be other nodes'; the dispatcher's first poll claims those no
        // live node holds (DeliveryJob(record:payload:type:) and the deadline check come with the claim).
        guard !dispatcher.holdsLeases else { return 0 }
        var records = try await store.unfinishedDeliveries()
        guard !records.isEmpty else { return 0 }
        // A delivery whose deadline passed while tocsind was down (or in a restored backup) is not sent again:
        // a stale evacuation notice hours later does harm. It is recorded as failed, with the reason.
        let now = Date().millisecondsSince1970
        let expired = records.filter { $0.deadlineAt <= now }
        records.removeAll { $0.deadlineAt <= now }
        if !expired.isEmpty { try await expire(expired, store: store, now: now) }
        let keys = Set(records.map { PayloadKey(incidentID: $0.incidentID, channel: $0.channel) })
        let payloads = try await store.payloads(for: keys)
        let jobs = records.compactMap { record -> DeliveryJob? in
            guard let payload = payloads[PayloadKey(incidentID: record.incidentID, channel: record.channel)] else { return nil }
            return DeliveryJob(record: record, payload: payload, type: channels[record.channel]?.type)
        }
        dispatcher.enqueue(jobs)
        return jobs.count
    }

    private static func expire(_ records: [DeliveryRecord], store: any Store, now: Int64) async throws {
        let reason = "the delivery deadline passed while tocsind was not running; not sent again"
        var write = StoreWrite()
        for record in records {
            write.updates.append(DeliveryUpdate(
                id: record.id, state: .failed, attempts: record.attempts, nextAttemptAt: nil, lastStatus: record.lastStatus,
                lastError: reason, misconfiguration: false, deliveredAt: nil, updatedAt: now
            ))
            write.auditFinal(
                delivery: record.id, incident: record.incidentID, channel: record.channel, recipient: record.recipient,
                state: .failed, attempts: record.attempts, error: reason, at: now
            )
        }
        try await store.commit(write)
        for record in records { DaemonMetrics.delivery(channel: record.channel, state: .failed) }
    }
}
