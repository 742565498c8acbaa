import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TocsinConfig
import TocsinChannels
import TocsinCore
import TocsinProtocol
import TocsinStore
import UnixSignals
import TocsinAudit

/// Loads the config and templates again (`tocsinctl reload`, SIGHUP): all or nothing.
///
/// Everything is validated first; on any error the running configuration stays and every problem is reported.
/// Deliveries in flight keep going: the dispatcher reads the configuration per attempt, and a delivery whose
/// channel disappears keeps the channel it was created with.
final class Reloader: Sendable {
    let configuration: ConfigurationHolder
    let store: any Store
    let notifier: SystemdNotifier
    let dispatcher: Dispatcher
    let logger: Logger
    /// One reload at a time, so two never interleave their validation and swap.
    private let busy = Mutex(false)

    init(configuration: ConfigurationHolder, store: any Store, notifier: SystemdNotifier, dispatcher: Dispatcher, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.notifier = notifier
        self.dispatcher = dispatcher
        self.logger = logger
    }

    /// The last refused reload since the last applied one: health warns that the file on disk is not what runs.
    let lastRefusal = Mutex<(at: Date, reason: String)?>(nil)

    func reload(caller: Principal?, requestAudit: AuditEvent?) async throws(DaemonError) -> ReloadResult {
        guard busy.withLock({ busy in defer { busy = true }; return !busy }) else {
            throw DaemonError.validation("a reload is already in progress; try again in a moment").said(.reloadBusy)
        }
        defer { busy.withLock { $0 = false } }
        // Recorded before anything changes: a reload that cannot be audited is not made (the journal says why).
        var intent = AuditDetail()
        intent.set("config", configuration.current.configPath)
        intent.set("by", caller?.displayName ?? "SIGHUP")
        intent.set("outcome", "requested")
        var requested = requestAudit.map { [$0] } ?? []
        requested.append(Self.event(intent, by: caller))
        do { try await store.commit(StoreWrite(audit: requested)) } catch {
            logger.error("reload refused: it cannot be recorded in the audit log", metadata: ["store.error": "\(error)"])
            throw .unavailable("the reload was not made: it cannot be recorded in the audit log (\(error)); the running configuration stays")
        }
        // systemd 252 has no Type=notify-reload, but RELOADING=1 … READY=1 still tells `systemctl reload` when it is done.
        notifier.notify("RELOADING=1", "STATUS=Reloading the configuration")
        defer {
            let config = configuration.current.configuration
            notifier.notify("READY=1", "STATUS=Ready: \(config.templates.count) templates, \(config.channels.count) channels, \(dispatcher.pendingCount) deliveries in progress")
        }

        let old = configuration.current
        let path = old.configPath
        let (loaded, diagnostics): (Configuration?, [Diagnostic])
        do {
            (loaded, diagnostics) = try await BlockingIO.run { ConfigLoader.load(path: path) }
        } catch {
            throw DaemonError.unavailable("the configuration could not be read: \(error)")
                .said(.reloadUnreadable, ["error": TextValidator.printable("\(error)")])
        }
        var detail = AuditDetail()
        detail.set("config", old.configPath)
        detail.set("by", caller?.displayName ?? "SIGHUP")
        guard let loaded else {
            let problems = diagnostics.errors.map(\.description)
            detail.set("outcome", "refused")
            detail.set("errors", problems.count)
            detail.set("first_error", problems.first)
            await audit(detail, caller: caller, requestAudit: requestAudit)
            lastRefusal.withLock { $0 = (Date(), problems.first ?? "invalid configuration") }
            DaemonMetrics.reload(accepted: false)
            logger.error("reload refused; the running configuration is kept", metadata: ["errors": "\(problems.count)", "first": "\(problems.first ?? "")"])
            throw .validation(
                "the new configuration has \(problems.count) error\(problems.count == 1 ? "" : "s"); the running configuration is kept and nothing changed",
                problems: problems
            ).said(.reloadInvalid, ["count": String(problems.count)])
        }
        var warnings = diagnostics.filter { $0.severity == .warning }.map(\.description)
        let oldPaths = old.configuration.paths, newPaths = loaded.paths
        if oldPaths.state != newPaths.state { warnings.append("paths.state changed: it applies at the next restart") }
        let oldListen = old.configuration.monitoring.metricsListen, newListen = loaded.monitoring.metricsListen
        if oldListen?.host != newListen?.host || oldListen?.port != newListen?.port {
            warnings.append("metrics_listen changed: it applies at the next restart")
        }
        if old.configuration.delivery.proxy != loaded.delivery.proxy {
            warnings.append("delivery.proxy changed: it applies at the next restart")
        }
        // The store is opened once, at start: another database, node name or lease cannot be taken up live.
        if old.configuration.storage != loaded.storage || old.configuration.cluster != loaded.cluster {
            warnings.append("storage / cluster changed: they apply at the next restart")
        }
        if oldPaths.socket != newPaths.socket || oldPaths.socketMode != newPaths.socketMode {
            warnings.append("paths.socket / socket_mode changed: they apply at the next restart")
        }
        let needApproval = loaded.templates.values
            .filter { old.configuration.templates[$0.id]?.contentHash != $0.contentHash }
            .map(\.id).sorted()
        // The fingerprint covers the config file and templates, not the files `*_file` keys read: compare what they
        // gave in memory (never hashed or stored: a hash of a short password would let it be guessed offline).
        let credentialsChanged = loaded.channels.values.filter { channel in
            guard let previous = old.configuration.channels[channel.name] else { return false }
            return previous.secrets != channel.secrets || previous.recipients != channel.recipients
        }.map(\.name).sorted()
        // The CAP key and certificate are files too; a new key needs a new certificate, whose fingerprint is public.
        let capCertificate = loaded.cap?.signer.certificateFingerprint
        let capChanged = capCertificate != old.configuration.cap?.signer.certificateFingerprint
        let changed = loaded.fingerprint != old.configuration.fingerprint || !credentialsChanged.isEmpty || capChanged
        let next = ActiveConfiguration(loaded, path: old.configPath)
        configuration.replace(with: next)
        next.logCuts(logger)
        warnings += next.cuts.keys.sorted().flatMap { next.cuts[$0] ?? [] }.map(\.description)
        lastRefusal.withLock { $0 = nil }
        DaemonMetrics.reload(accepted: true)
        DaemonMetrics.declare(channels: Array(loaded.channels.keys))

        detail.set("outcome", "applied")
        detail.set("fingerprint", loaded.fingerprint)
        detail.set("previous_fingerprint", old.configuration.fingerprint)
        detail.set("changed", changed)
        detail.set("templates_changed", needApproval.joined(separator: ","))
        detail.set("credentials_changed", credentialsChanged.joined(separator: ","))
        if capChanged { detail.set("cap_certificate", capCertificate ?? "none (alerts unsigned)") }
        await audit(detail, caller: caller, requestAudit: requestAudit)
        if loaded.fingerprint != old.configuration.fingerprint, let node = dispatcher.leasing?.node {
            // Several nodes: the other nodes' `health` compares the config this node runs now. Under the name it
            // started with (a new `cluster.node` applies at the next start).
            do { try await store.nodeReloaded(name: node, fingerprint: loaded.fingerprint) } catch {
                logger.warning("the node's new config fingerprint is not recorded; other nodes see the old one until this one restarts", metadata: ["store.error": "\(error)"])
            }
        }
        logger.notice("configuration reloaded", metadata: [
            "config.fingerprint": "\(loaded.fingerprint.prefix(12))", "changed": "\(changed)",
            "templates.changed": "\(needApproval.joined(separator: ","))",
        ])
        return ReloadResult(
            fingerprint: loaded.fingerprint, changed: changed, needApproval: needApproval, warnings: warnings,
            credentialsChanged: credentialsChanged
        )
    }

    /// A `config.reload` entry by `principal`, or with no actor for SIGHUP (sent by whoever may signal the process).
    private static func event(_ detail: AuditDetail, by principal: Principal?) -> AuditEvent {
        principal?.event("config.reload", subject: "daemon", detail: detail)
            ?? AuditEvent(timeMillis: Date().millisecondsSince1970, kind: "config.reload", subject: "daemon", detail: detail.json)
    }

    /// The reload's outcome; the request itself was audited before anything changed.
    private func audit(_ detail: AuditDetail, caller: Principal?, requestAudit _: AuditEvent?) async {
        do {
            try await store.commit(StoreWrite(audit: [Self.event(detail, by: caller)]))
        } catch {
            logger.error("cannot record a reload in the audit log", metadata: ["store.error": "\(error)"])
        }
    }
}

/// Reloads on SIGHUP, as `systemctl reload tocsind` (ExecReload=kill -HUP) asks.
struct HangupReloadService: Service {
    let reloader: Reloader

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            _ = try? await reloader.reload(caller: nil, requestAudit: nil)
        }
    }
}
