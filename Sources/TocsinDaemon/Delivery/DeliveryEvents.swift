import Foundation
import Synchronization
import TocsinProtocol

/// Fans delivery changes out to the clients watching an incident (`incident.watch`).
///
/// Events are published after their change is committed, so what a watcher sees is what survives a crash.
///
/// Each watcher's buffer is bounded: a watcher that falls `bufferLimit` events behind (a client that stopped
/// reading during a 10,000-recipient fan-out) has its stream ended instead of growing without limit, and
/// re-reads a fresh snapshot (`DaemonContext.watch`).
final class DeliveryEvents: Sendable {
    static let bufferLimit = 4096

    private struct Subscriber {
        let incidentID: String
        let continuation: AsyncStream<DeliveryStatus>.Continuation
    }

    private let subscribers = Mutex<[UInt64: Subscriber]>([:])
    private let nextID = Atomic<UInt64>(0)

    /// A stream of the incident's delivery changes until the caller stops iterating, or until `refreshAfter` has
    /// passed: with several nodes, another node's changes are not published here, so the watcher re-reads the
    /// store that often.
    func subscribe(incidentID: String, refreshAfter: Duration? = nil) -> AsyncStream<DeliveryStatus> {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<DeliveryStatus>.makeStream(bufferingPolicy: .bufferingOldest(Self.bufferLimit))
        // Lives no longer than the stream: cancelled when the watcher stops iterating.
        let timer = refreshAfter.map { after in
            Task {
                try? await Task.sleep(for: after)
                continuation.finish()
            }
        }
        continuation.onTermination = { [weak self] _ in
            timer?.cancel()
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = Subscriber(incidentID: incidentID, continuation: continuation) }
        return stream
    }

    /// Whether anyone watches: the dispatcher skips building statuses nobody reads (most sends).
    var hasSubscribers: Bool { subscribers.withLock { !$0.isEmpty } }

    func publish(_ statuses: [(incidentID: String, status: DeliveryStatus)]) {
        // No copy when nobody watches (a `--no-wait` send): this runs once per attempt.
        let targets = subscribers.withLock { $0.isEmpty ? [] : Array($0.values) }
        guard !targets.isEmpty else { return }
        for (incidentID, status) in statuses {
            for subscriber in targets where subscriber.incidentID == incidentID {
                if case .dropped = subscriber.continuation.yield(status) { subscriber.continuation.finish() }
            }
        }
    }
}
