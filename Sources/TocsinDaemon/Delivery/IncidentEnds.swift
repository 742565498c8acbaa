import Synchronization

/// Announces each incident whose last delivery became final, after that is durable, to every service that acts on
/// it (the checkpoint signs the head that records it; the heartbeat settles its own incident).
///
/// A stream rather than callbacks: the dispatcher needs no reference to the services that listen, so nothing has to
/// be wired after construction. Subscribe before the dispatcher runs; each subscriber keeps the newest
/// `bufferLimit` ends it has not read yet (an older end left unread only delays a checkpoint that the next end or
/// the interval writes anyway).
final class IncidentEnds: Sendable {
    static let bufferLimit = 1024

    private let subscribers = Mutex<[AsyncStream<String>.Continuation]>([])

    func subscribe() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(Self.bufferLimit))
        subscribers.withLock { $0.append(continuation) }
        return stream
    }

    func announce(_ incidentID: String) {
        for subscriber in subscribers.withLock({ $0 }) { subscriber.yield(incidentID) }
    }
}
