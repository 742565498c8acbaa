import Foundation
import Logging
import TocsinAudit
import TocsinCore
import TocsinProtocol
import TocsinStore

/// `daemon.*`: the daemon's own state (status, health), its configuration (reload) and copies of its state (backup).
struct DaemonHandlers: Sendable {
    static let version = TocsinVersion.string

    let configuration: ConfigurationHolder
    let store: any Store
    let dispatcher: Dispatcher
    let reloader: Reloader
    let heartbeat: HeartbeatService
    let verifier: ChainVerifier
    let startedAt: Date
    let logger: Logger

    func register(in table: inout MethodTable) {
        table.on(AdminCall.daemonStatus) { _ async throws(DaemonError) in try await status() }
        table.on(AdminCall.health) { _ async throws(DaemonError) in await health() }
        table.on(AdminCall.languages) { _ async throws(DaemonError) in configuration.current.configuration.organization.languages }
        table.on(AdminCall.reload, auditsRequest: true) { context async throws(DaemonError) in
            try await reloader.reload(caller: context.principal, requestAudit: context.requestAudit)
        }
        table.on(AdminCall.backup, auditsRequest: true) { params, context async throws(DaemonError) in
            try await backup(params, caller: context.principal, requestAudit: context.requestAudit)
        }
    }

    /// The one-line state `systemctl status tocsind` shows.
    func readyStatus() -> String {
        let config = configuration.current.configuration
        let unavailable = configuration.current.unavailable.count
        return "Ready: \(config.templates.count) templates, \(config.channels.count) channels"
            + (unavailable > 0 ? " (\(unavailable) cannot send)" : "") + ", \(dispatcher.pendingCount) deliveries in progress"
    }

    func status() async throws(DaemonError) -> DaemonStatus {
        let active = configuration.current
        do {
            let head = try await store.auditHead()
            let failures = try await Self.recentFailures(store, limit: 5)
            var status = DaemonStatus(
                version: Self.version, pid: getpid(), startedAt: Timestamp.iso(startedAt),
                uptimeSeconds: Int64(Date().timeIntervalSince(startedAt)), configPath: active.configPath,
                configFingerprint: active.configuration.fingerprint, channels: active.configuration.channels.count,
                templates: active.configuration.templates.count, pendingDeliveries: dispatcher.pendingCount,
                auditHeadSeq: head.seq, auditHeadHash: head.hash, recentIncidents: try await IncidentHandlers.recentForStatus(store),
                recentFailures: failures.incidents,
                channelsUnavailable: active.unavailable, auditProblem: verifier.checkpoints.integrity.problem
            )
            status.recentTestFailures = failures.tests
            status.nodes = try await nodeStatuses()
            if let template = active.configuration.templates[BuiltInAllClear.id] {
                status.allClear = "template"
                let approvals = ApprovalService(store: store, configuration: configuration)
                status.allClearApproved = try await approvals.state(of: template, required: active.configuration.requiredApprovers).isApproved
            } else {
                status.allClear = "built-in"
            }
            return status
        } catch let error as DaemonError {
            throw error
        } catch {
            throw .store(error)
        }
    }
}
