import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TocsinAudit
import TocsinChannels
import TocsinCore
import TocsinStore
import TocsinTransport

/// Signs the audit chain's head with the configured Ed25519 key: at start, when an incident ends, at the
/// configured interval while entries are being written, and at a graceful stop. Does nothing without a key.
///
/// A signature alone does not stop someone who can write the database from deleting what it covers, so every
/// signed head also leaves the database: it is appended to the heads file, logged to the journal and sent to the
/// witness channel. Before each signature the chain is checked from the last recorded head; a chain that
/// contradicts its record is never signed over (`AuditIntegrity`) until an approver accepts the gap.
final class CheckpointService: Service, Sendable {
    private let configuration: ConfigurationHolder
    private let store: any Store
    private let transport: any Transport
    let integrity: AuditIntegrity
    private let logger: Logger
    private let wake = WakeSignal()
    /// Why the next checkpoint is due (incidents that ended), gathered between checkpoints.
    private let pending = Mutex<[String]>([])
    /// The seq of the last checkpoint this process wrote: nothing new since then means nothing to sign.
    private let lastSigned = Atomic<Int64>(-1)
    /// The newest head recorded outside the database (a checkpoint or an accepted gap): the chain must still
    /// contain it, and the next checkpoint verifies the entries after it.
    private let recorded = Mutex<AuditHead?>(nil)
    /// Checkpoints are written one at a time: the start, an accept and the loop must not interleave their checks.
    private let writing = AsyncLock()
    /// Whether the chain was compared with its heads record in this process (at start, or when a reload first
    /// brought a key): no checkpoint is signed before that.
    private let compared = Atomic(false)

    /// Incidents whose deliveries all became final (the dispatcher's `IncidentEnds`).
    private let ends: AsyncStream<String>

    init(configuration: ConfigurationHolder, store: any Store, transport: any Transport, ends: AsyncStream<String>, logger: Logger) {
        self.configuration = configuration
        self.ends = ends
        self.store = store
        self.transport = transport
        integrity = AuditIntegrity(store: store)
        self.logger = logger
    }

    /// An incident's last delivery is final: sign the head that records it.
    private func incidentEnded(_ id: String) {
        pending.withLock { $0.append(id) }
        wake.signal()
    }

    /// The seq of the last checkpoint this process wrote (0: none yet). A chain whose verified checkpoints stop
    /// before it was rewritten, whatever the rest looks like.
    var lastSignedSeq: Int64 { max(0, lastSigned.load(ordering: .relaxed)) }

    private var heads: HeadsLog { HeadsLog(path: configuration.current.configuration.auditHeadsFile) }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            // Read by a child of this service, so the reading ends with it.
            group.addTask { for await id in self.ends { self.incidentEnded(id) } }
            await signUntilStopped()
            group.cancelAll()
        }
    }

    private func signUntilStopped() async {
        await checkAtStart()
        await withGracefulShutdownHandler {
            var due = ContinuousClock.now + configuration.current.configuration.audit.checkpointInterval
            var key = configuration.current.configuration.audit.signer?.publicKey.id
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                // Wake at least every minute: a reload may have set, changed or removed the key, and a move of the
                // head by someone else should be on record soon.
                await wake.wait(timeout: min(due - .now, .seconds(60)))
                if Task.isShuttingDownGracefully { break }
                await writing.run { await noticeMovedHead() }
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
        await checkpoint(reason: "stop", witnessTries: 1)
    }

    /// Compares the chain with its record, then signs the start checkpoint. Runs after READY: a slow check of a
    /// long chain must not delay alerting, and a problem found here never stops the daemon.
    private func checkAtStart() async {
        guard configuration.current.configuration.audit.signer != nil else { return }
        await writing.run {
            guard await compareWithRecord() else { return }
            // No head on record after the comparison: nothing was ever signed in this chain.
            let first = recorded.withLock { $0 } == nil
            await checkpointLocked(reason: first ? "start, first signed checkpoint" : "start")
        }
        await flushWitness(tries: 3)
    }

    /// Compares the chain with its heads record; true when nothing contradicts it (the record's last head is then
    /// the anchor the next checkpoint verifies from).
    private func compareWithRecord() async -> Bool {
        let audit = configuration.current.configuration.audit
        compared.store(true, ordering: .relaxed)
        let log = heads
        do {
            let records = try await BlockingIO.run { try log.read() }
            let binding = AuditHeads.binding(records)
            let verification = try await store.verifyAudit(trusting: audit.verificationKeys)
            if let problem = verification.problem, !problem.isUnsigned {
                await raise(problem.description, head: verification.head)
                return false
            }
            if let open = binding.openProblem {
                // Raised before and never accepted: it stands even if the chain now looks whole.
                integrity.raise(open.problem ?? "an audit problem was recorded and not accepted")
                logger.critical("audit problem recorded earlier and not yet accepted; not signing (tocsinctl audit accept)", metadata: [
                    "audit.problem": "\(open.problem ?? "")",
                ])
                return false
            }
            if let anchor = binding.anchor {
                let source = "heads file \(log.path)"
                let hash = try await entryHash(anchor.seq)
                if let problem = AuditHeads.contradiction(anchor, chainEnd: verification.head.seq, hash: hash, source: source)
                    ?? AuditHeads.signatureProblem(anchor, keys: audit.verificationKeys, source: source)
                {
                    await raise(problem, head: verification.head)
                    return false
                }
                recorded.withLock { $0 = AuditHead(seq: anchor.seq, hash: anchor.hash) }
            } else if let last = verification.lastCheckpoint {
                // Only the first start of the release that brought the heads file (its migration applied just now)
                // may start the file from the database; later, a missing or empty file means the record was removed.
                guard !log.exists, store.migrationsAppliedAtOpen.contains(StoreMigrations.headsRecord) else {
                    await raise("the audit heads file \(log.path) is \(log.exists ? "empty" : "missing") but the log holds signed checkpoints up to entry \(last.seq): the record of signed heads was removed (if audit.heads_file was moved on purpose, an approver accepts this)", head: verification.head)
                    return false
                }
                try await seed(from: last.seq, log: log)
            }
            return true
        } catch {
            // Checked again before the next checkpoint: nothing is signed until the comparison succeeds.
            compared.store(false, ordering: .relaxed)
            logger.error("cannot compare the audit chain with its record; nothing signed yet", metadata: ["error": "\(error)"])
            return false
        }
    }

    private func seed(from seq: Int64, log: HeadsLog) async throws {
        let entries = try await store.auditEntries(afterSeq: seq - 1, limit: 1, subject: nil, newest: false)
        guard let entry = entries.first, entry.seq == seq, let record = AuditHeadRecord(checkpoint: entry) else { return }
        try await BlockingIO.run { try log.append(record) }
        recorded.withLock { $0 = AuditHead(seq: record.seq, hash: record.hash) }
        logger.notice("audit heads file started from the last signed checkpoint in the database", metadata: [
            "audit.seq": "\(seq)", "audit.heads_file": "\(log.path)",
        ])
    }

    private func entryHash(_ seq: Int64) async throws(StoreError) -> String? {
        let entries = try await store.auditEntries(afterSeq: seq - 1, limit: 1, subject: nil, newest: false)
        return entries.first.flatMap { $0.seq == seq ? $0.hash : nil }
    }

    /// Records a problem: in memory (health, status, no more signatures), in the heads file (it survives a
    /// restart until accepted) and in the journal at CRITICAL.
    private func raise(_ problem: String, head: AuditHead) async {
        guard integrity.raise(problem) else { return }
        logger.critical("audit chain contradicts its record; signing stopped until an approver runs tocsinctl audit accept", metadata: [
            "audit.problem": "\(problem)",
        ])
        let record = AuditHeadRecord(
            type: .problem, seq: head.seq, hash: head.hash, timeMillis: Date().millisecondsSince1970, problem: problem
        )
        do { let log = heads; try await BlockingIO.run { try log.append(record) } } catch {
            logger.error("cannot record the audit problem in the heads file", metadata: ["error": "\(error)"])
        }
        // The witness keeps the problem too: its log alone then shows the chain was contradicted after this head.
        witnessQueue.withLock { $0.append(record) }
    }

    /// A commit saw the head moved by another writer: that is a problem to record, once.
    private func noticeMovedHead() async {
        guard configuration.current.configuration.audit.signer != nil else { return }
        let moves = store.auditHeadMoves
        guard moves.count > 0, let problem = integrity.problem, problem == moves.last else { return }
        // `integrity.problem` reports the move already; raise it so it is written down and survives a restart.
        let head = (try? await store.auditHead()) ?? .empty
        await raise(problem, head: head)
    }

    /// Appends a checkpoint unless the head is already one this process signed. Failures are logged and retried at
    /// the next occasion: a missing checkpoint weakens the proof but must never stop deliveries.
    func checkpoint(reason: String, witnessTries: Int = 3) async {
        await writing.run { await checkpointLocked(reason: reason) }
        await flushWitness(tries: witnessTries)
    }

    /// Records found under the lock and sent to the witness after it: a witness that is down must not hold up
    /// an accept, the next checkpoint or the stop.
    private let witnessQueue = Mutex<[AuditHeadRecord]>([])

    private func flushWitness(tries: Int) async {
        let records = witnessQueue.withLock { queue in defer { queue.removeAll() }; return queue }
        for record in records { await sendToWitness(record, tries: tries) }
    }

    private func checkpointLocked(reason: String) async {
        let audit = configuration.current.configuration.audit
        guard let signer = audit.signer else { return }
        await noticeMovedHead()
        // A key first given by a reload: the chain was never compared with its record in this process.
        if !compared.load(ordering: .relaxed), await !compareWithRecord() { return }
        if let problem = integrity.problem {
            logger.warning("audit checkpoint not signed: the chain contradicts its record", metadata: ["audit.problem": "\(problem)"])
            return
        }
        do {
            let head = try await store.auditHead()
            if head.seq == lastSigned.load(ordering: .relaxed) { return }
            let anchor = recorded.withLock { $0 } ?? .empty
            let increment = try await store.verifyAudit(from: anchor, trusting: audit.verificationKeys)
            if let problem = increment.problem {
                return await raise(problem.description, head: increment.head)
            }
            let now = Date().millisecondsSince1970
            do {
                try await store.commit(StoreWrite(checkpoint: CheckpointRequest(
                    timeMillis: now, reason: reason, signer: signer, verified: increment.head
                )))
            } catch where error.code == .tampered {
                return await raise(error.message, head: (try? await store.auditHead()) ?? head)
            }
            // Read back what was signed (other writes may have landed between the read above and the commit).
            let written = try await store.auditEntries(afterSeq: head.seq, limit: 20, subject: "audit", newest: true)
            guard let entry = written.last(where: { $0.kind == AuditCheckpoint.kind }), let record = AuditHeadRecord(checkpoint: entry) else { return }
            lastSigned.store(entry.seq, ordering: .relaxed)
            recorded.withLock { $0 = AuditHead(seq: entry.seq, hash: entry.hash) }
            // The journal line is a witness of its own once journald ships it elsewhere.
            logger.notice("audit checkpoint signed", metadata: ["audit.seq": "\(entry.seq)", "audit.head": "\(record.jsonLine)"])
            do { let log = heads; try await BlockingIO.run { try log.append(record) } } catch {
                logger.error("cannot append the signed head to the audit heads file", metadata: ["error": "\(error)"])
            }
            witnessQueue.withLock { $0.append(record) }
        } catch {
            logger.error("cannot write a signed audit checkpoint", metadata: ["store.error": "\(error)"])
        }
    }

    /// `tocsinctl audit accept`: an approver, having looked into the problem (a restore of an older backup, say),
    /// records it as accepted. The chain as it stands becomes the new baseline, and signing resumes at once.
    func accept(reason: String, write: (AuditHeadRecord?) -> StoreWrite) async throws(DaemonAuditError) -> AuditHeadRecord {
        let record = try await writing.run { () async throws(DaemonAuditError) -> AuditHeadRecord in
            guard let problem = integrity.problem else {
                throw DaemonAuditError("there is nothing to accept: the audit chain agrees with its record (tocsinctl audit verify)")
            }
            let audit = configuration.current.configuration.audit
            let accepted: AuditHeadRecord
            do {
                // Accepting a gap re-bases the record, never a chain that fails on its own: that one is evidence.
                let verification = try await store.verifyAudit(trusting: audit.verificationKeys)
                if let broken = verification.problem, !broken.isUnsigned {
                    throw DaemonAuditError("the chain itself is broken (\(broken.description)); accepting would sign over it. Keep this database as evidence and restore from a backup (runbooks/restore-from-backup.md)")
                }
                var record = AuditHeadRecord(type: .accept, seq: 0, hash: "", timeMillis: Date().millisecondsSince1970, problem: problem, reason: reason)
                try await store.commit(write(record))
                let written = try await store.auditEntries(afterSeq: verification.head.seq, limit: 50, subject: "audit", newest: true)
                guard let entry = written.last(where: { $0.kind == "audit.accept" }) else {
                    throw DaemonAuditError("the accept was recorded but could not be read back; run tocsinctl audit verify")
                }
                record.seq = entry.seq
                record.hash = entry.hash
                record.timeMillis = entry.timeMillis
                accepted = record
            } catch let error as DaemonAuditError {
                throw error
            } catch {
                throw DaemonAuditError("\(error)")
            }
            do { let log = heads; try await BlockingIO.run { try log.append(accepted) } } catch {
                throw DaemonAuditError("the accept is in the audit log (entry \(accepted.seq)) but the heads file could not record it: \(error)", recorded: true)
            }
            integrity.accept()
            recorded.withLock { $0 = AuditHead(seq: accepted.seq, hash: accepted.hash) }
            logger.notice("audit problem accepted; signing resumes", metadata: ["audit.seq": "\(accepted.seq)", "audit.head": "\(accepted.jsonLine)"])
            witnessQueue.withLock { $0.append(accepted) }
            await checkpointLocked(reason: "after an accepted gap (entry \(accepted.seq))")
            return accepted
        }
        await flushWitness(tries: 3)
        return record
    }

    /// Sends a record to `audit.witness` (a webhook channel), signed like any webhook: a copy off the machine.
    /// Tried a few times; a witness that is down is logged, never a reason to hold up anything else.
    private func sendToWitness(_ record: AuditHeadRecord, tries: Int) async {
        let active = configuration.current
        guard let name = active.configuration.audit.witness else { return }
        guard let endpoint = active.endpoints[name] else {
            return logger.error("the audit witness channel cannot send", metadata: ["channel": "\(name)", "reason": "\(active.unavailable[name] ?? "not configured")"])
        }
        let body = "{\"type\":\"\(record.type.rawValue)\",\"timestamp\":\"\(Timestamp.iso(millis: record.timeMillis))\",\"data\":\(record.jsonLine)}"
        let payload = EncodedPayload(contentType: "application/json", body: Array(body.utf8))
        // One id per record, so a witness that gets a retry twice can drop the duplicate.
        let id = "audit_\(record.type == .checkpoint ? "ckpt" : "accept")_\(record.seq)_\(record.hash.prefix(16))"
        for attempt in 1...max(tries, 1) {
            let outbound = endpoint.request(deliveryID: id, recipient: nil, payload: payload, at: Date())
            guard let result = await AttemptRunner(transport: transport).perform(outbound, endpoint: endpoint) else { return }
            if case .delivered = result.outcome {
                return logger.info("audit head sent to the witness", metadata: ["channel": "\(name)", "audit.seq": "\(record.seq)"])
            }
            logger.error("the audit witness did not take the signed head", metadata: [
                "channel": "\(name)", "audit.seq": "\(record.seq)", "attempt": "\(attempt)", "reason": "\(result.outcome)",
            ])
            if attempt < tries { try? await Task.sleep(for: .seconds(attempt)) }
        }
    }
}

/// Why an audit operation (accept) was refused, in words for the approver.
struct DaemonAuditError: Error, CustomStringConvertible {
    var description: String
    /// The accept is already in the audit log: retrying is not the fix, the heads file is.
    var recorded = false
    init(_ description: String, recorded: Bool = false) {
        self.description = description
        self.recorded = recorded
    }
}

extension CheckpointService {
    /// The store found the head moved: record it now (log, heads file, witness) rather than at the next wake.
    func headMoved(_ finding: String) {
        logger.critical("the audit log's head was moved by another writer; nothing more is signed until an approver accepts it", metadata: ["audit.problem": "\(finding)"])
        wake.signal()
    }
}

extension AuditVerifier.Problem {
    /// Keys are set but nothing is signed yet: expected before the first checkpoint, not a contradiction.
    var isUnsigned: Bool { if case .unsigned = self { true } else { false } }
}
