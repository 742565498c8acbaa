import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TocsinCore
import TocsinProtocol
import TocsinStore

/// The admin socket: JSON-RPC 2.0 lines over a Unix stream socket, each caller identified by SO_PEERCRED.
///
/// Every connection is served on its own task; a malformed, oversized, slow or vanished client gets an error
/// or a clean close and never disturbs the others.
final class AdminServer: Service, Sendable {
    private let path: String
    private let mode: UInt16
    private let router: AdminRouter
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let ready: @Sendable () -> Void
    private let openConnections = Atomic(0)

    /// Idle time between requests before the daemon closes a connection.
    static let idleTimeout = TimeAmount.seconds(60)
    /// Connections served at once; more are closed at once, so a flood cannot exhaust descriptors.
    static let maximumConnections = 512
    /// Time a request line may take to arrive in full.
    static let requestTimeout = TimeAmount.seconds(10)

    init(path: String, mode: UInt16, router: AdminRouter, group: MultiThreadedEventLoopGroup, logger: Logger, ready: @escaping @Sendable () -> Void) {
        self.path = path
        self.mode = mode
        self.router = router
        self.group = group
        self.logger = logger
        self.ready = ready
    }

    func run() async throws {
        let initializer: @Sendable (any Channel) -> EventLoopFuture<(NIOAsyncChannel<ByteBuffer, ByteBuffer>, ConnectionGuard)> = { channel in
            channel.eventLoop.makeCompletedFuture {
                let guardHandler = ConnectionGuard()
                try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: Self.idleTimeout))
                try channel.pipeline.syncOperations.addHandler(guardHandler)
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(LineFrameDecoder(maximumLength: JSONRPC.maximumRequestBytes, completionTimeout: Self.requestTimeout))
                )
                let wrapped = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                return (wrapped, guardHandler)
            }
        }
        let bootstrap = ServerBootstrap(group: group).serverChannelOption(.backlog, value: 256)
        let server: NIOAsyncChannel<(NIOAsyncChannel<ByteBuffer, ByteBuffer>, ConnectionGuard), Never>
        if let inherited = SocketActivation.inheritedSocket() {
            // systemd owns the socket file, its mode and group (tocsind.socket); the daemon only accepts.
            server = try await bootstrap.bind(inherited, childChannelInitializer: initializer)
            logger.info("admin socket inherited from systemd", metadata: ["socket.fd": "\(inherited)"])
        } else {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // Not NIO's cleanupExistingSocketFile (it stats through a planted symbolic link) nor chmod (follows
            // one): AdminSocketPath never follows a link, and a refusal to start is audited before it is thrown.
            do {
                try AdminSocketPath.prepare(path)
            } catch {
                await auditRefusal(error)
                throw error
            }
            server = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false, childChannelInitializer: initializer)
            try AdminSocketPath.setMode(path, mode)
            logger.info("admin socket listening", metadata: ["socket.path": "\(path)", "socket.mode": "\(String(mode, radix: 8))"])
        }
        ready()
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await (connection, guardHandler) in connections.cancelOnGracefulShutdown() {
                    guard openConnections.wrappingAdd(1, ordering: .relaxed).newValue <= Self.maximumConnections else {
                        openConnections.wrappingSubtract(1, ordering: .relaxed)
                        logger.warning("admin connection refused: too many open", metadata: ["limit": "\(Self.maximumConnections)"])
                        // One error line first, so a CLI caught in a flood says why rather than "connection lost".
                        let busy = RPCError.unavailable(
                            "tocsind is already serving \(Self.maximumConnections) admin connections; try again in a moment"
                        )
                        let line = AdminRouter.errorLine(id: nil, busy) + [UInt8(ascii: "\n")]
                        try? await connection.channel.writeAndFlush(ByteBuffer(bytes: line))
                        try? await connection.channel.close()
                        continue
                    }
                    group.addTask {
                        await self.serve(connection, guardHandler: guardHandler)
                        self.openConnections.wrappingSubtract(1, ordering: .relaxed)
                    }
                }
            }
            // Shutting down: end every connection too, or a client watching an incident would hold the daemon up.
            group.cancelAll()
        }
    }

    /// Records why tocsind refused its admin socket path (a planted link, a foreign file) in the audit log.
    private func auditRefusal(_ error: AdminServerError) async {
        var detail = AuditDetail()
        detail.set("path", path)
        detail.set("reason", error.description)
        let event = AuditEvent(
            timeMillis: Date().millisecondsSince1970, kind: "admin.socket.refused", actorUID: Int64(getuid()),
            actorPID: Int64(getpid()), subject: "daemon", detail: detail.json
        )
        do {
            try await router.daemon.store.commit(StoreWrite(audit: [event]))
        } catch {
            logger.error("cannot record the refused admin socket path in the audit log", metadata: ["store.error": "\(error)"])
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, guardHandler: ConnectionGuard) async {
        let channel = connection.channel
        guard let credentials = await PeerCredentials.of(channel) else {
            logger.warning("admin connection without peer credentials; closed")
            try? await channel.close()
            return
        }
        let caller = Caller(uid: credentials.uid, gid: credentials.gid, pid: credentials.pid, policy: router.daemon.configuration.current.configuration.access)
        do {
            try await connection.executeThenClose { inbound, outbound in
                let writer = LineWriter(outbound: outbound)
                do {
                    for try await line in inbound {
                        guardHandler.setBusy(true, on: channel)
                        let answer = await router.handle(Array(line.readableBytesView), caller: caller) { bytes in
                            try await writer.write(bytes)
                        }
                        try await writer.write(answer)
                        guardHandler.setBusy(false, on: channel)
                    }
                } catch let failure as LineFrameDecoder.Failure {
                    let error: RPCError
                    switch failure {
                    case .tooLong(let limit): error = .invalidRequest("the request is longer than \(limit) bytes")
                    case .tooSlow(let seconds): error = .invalidRequest("the request did not arrive in full within \(seconds) s")
                    }
                    logger.notice("admin connection closed after a bad request", metadata: ["caller.uid": "\(caller.uid)", "reason": "\(error.message)"])
                    let line = (try? JSONEncoder().encode(JSONRPC.ErrorResponse(id: nil, error: error))) ?? Data()
                    try? await writer.write(Array(line))
                }
            }
        } catch {
            // The client went away; nothing to answer.
            logger.debug("admin connection ended", metadata: ["error": "\(error)"])
        }
    }
}

/// Writes newline-terminated lines to one connection.
struct LineWriter: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    func write(_ bytes: [UInt8]) async throws {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(bytes.count + 1)
        buffer.writeBytes(bytes)
        buffer.writeInteger(UInt8(ascii: "\n"))
        try await outbound.write(buffer)
    }
}

struct AdminServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
