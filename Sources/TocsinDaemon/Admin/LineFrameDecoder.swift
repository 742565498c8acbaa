import NIOCore
import NIOPosix

/// Splits the admin byte stream into request lines, refusing lines over the size limit, requests that do not
/// arrive in full in time, and bytes beyond the caller's budget, so one hostile or broken client cannot hold memory
/// or a connection for long.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    enum Failure: Error {
        case tooLong(limit: Int)
        case tooSlow(seconds: Int64)
        /// The caller's unfinished request bytes exceed its budget (AdmissionControl).
        case overBudget
    }

    let maximumLength: Int
    let completionTimeout: TimeAmount
    let account: ConnectionAccount
    /// Fires `completionTimeout` after the first byte of the line being read, unless the line ends first: the limit
    /// holds for a client that sends part of a line and then nothing at all.
    private var deadline: Scheduled<Void>?
    private var scanned = 0
    /// A buffer that grew past this for a long line is copied into a small one once the line is taken, so a
    /// long-lived connection does not keep a megabyte for the rest of its life.
    static let compactAbove = 64 * 1024

    init(maximumLength: Int, completionTimeout: TimeAmount, account: ConnectionAccount) {
        self.maximumLength = maximumLength
        self.completionTimeout = completionTimeout
        self.account = account
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard account.holdPartial(view.count) else { throw Failure.overBudget }
        if let newline = view.dropFirst(scanned).firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            var line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
                line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
            }
            scanned = 0
            deadline?.cancel()
            deadline = nil
            if length > maximumLength { throw Failure.tooLong(limit: maximumLength) }
            if buffer.capacity > Self.compactAbove, buffer.readableBytes < Self.compactAbove {
                // The line is a slice of this buffer and is copied by the request loop; the rest moves to a small one.
                var compact = context.channel.allocator.buffer(capacity: max(buffer.readableBytes, 1024))
                compact.writeImmutableBuffer(buffer)
                buffer = compact
            }
            account.queueLine(line.readableBytes)
            context.fireChannelRead(Self.wrapInboundOut(line))
            return .continue
        }
        scanned = view.count
        if view.count > maximumLength { throw Failure.tooLong(limit: maximumLength) }
        if view.isEmpty { return .needMoreData }
        if deadline == nil {
            let seconds = completionTimeout.nanoseconds / 1_000_000_000
            deadline = context.eventLoop.assumeIsolated().scheduleTask(in: completionTimeout) {
                // Through the pipeline, as a decoding error would go: the request loop answers it and closes.
                context.fireErrorCaught(Failure.tooSlow(seconds: seconds))
            }
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A last line without its newline is still a request.
        while try decode(context: context, buffer: &buffer) == .continue {}
        deadline?.cancel()
        deadline = nil
        if buffer.readableBytes > 0, buffer.readableBytes <= maximumLength {
            let line = buffer.readSlice(length: buffer.readableBytes)!
            account.queueLine(line.readableBytes)
            context.fireChannelRead(Self.wrapInboundOut(line))
        }
        return .needMoreData
    }

    mutating func decoderRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        account.close()
    }
}

/// Closes a connection that sits idle between requests, or whose answers sit unread; and reads nothing from a
/// connection until its caller is admitted (AdmissionControl), so a refused caller's bytes never reach memory.
///
/// A connection that is being answered (e.g. watching an incident for minutes) is never closed for idleness.
final class ConnectionGuard: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Reads are held back until `admit`; a read asked for meanwhile is passed on then. Touched only on the loop.
    private var admitted = false
    private var readPending = false
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func read(context: ChannelHandlerContext) {
        if admitted {
            context.read()
        } else {
            readPending = true
        }
    }

    /// Lets bytes in once the caller holds a connection slot.
    func admit(on channel: any Channel) {
        channel.eventLoop.execute {
            self.admitted = true
            if self.readPending, let context = self.context {
                self.readPending = false
                context.read()
            }
        }
    }

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
