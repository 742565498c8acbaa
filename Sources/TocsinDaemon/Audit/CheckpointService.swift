import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TocsinCore
import TocsinStore

/// Signs the audit chain's head with the configured Ed25519 key: at start, when an incident ends, at the
/// configured interval while entries are being written, and at a graceful stop. Does nothing without a key.
///
/// Each checkpoint is also logged with its signature, so a copy of the journal elsewhere witnesses the head even
/// if the database and the daemon's host are later rewritten together.
final class CheckpointService: Service, Sendable {
    private let configuration: ConfigurationHolder
    private let store: any Store
    private let logger: Logger
    private let wake = WakeSignal()
    /// Why the next checkpoint is due (incidents that ended), gathered between checkpoints.
    private let pending = Mutex<[String]>([])
    /// The seq of the last checkpoint this process wrote: nothing new since then means nothing to sign.
    private let lastSigned = Atomic<Int64>(-1)

    init(configuration: ConfigurationHolder, store: any Store, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
    }

    /// An incident's last delivery is final: sign the head that records it.
    func incidentEnded(_ id: String) {
        pending.withLock { $0.append(id) }
        wake.signal()
    }

    func run() async throws {
        await checkpoint(reason: "start")
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let interval = configuration.current.configuration.audit.checkpointInterval
                await wake.wait(timeout: interval)
                if Task.isShuttingDownGracefully { break }
                let ended = pending.withLock { list in defer { list.removeAll() }; return list }
                let reason = ended.isEmpty ? "interval" : "incident end: " + ended.joined(separator: ", ")
                await checkpoint(reason: reason)
            }
        } onGracefulShutdown: {
            self.wake.signal()
        }
        // Services stop in reverse order: the dispatcher, listed after this service, has finished by now.
        await checkpoint(reason: "stop")
    }

    /// Appends a checkpoint unless the head is already one this process signed. Failures are logged and retried at
    /// the next occasion: a missing checkpoint weakens the proof but must never stop deliveries.
    func checkpoint(reason: String) async {
        guard let signer = configuration.current.configuration.audit.signer else { return }
        do {
            let head = try await store.auditHead()
            if head.seq == lastSigned.load(ordering: .relaxed) { return }
            let now = Date().millisecondsSince1970
            try await store.commit(StoreWrite(checkpoint: CheckpointRequest(timeMillis: now, reason: reason, signer: signer)))
            // Read back what was signed (other writes may have landed between the read above and the commit).
            let written = try await store.auditEntries(afterSeq: head.seq, limit: 20, subject: "audit", newest: true)
            guard let entry = written.last(where: { $0.kind == AuditCheckpoint.kind }) else { return }
            lastSigned.store(entry.seq, ordering: .relaxed)
            logger.info("audit checkpoint signed", metadata: [
                "audit.seq": "\(entry.seq)", "audit.checkpoint": "\(entry.detail)",
            ])
        } catch {
            logger.error("cannot write a signed audit checkpoint", metadata: ["store.error": "\(error)"])
        }
    }
}
