import NIOCore
import NIOPosix

/// Splits the admin byte stream into request lines, refusing lines over the size limit and requests that
/// trickle in too slowly, so one hostile or broken client cannot hold memory or a connection forever.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    enum Failure: Error { case tooLong(limit: Int), tooSlow(seconds: Int64) }

    let maximumLength: Int
    let completionTimeout: TimeAmount
    /// When the first byte of the line being read arrived.
    private var lineStarted: NIODeadline?
    private var scanned = 0

    init(maximumLength: Int, completionTimeout: TimeAmount) {
        self.maximumLength = maximumLength
        self.completionTimeout = completionTimeout
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        if let newline = view.dropFirst(scanned).firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            var line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
                line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
            }
            scanned = 0
            lineStarted = nil
            if length > maximumLength { throw Failure.tooLong(limit: maximumLength) }
            context.fireChannelRead(Self.wrapInboundOut(line))
            return .continue
        }
        scanned = view.count
        if view.count > maximumLength { throw Failure.tooLong(limit: maximumLength) }
        if view.isEmpty { return .needMoreData }
        let now = NIODeadline.now()
        if let started = lineStarted {
            if now - started > completionTimeout { throw Failure.tooSlow(seconds: completionTimeout.nanoseconds / 1_000_000_000) }
        } else {
            lineStarted = now
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A last line without its newline is still a request.
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0, buffer.readableBytes <= maximumLength {
            context.fireChannelRead(Self.wrapInboundOut(buffer.readSlice(length: buffer.readableBytes)!))
        }
        return .needMoreData
    }
}

/// Closes a connection that sits idle between requests, or that stalls in the middle of one.
///
/// A connection that is being answered (e.g. watching an incident for minutes) is never closed for idleness.
final class ConnectionGuard: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Set by the request loop while a request is being handled. Touched only on the channel's event loop.
    private var busy = false
    /// How long answers may sit unread (the socket full, the client not reading) before the connection is closed:
    /// a client that asks for a watch or an export and never reads must not hold a connection and its buffers. A
    /// minute, so a terminal paused for a while (Ctrl-S, a pager) does not lose its watch.
    let stalledWriteTimeout: TimeAmount
    private var stalled: Scheduled<Void>?

    init(stalledWriteTimeout: TimeAmount = .seconds(60)) {
        self.stalledWriteTimeout = stalledWriteTimeout
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stalled?.cancel()
            stalled = nil
        } else if stalled == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            stalled = context.eventLoop.scheduleTask(in: stalledWriteTimeout) {
                let context = loopBound.value
                if !context.channel.isWritable { context.close(promise: nil) }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stalled?.cancel()
        stalled = nil
        context.fireChannelInactive()
    }

    func setBusy(_ value: Bool, on channel: any Channel) {
        channel.eventLoop.execute { self.busy = value }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent, !busy {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
