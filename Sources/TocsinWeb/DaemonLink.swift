import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import TocsinProtocol

/// The console's way to tocsind: the admin protocol over its Unix socket, one connection per call, on NIO's event
/// loops (the blocking `TocsinClient` of the CLI would hold a thread per watcher). Each call names the web user it
/// acts for; tocsind checks that this process is a listed gateway and applies the user's own roles.
struct DaemonLink: Sendable {
    let socketPath: String

    init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// Why a call gave no result.
    enum Failure: Error, Sendable, CustomStringConvertible {
        /// tocsind is not running, or its socket is not there or not ours to open.
        case unreachable(String)
        /// tocsind answered with an error (its `data.said` says it in the person's language).
        case refused(RPCError)
        /// The connection closed before the answer, or the answer could not be read.
        case lost(String)

        var description: String {
            switch self {
            case .unreachable(let reason): "cannot reach tocsind: \(reason)"
            case .refused(let error): error.description
            case .lost(let reason): "the connection to tocsind was lost: \(reason)"
            }
        }
    }

    /// Calls `method` for `behalf` (nil: as this process, for `web.sign-in`); an answer that has not come within
    /// `timeout` is given up on (the connection closed), reported as lost.
    func call<Params, Result>(
        _ method: RPCMethod<Params, Result>, _ params: Params, for behalf: OnBehalfOf?, timeout: TimeAmount = .seconds(30)
    ) async throws(Failure) -> Result {
        try await stream(method, params, for: behalf, timeout: timeout) { _ in }
    }

    /// Calls `method` and hands each notification line (`incident.watch`'s events) to `onNotification` until the
    /// result arrives. A throw from `onNotification` (the browser went away) ends the call.
    func stream<Params, Result>(
        _ method: RPCMethod<Params, Result>, _ params: Params, for behalf: OnBehalfOf?, timeout: TimeAmount? = nil,
        onNotification: @Sendable (Data) async throws -> Void
    ) async throws(Failure) -> Result {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let line: Data
        do {
            line = try encoder.encode(JSONRPC.Request(id: .number(1), method: method.method.rawValue, params: params, onBehalfOf: behalf))
        } catch {
            throw .lost("cannot encode the request: \(error)")
        }
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // tocsind is the only peer (its socket, owned by root); its answers are lines of what it stores.
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw .unreachable("\(socketPath): \(error)")
        }
        let deadline = timeout.map { timeout in
            channel.channel.eventLoop.scheduleTask(in: timeout) { channel.channel.close(promise: nil) }
        }
        defer { deadline?.cancel() }
        let outcome: Swift.Result<Result, Failure>
        do {
            outcome = try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(bytes: Array(line) + [UInt8(ascii: "\n")]))
                let decoder = JSONDecoder()
                for try await buffer in inbound {
                    let data = Data(buffer.readableBytesView)
                    let reply: JSONRPC.Reply<Result>
                    do { reply = try JSONRPC.Reply<Result>.read(data, decoder: decoder) } catch {
                        return .failure(.lost("an answer this console does not understand: \(error)"))
                    }
                    switch reply {
                    case .notification: try await onNotification(data)
                    case .error(let error): return .failure(.refused(error))
                    case .result(let result): return .success(result)
                    }
                }
                return .failure(.lost("tocsind closed the connection, or did not answer in time"))
            }
        } catch {
            throw .lost("\(error)")
        }
        return try outcome.get()
    }
}
