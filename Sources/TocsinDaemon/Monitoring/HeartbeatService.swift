import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import TocsinCore
import TocsinProtocol
import TocsinStore

/// The dead-man heartbeat (`heartbeat: { every, route }`): a CAP `System` message through a route on a schedule,
/// so a broken token or a dead channel is found on a quiet day. Its outcome feeds `tocsinctl health` and metrics;
/// it is audited like any incident but kept out of incident lists.
final class HeartbeatService: Service, Sendable {
    /// What health and metrics read.
    struct State: Sendable {
        var lastSentAt: Date?
        var lastIncident: String?
        /// nil while the last heartbeat's deliveries are still in progress.
        var lastSucceeded: Bool?
        var lastSuccessAt: Date?
        var lastFailure: String?
    }

    private let configuration: ConfigurationHolder
    private let store: any Store
    private let incidents: IncidentService
    private let logger: Logger
    private let wake = WakeSignal()
    private let current = Mutex(State())
    /// Heartbeat incidents that ended, settled by the service's own loop (no task outlives the service).
    private let ended = Mutex<[String]>([])
    private let startedAt = Date()

    /// Incidents whose deliveries all became final (the dispatcher's `IncidentEnds`).
    private let ends: AsyncStream<String>

    init(configuration: ConfigurationHolder, store: any Store, incidents: IncidentService, ends: AsyncStream<String>, logger: Logger) {
        self.configuration = configuration
        self.ends = ends
        self.store = store
        self.incidents = incidents
        self.logger = logger
    }

    var state: State { current.withLock { $0 } }

    /// Whether the heartbeat is getting through: the last one did not fail, and one was delivered within a period
    /// and its grace (counted from the start while none has been yet).
    func isHealthy(_ schedule: Configuration.Heartbeat, now: Date = Date()) -> Bool {
        let state = state
        guard state.lastSucceeded != false else { return false }
        return now.timeIntervalSince(state.lastSuccessAt ?? startedAt) <= (schedule.every + schedule.grace).seconds
    }

    /// Called for every incident that ends; only the pending heartbeat's end matters here.
    private func incidentEnded(_ id: String) {
        guard current.withLock({ $0.lastIncident == id }) else { return }
        ended.withLock { $0.append(id) }
        wake.signal()
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            // Read by a child of this service, so the reading ends with it.
            group.addTask { for await id in self.ends { self.incidentEnded(id) } }
            await sendUntilStopped()
            group.cancelAll()
        }
    }

    private func sendUntilStopped() async {
        await restore()
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                for id in ended.withLock({ list in defer { list.removeAll() }; return list }) { await settle(id) }
                guard let heartbeat = configuration.current.configuration.monitoring.heartbeat else {
                    // Not configured (a reload may configure it): look again now and then.
                    await wake.wait(timeout: .seconds(60))
                    continue
                }
                let due = (state.lastSentAt ?? .distantPast).addingTimeInterval(heartbeat.every.seconds)
                let wait = due.timeIntervalSinceNow
                if wait > 0 {
                    await wake.wait(timeout: .milliseconds(Int64(min(wait, 60) * 1000)))
                    continue
                }
                await send(route: heartbeat.route)
            }
        } onGracefulShutdown: {
            self.wake.signal()
        }
    }

    private func send(route: String) async {
        let now = Date()
        do {
            let status = try await incidents.heartbeat(route: route)
            current.withLock {
                $0.lastSentAt = now
                $0.lastIncident = status.summary.incident
                $0.lastSucceeded = nil
            }
            logger.info("heartbeat sent", metadata: ["incident.id": "\(status.summary.incident)", "route": "\(route)"])
            // The deliveries may have ended before `lastIncident` was set (then `incidentEnded` was ignored).
            await settle(status.summary.incident)
        } catch {
            current.withLock {
                $0.lastSentAt = now
                $0.lastSucceeded = false
                $0.lastFailure = "the heartbeat could not be stored: \(error.message)"
            }
            logger.error("heartbeat not sent", metadata: ["error": "\(error.message)"])
        }
    }

    /// Reads how the heartbeat's deliveries ended.
    private func settle(_ id: String) async {
        guard let deliveries = try? await store.deliveries(ofIncident: id) else { return }
        guard deliveries.allSatisfy({ DeliveryState(rawValue: $0.state)?.isFinal ?? false }) else { return }
        let failed = deliveries.filter { $0.state != DeliveryState.delivered.rawValue }
        let finished = Date(millis: deliveries.map(\.updatedAt).max() ?? Date().millisecondsSince1970)
        current.withLock { state in
            guard state.lastIncident == id else { return }
            state.lastSucceeded = failed.isEmpty && !deliveries.isEmpty
            if failed.isEmpty {
                state.lastSuccessAt = finished
                state.lastFailure = nil
            } else {
                state.lastFailure = failed.map { "\($0.channel): \($0.lastError ?? $0.state)" }.joined(separator: "; ")
            }
        }
        if !failed.isEmpty {
            logger.error("heartbeat failed", metadata: ["incident.id": "\(id)", "channels": "\(failed.map(\.channel).joined(separator: ","))"])
        }
    }

    /// After a restart: the last heartbeat on disk sets the schedule, so a restart loop does not send one each time.
    private func restore() async {
        guard let last = try? await store.lastHeartbeat() else { return }
        current.withLock {
            $0.lastSentAt = Date(millis: last.createdAt)
            $0.lastIncident = last.id
        }
        await settle(last.id)
    }
}
