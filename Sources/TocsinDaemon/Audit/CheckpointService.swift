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

    /// The seq of the last checkpoint this process wrote (0: none yet). A chain whose verified checkpoints stop
    /// before it was rewritten, whatever the rest looks like.
    var lastSignedSeq: Int64 { max(0, lastSigned.load(ordering: .relaxed)) }

    func run() async throws {
        await checkpointAtStart()
        await withGracefulShutdownHandler {
            var due = ContinuousClock.now + configuration.current.configuration.audit.checkpointInterval
            var key = configuration.current.configuration.audit.signer?.publicKey.id
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                // Wake at least every minute: a reload may have set, changed or removed the key.
                await wake.wait(timeout: min(due - .now, .seconds(60)))
                if Task.isShuttingDownGracefully { break }
                let currentKey = configuration.current.configuration.audit.signer?.publicKey.id
                let ended = pending.withLock { list in defer { list.removeAll() }; return list }
                if currentKey != key {
                    key = currentKey
                    await checkpoint(reason: "signing key changed")
                } else if !ended.isEmpty {
                    await checkpoint(reason: "incident end: " + ended.joined(separator: ", "))
                } else if ContinuousClock.now >= due {
                    await checkpoint(reason: "interval")
                } else {
                    continue
                }
                due = ContinuousClock.now + configuration.current.configuration.audit.checkpointInterval
            }
        } onGracefulShutdown: {
            self.wake.signal()
        }
        // Services stop in reverse order: the dispatcher, listed after this service, has finished by now.
        await checkpoint(reason: "stop")
    }

    /// The start checkpoint signs whatever head is on disk, so first the chain is checked against the trusted keys:
    /// a chain that fails (a checkpoint rewritten while the daemon was down) is never signed over. Runs after READY.
    private func checkpointAtStart() async {
        let audit = configuration.current.configuration.audit
        guard audit.signer != nil else { return }
        do {
            let verification = try await store.verifyAudit(trusting: audit.verificationKeys)
            switch verification.problem {
            case nil:
                await checkpoint(reason: "start")
            case .unsigned?:
                // Signing was just turned on (or every checkpoint was removed: the journal's copies tell which).
                logger.notice("audit chain has no signed checkpoint yet; signing its head", metadata: ["audit.entries": "\(verification.checked)"])
                await checkpoint(reason: "start, first signed checkpoint")
            case let problem?:
                logger.critical("audit chain does not verify; not signing over it (see runbooks/audit-signing-key.md)", metadata: ["audit.problem": "\(problem)"])
            }
        } catch {
            logger.error("cannot verify the audit chain at start; no start checkpoint", metadata: ["store.error": "\(error)"])
        }
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
