import Foundation
import Synchronization
import TocsinChannels
import TocsinCore
import TocsinProtocol
import TocsinStore

/// `daemon.health`: each check with a state and a sentence an on-call person can act on.
extension DaemonHandlers {
    func health() async -> HealthReport {
        let now = Date()
        var checks: [HealthReport.Check] = [configCheck()]
        if let check = templatesCheck() { checks.append(check) }
        checks.append(await databaseCheck(now: now))
        if let check = await nodesCheck(now: now) { checks.append(check) }
        checks += await channelChecks(now: now)
        checks += credentialChecks(now: now)
        if let check = heartbeatCheck(now: now) { checks.append(check) }
        checks.append(await auditCheck())
        return HealthReport(checks: checks)
    }

    private func configCheck() -> HealthReport.Check {
        let config = configuration.current.configuration
        if let refusal = reloader.lastRefusal.withLock({ $0 }) {
            return .init(name: "config", state: .warning, message: "the last reload (\(Timestamp.iso(refusal.at))) was refused: \(refusal.reason); the previous configuration is still running")
        }
        // Which all-clear `tocsinctl all-clear` sends: the configured template (approved like any other) or Tocsin's own.
        let allClear = config.templates[BuiltInAllClear.id] == nil ? "Tocsin's built-in all-clear" : "the all-clear template"
        return .init(name: "config", state: .ok, message: "loaded (\(config.fingerprint.prefix(12))): \(config.channels.count) channels, \(config.templates.count) templates; \(allClear)")
    }

    /// A template that would reach a channel shortened: WARNING, not CRITICAL, since the daemon still sends it (an
    /// approval made before the fit check stays valid), but someone must write a short text before the day it matters.
    private func templatesCheck() -> HealthReport.Check? {
        let cuts = configuration.current.cuts
        guard !cuts.isEmpty else { return nil }
        let named = cuts.keys.sorted().map { id in "\(id) (\(cuts[id, default: []].map(\.channel).joined(separator: ", ")))" }
        return .init(name: "templates", state: .warning, message: "would be shortened on some channels: \(named.joined(separator: "; ")); give them a 'short:' text (tocsinctl templates list shows each cut)")
    }

    private func databaseCheck(now: Date) async -> HealthReport.Check {
        do {
            // A real row of 64 kB: an empty commit succeeds on a full disk, where a send's rows do not fit.
            try await store.probeWrite(at: now.millisecondsSince1970)
        } catch {
            return .init(name: "database", state: .critical, message: "cannot write: \(error)")
        }
        var stats = statvfs()
        let folder = configuration.current.configuration.paths.state
        if statvfs(folder, &stats) == 0 {
            let free = Double(stats.f_bavail) * Double(stats.f_frsize)
            if free < 100 * 1_048_576 {
                return .init(name: "database", state: .warning, message: "writable, but only \(Int(free / 1_048_576)) MB free in \(folder)")
            }
        }
        return .init(name: "database", state: .ok, message: "writable")
    }

    private func channelChecks(now: Date) async -> [HealthReport.Check] {
        let active = configuration.current
        let config = active.configuration
        let snapshot = dispatcher.snapshot()
        let activity = (try? await store.channelActivity()) ?? [:]
        var checks: [HealthReport.Check] = []
        for name in config.channels.keys.sorted() {
            let check = "channel:\(name)"
            if let reason = active.unavailable[name] {
                checks.append(.init(name: check, state: .critical, message: "cannot send: \(reason)"))
            } else if let retrying = snapshot.retrying[name] {
                let age = Duration.seconds(now.timeIntervalSince(retrying.since))
                let state: HealthReport.State = age > config.monitoring.channelFailingAfter ? .critical : .warning
                checks.append(.init(name: check, state: state, message: "failing for \(age.humanReadable) (\(retrying.deliveries) deliveries retrying): \(retrying.lastError ?? "no answer")"))
            } else if let seen = activity[name], seen.lastFinalFailed {
                let when = seen.lastErrorAt.map { " at \(Timestamp.iso(millis: $0))" } ?? ""
                checks.append(.init(name: check, state: .critical, message: "the last delivery failed\(when): \(seen.lastError ?? "see tocsinctl status"); after fixing, check with `tocsinctl channels test \(name)`"))
            }
        }
        if checks.isEmpty { checks.append(.init(name: "channels", state: .ok, message: "\(config.channels.count) channels, none failing")) }
        return checks
    }

    /// Token end dates from the config (`expires:`) and receivers' TLS certificates as last seen.
    private func credentialChecks(now: Date) -> [HealthReport.Check] {
        let config = configuration.current.configuration
        let certificates = dispatcher.certificates.withLock { $0 }
        var checks: [HealthReport.Check] = []
        func check(_ name: String, _ what: String, expires: Date, renew: String) {
            let left = expires.timeIntervalSince(now)
            let date = Timestamp.iso(expires)
            if left <= 0 {
                checks.append(.init(name: name, state: .critical, message: "\(what) expired on \(date): \(renew)"))
            } else if left < config.monitoring.expiryWarning.seconds {
                checks.append(.init(name: name, state: .warning, message: "\(what) expires in \(Self.days(left)) (\(date)): \(renew) before then"))
            }
        }
        for channel in config.channels.values.sorted(by: { $0.name < $1.name }) {
            if let expires = channel.expires {
                check("credential:\(channel.name)", "the credential", expires: expires, renew: "renew it (runbooks/rotating-a-secret.md)")
            }
            if let expires = certificates[channel.name] {
                check("certificate:\(channel.name)", "the receiver's TLS certificate", expires: expires, renew: "ask the receiver's owner to renew it")
            }
        }
        return checks
    }

    private static func days(_ seconds: TimeInterval) -> String {
        let days = Int(seconds / 86_400)
        return days == 1 ? "1 day" : "\(days) days"
    }

    private func heartbeatCheck(now: Date) -> HealthReport.Check? {
        guard let schedule = configuration.current.configuration.monitoring.heartbeat else { return nil }
        let state = heartbeat.state
        if state.lastSucceeded == false {
            return .init(name: "heartbeat", state: .critical, message: "the last heartbeat (\(state.lastIncident ?? "not stored")) failed: \(state.lastFailure ?? "see tocsinctl status")")
        }
        let limit = (schedule.every + schedule.grace).seconds
        let reference = state.lastSuccessAt ?? startedAt
        let age = now.timeIntervalSince(reference)
        if age > 2 * schedule.every.seconds + schedule.grace.seconds {
            return .init(name: "heartbeat", state: .critical, message: "no heartbeat delivered for \(Duration.seconds(age).humanReadable) (every \(schedule.every.humanReadable) through route '\(schedule.route)')")
        }
        if age > limit {
            return .init(name: "heartbeat", state: .warning, message: "the heartbeat is late: last delivered \(Duration.seconds(age).humanReadable) ago")
        }
        guard let success = state.lastSuccessAt else {
            return .init(name: "heartbeat", state: .ok, message: "first heartbeat under way")
        }
        return .init(name: "heartbeat", state: .ok, message: "last delivered \(Timestamp.iso(success)) through route '\(schedule.route)'")
    }

    private func auditCheck() async -> HealthReport.Check {
        // Not cached: a contradiction with the heads record is known at once and must show at once.
        try? await store.checkAuditHead()
        if let problem = verifier.checkpoints.integrity.problem {
            return .init(name: "audit", state: .critical, message: "the audit chain contradicts its record and nothing more is signed: \(problem); after investigating, an approver runs `tocsinctl audit accept --reason …` (runbooks/audit-signing-key.md)")
        }
        do {
            let result = try await verifier.recent()
            guard result.intact else {
                return .init(name: "audit", state: .critical, message: "chain broken at entry \(result.brokenSeq ?? 0): \(result.problem ?? "")")
            }
            if let signed = result.checkpoints?.lastSignedSeq {
                return .init(name: "audit", state: .ok, message: "intact (\(result.checked) entries); signed up to entry \(signed)")
            }
            return .init(name: "audit", state: .ok, message: "intact (\(result.checked) entries)")
        } catch {
            return .init(name: "audit", state: .critical, message: "cannot verify: \(error.message)")
        }
    }
}
