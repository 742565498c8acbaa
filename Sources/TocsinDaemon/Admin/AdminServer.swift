import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TocsinAudit
import TocsinCore
import TocsinProtocol
import TocsinStore

/// The admin socket: JSON-RPC 2.0 lines over a Unix stream socket, each caller identified by SO_PEERCRED and
/// SO_PEERGROUPS.
///
/// Every connection is served on its own task; a malformed, oversized, slow or vanished client gets an error
/// or a clean close and never disturbs the others. Operators come first: connections and buffered bytes of callers
/// without an operator or approver role are budgeted per uid and together (AdmissionControl), so a flood from
/// anyone who can reach the socket cannot refuse root's or an operator's `tocsinctl send`.
final class AdminServer: Service, Sendable {
    private let path: String
    private let mode: UInt16
    private let router: AdminRouter
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let ready: @Sendable () -> Void
    private let admission: AdmissionControl
    private let openConnections = Atomic(0)

    /// Idle time between requests before the daemon closes a connection.
    static let idleTimeout = TimeAmount.seconds(60)
    /// Connections accepted and not yet closed, whoever holds them: past it a connection is refused before its
    /// caller is known, so a flood cannot exhaust descriptors. Above AdmissionControl's pools (512 privileged + 128
    /// others), so connections being refused for a role's budget never crowd out an operator's.
    static let maximumConnections = 768
    /// Time a request line may take to arrive in full, from its first byte.
    static let requestTimeout = TimeAmount.seconds(10)

    init(
        path: String, mode: UInt16, router: AdminRouter, group: MultiThreadedEventLoopGroup, logger: Logger,
        admission: AdmissionControl = AdmissionControl(), ready: @escaping @Sendable () -> Void
    ) {
        self.path = path
        self.mode = mode
        self.router = router
        self.group = group
        self.logger = logger
        self.admission = admission
        self.ready = ready
    }

    /// One accepted connection before its caller is known: the channel, its guard (which holds reads back until
    /// admission) and its share of the byte budget.
    private typealias Accepted = (connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, guardHandler: ConnectionGuard, account: ConnectionAccount)

    func run() async throws {
        let admission = self.admission
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Accepted> = { channel in
            channel.eventLoop.makeCompletedFuture {
                let guardHandler = ConnectionGuard()
                let account = ConnectionAccount(admission: admission)
                try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: Self.idleTimeout))
                try channel.pipeline.syncOperations.addHandler(guardHandler)
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(LineFrameDecoder(
                        maximumLength: JSONRPC.maximumRequestBytes, completionTimeout: Self.requestTimeout, account: account
                    ))
                )
                let wrapped = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                return (wrapped, guardHandler, account)
            }
        }
        let bootstrap = ServerBootstrap(group: group).serverChannelOption(.backlog, value: 256)
        let server: NIOAsyncChannel<Accepted, Never>
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
            group.addTask { await self.router.refusals.run(store: self.router.store, logger: self.logger) }
            try await server.executeThenClose { connections in
                for try await accepted in connections.cancelOnGracefulShutdown() {
                    guard openConnections.wrappingAdd(1, ordering: .relaxed).newValue <= Self.maximumConnections else {
                        openConnections.wrappingSubtract(1, ordering: .relaxed)
                        logger.warning("admin connection refused: too many open", metadata: ["limit": "\(Self.maximumConnections)"])
                        await refuse(accepted.connection, .busy("tocsind is already serving \(Self.maximumConnections) admin connections; try again in a moment"))
                        continue
                    }
                    group.addTask {
                        await self.admitAndServe(accepted)
                        self.openConnections.wrappingSubtract(1, ordering: .relaxed)
                    }
                }
            }
            // Shutting down: end every connection too, or a client watching an incident would hold the daemon up.
            group.cancelAll()
        }
        await router.refusals.flush(to: router.store, logger: logger)
    }

    /// One error line first, so a CLI caught in a flood says why rather than "connection lost"; then the close.
    private func refuse(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, _ error: RPCError) async {
        let line = AdminRouter.errorLine(id: nil, error) + [UInt8(ascii: "\n")]
        try? await connection.channel.writeAndFlush(ByteBuffer(bytes: line))
        try? await connection.channel.close()
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
            try await router.store.commit(StoreWrite(audit: [event]))
        } catch {
            logger.error("cannot record the refused admin socket path in the audit log", metadata: ["store.error": "\(error)"])
        }
    }

    /// Identifies the caller, takes a slot of its role's budget (or refuses the connection for load), then serves.
    private func admitAndServe(_ accepted: Accepted) async {
        let channel = accepted.connection.channel
        guard let credentials = await PeerCredentials.of(channel) else {
            logger.warning("admin connection without peer credentials; closed")
            try? await channel.close()
            return
        }
        let caller = router.principal(of: credentials)
        // Debug only: a request is audited once answered, so a client left waiting shows up here and nowhere else.
        logger.debug("admin connection accepted", metadata: ["caller.uid": "\(caller.uid)", "caller.pid": "\(credentials.pid)"])
        let ticket: AdmissionControl.Ticket
        switch admission.admit(caller) {
        case .success(let admitted):
            ticket = admitted
        case .failure(let refused):
            // Counted, not logged one by one: a flood of refused connections must not flood the journal either.
            router.refusals.record(caller, reason: "connection refused for load")
            logger.debug("admin connection refused for load", metadata: ["caller.uid": "\(caller.uid)", "reason": "\(refused.reason)"])
            await refuse(accepted.connection, .busy("\(refused.reason); try again in a moment"))
            return
        }
        defer { admission.release(ticket) }
        accepted.account.attach(ticket)
        accepted.guardHandler.admit(on: channel)
        await serve(accepted.connection, caller: caller, guardHandler: accepted.guardHandler, account: accepted.account)
    }

    private func serve(
        _ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, caller: Principal, guardHandler: ConnectionGuard, account: ConnectionAccount
    ) async {
        let channel = connection.channel
        do {
            try await connection.executeThenClose { inbound, outbound in
                let writer = LineWriter(outbound: outbound)
                do {
                    for try await line in inbound {
                        let request = Array(line.readableBytesView)
                        account.consumed(line.readableBytes)
                        guardHandler.setBusy(true, on: channel)
                        logger.debug("admin request received", metadata: ["caller.pid": "\(caller.pid)", "request.bytes": "\(request.count)"])
                        let answer = await router.handle(request, caller: caller) { bytes in
                            try await writer.write(bytes)
                        }
                        if let answer { try await writer.write(answer) }
                        guardHandler.setBusy(false, on: channel)
                    }
                } catch let failure as LineFrameDecoder.Failure {
                    let error: RPCError, reason: String
                    switch failure {
                    case .tooLong(let limit):
                        error = .invalidRequest("the request is longer than \(limit) bytes")
                        reason = "request too long"
                    case .tooSlow(let seconds):
                        error = .invalidRequest("the request did not arrive in full within \(seconds) s")
                        reason = "request too slow"
                    case .overBudget:
                        error = .busy(
                            "tocsind holds too many unfinished request bytes of \(caller.displayName), the most one caller without an operator or approver role may hold; send one request at a time"
                        )
                        reason = "request bytes over budget"
                    }
                    if caller.hasNoRole {
                        router.refusals.record(caller, reason: reason)
                    } else {
                        logger.notice("admin connection closed after a bad request", metadata: ["caller.uid": "\(caller.uid)", "reason": "\(error.message)"])
                    }
                    try? await writer.write(AdminRouter.errorLine(id: nil, error))
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
