import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization
import TocsinAudit
import TocsinCore
import TocsinProtocol
import TocsinStore

/// Publishes the metrics without opening a port by default: rewrites `metrics_file` atomically every
/// `metrics_interval` (for node_exporter's textfile collector), and serves `GET /metrics` on `metrics_listen`
/// (loopback only, refused otherwise by the config check) when configured.
final class MetricsService: Service, Sendable {
    private let registry: PrometheusCollectorRegistry
    private let configuration: ConfigurationHolder
    private let store: any Store
    private let dispatcher: Dispatcher
    private let heartbeat: HeartbeatService
    private let verifier: ChainVerifier
    private let group: any EventLoopGroup
    private let logger: Logger
    /// Scrapes served at once; a local process opening more is closed at once (the listener is for one collector).
    static let maximumConnections = 16
    private let connections = Atomic(0)

    init(
        registry: PrometheusCollectorRegistry, configuration: ConfigurationHolder, store: any Store, dispatcher: Dispatcher,
        heartbeat: HeartbeatService, verifier: ChainVerifier, group: any EventLoopGroup, logger: Logger
    ) {
        self.registry = registry
        self.configuration = configuration
        self.store = store
        self.dispatcher = dispatcher
        self.heartbeat = heartbeat
        self.verifier = verifier
        self.group = group
        self.logger = logger
    }

    func run() async throws {
        let monitoring = configuration.current.configuration.monitoring
        var listener: (any Channel)?
        if let address = monitoring.metricsListen {
            do {
                listener = try await listen(host: address.host, port: address.port)
                logger.notice("metrics served", metadata: ["metrics.listen": "\(address.host):\(address.port)"])
            } catch {
                // Metrics must never stop alerts: say so loudly and go on without the listener.
                logger.error("cannot serve metrics", metadata: ["metrics.listen": "\(address.host):\(address.port)", "error": "\(error)"])
            }
        }
        let wake = WakeSignal()
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                if let path = configuration.current.configuration.metricsFile { await write(to: path) }
                await wake.wait(timeout: configuration.current.configuration.monitoring.metricsInterval)
            }
        } onGracefulShutdown: {
            wake.signal()
        }
        try? await listener?.close()
    }

    /// The current metrics in the Prometheus text format, levels refreshed first.
    func render() async -> [UInt8] {
        let retrying = await refreshLevels()
        var text = registry.emitToBuffer()
        DaemonMetrics.channels.render(into: &text, retrying: retrying)
        return text
    }

    /// The level gauges set at the last rendering, by series. A level not set again (its channel removed by a
    /// reload, the heartbeat or an `expires:` taken out) is unregistered, so no stale value outlives its cause and
    /// keeps an alert firing.
    private let levels = Mutex<[String: Gauge]>([:])

    /// Sets the registry's levels; returns each configured channel's retrying deliveries, which `ChannelMetrics`
    /// writes (a series per channel, made and dropped with the configuration, not registered).
    private func refreshLevels() async -> [String: Int] {
        let config = configuration.current.configuration
        let snapshot = dispatcher.snapshot()
        let now = Date()
        var set: [String: Gauge] = [:]
        func level(_ family: DaemonMetrics.Family, channel: String? = nil, _ value: Double) {
            let labels = channel.map { [("channel", $0)] } ?? []
            let gauge = DaemonMetrics.gauge(family, labels)
            gauge.set(value)
            set[family.name + "\u{0}" + (channel ?? "")] = gauge
        }
        level(DaemonMetrics.rendered, now.timeIntervalSince1970)
        level(DaemonMetrics.pending, Double(snapshot.pending))
        level(DaemonMetrics.oldestPending, snapshot.oldestCreatedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        let retrying = Dictionary(uniqueKeysWithValues: config.channels.keys.map { ($0, snapshot.retrying[$0]?.deliveries ?? 0) })
        if let head = try? await store.auditHead() { level(DaemonMetrics.auditEntries, Double(head.seq)) }
        level(DaemonMetrics.auditIntact, await auditIntact() ? 1 : 0)
        for channel in config.channels.values {
            guard let expires = channel.expires else { continue }
            level(DaemonMetrics.credentialExpiry, channel: channel.name, expires.timeIntervalSince1970)
        }
        for (channel, expiry) in dispatcher.certificates.withLock({ $0 }) where config.channels[channel] != nil {
            level(DaemonMetrics.certificateExpiry, channel: channel, expiry.timeIntervalSince1970)
        }
        if let schedule = config.monitoring.heartbeat {
            let state = heartbeat.state
            level(DaemonMetrics.heartbeatOK, heartbeat.isHealthy(schedule, now: now) ? 1 : 0)
            level(DaemonMetrics.heartbeatSuccess, state.lastSuccessAt?.timeIntervalSince1970 ?? 0)
        }
        let gone = levels.withLock { levels in
            defer { levels = set }
            return levels.filter { set[$0.key] == nil }.values
        }
        for gauge in gone { DaemonMetrics.registry.unregisterGauge(gauge) }
        return retrying
    }

    /// What the health check's `audit` line says, as 1 or 0: the head on disk is the one this process left, the
    /// chain and its checkpoints verify (the verification health reuses for a while: it reads the whole chain).
    private func auditIntact() async -> Bool {
        try? await store.checkAuditHead()
        guard verifier.checkpoints.integrity.problem == nil else { return false }
        return (try? await verifier.recent())?.intact ?? false
    }

    /// Writes beside the target and renames, so the collector never reads half a file.
    private func write(to path: String) async {
        let bytes = await render()
        let temporary = path + ".tmp-\(getpid())"
        do {
            try await BlockingIO.run {
                try Data(bytes).write(to: URL(fileURLWithPath: temporary))
                chmod(temporary, 0o644)
                guard rename(temporary, path) == 0 else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
                }
            }
        } catch {
            unlink(temporary)
            logger.warning("cannot write the metrics file", metadata: ["metrics.file": "\(path)", "error": "\(error.localizedDescription)"])
        }
    }

    private func listen(host: String, port: Int) async throws -> any Channel {
        let render: @Sendable () async -> [UInt8] = { [self] in await self.render() }
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                guard connections.wrappingAdd(1, ordering: .relaxed).newValue <= Self.maximumConnections else {
                    connections.wrappingSubtract(1, ordering: .relaxed)
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in self.connections.wrappingSubtract(1, ordering: .relaxed) }
                return channel.eventLoop.makeCompletedFuture {
                    // A scrape is one quick request; a connection idle for 30 s is closed.
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .seconds(30)))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(render: render))
                }
            }
            .bind(host: host, port: port).get()
    }
}

/// `GET /metrics` (or `/`): the text format; anything else is 404, other methods 405.
private final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let render: @Sendable () async -> [UInt8]
    private var request: HTTPRequestHead?

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { return context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    init(render: @escaping @Sendable () async -> [UInt8]) {
        self.render = render
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let head = request else { return }
            request = nil
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            guard head.method == .GET || head.method == .HEAD else {
                return respond(context: context, head: head, status: .methodNotAllowed, body: Array("only GET\n".utf8))
            }
            guard path == "/metrics" || path == "/" else {
                return respond(context: context, head: head, status: .notFound, body: Array("try /metrics\n".utf8))
            }
            let promise = context.eventLoop.makePromise(of: [UInt8].self)
            promise.completeWithTask(render)
            promise.futureResult.assumeIsolated().whenSuccess { body in
                self.respond(context: context, head: head, status: .ok, body: body)
            }
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus, body: [UInt8]) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: status == .ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.count))
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil) }
        let keepAlive = head.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}
