import Foundation
import Synchronization
import TocsinProtocol

/// Fans delivery changes out to the clients watching an incident (`incident.watch`).
///
/// Events are published after their change is committed, so what a watcher sees is what survives a crash.
final class DeliveryEvents: Sendable {
    private struct Subscriber {
        let incidentID: String
        let continuation: AsyncStream<DeliveryStatus>.Continuation
    }

    private let subscribers = Mutex<[UInt64: Subscriber]>([:])
    private let nextID = Atomic<UInt64>(0)

    /// A stream of the incident's delivery changes until the caller stops iterating.
    func subscribe(incidentID: String) -> AsyncStream<DeliveryStatus> {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<DeliveryStatus>.makeStream(bufferingPolicy: .unbounded)
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = Subscriber(incidentID: incidentID, continuation: continuation) }
        return stream
    }

    func publish(_ statuses: [(incidentID: String, status: DeliveryStatus)]) {
        let targets = subscribers.withLock { Array($0.values) }
        guard !targets.isEmpty else { return }
        for (incidentID, status) in statuses {
            for subscriber in targets where subscriber.incidentID == incidentID {
                subscriber.continuation.yield(status)
            }
        }
    }
}
