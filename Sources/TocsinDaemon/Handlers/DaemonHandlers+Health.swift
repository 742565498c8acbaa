import Foundation
import Synchronization
import TocsinChannels
import TocsinCore
import TocsinProtocol
import TocsinStore
import TocsinText

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
            return .init(name: "config", state: .warning, message: "the last reload (\(Timestamp.iso(refusal.at))) was refused: \(refusal.reason); the previous configuration is still running",
                         said: [Said(.healthConfigRefused, ["at": Timestamp.iso(refusal.at), "reason": refusal.reason])])
        }
        // Which all-clear `tocsinctl all-clear` sends: the configured template (approved like any other) or Tocsin's own.
        let builtIn = config.templates[BuiltInAllClear.id] == nil
        let allClear = builtIn ? "Tocsin's built-in all-clear" : "the all-clear template"
        let fingerprint = String(config.fingerprint.prefix(12))
        return .init(name: "config", state: .ok, message: "loaded (\(fingerprint)): \(Plural.en(config.channels.count, "channel", "channels")), \(Plural.en(config.templates.count, "template", "templates")); \(allClear)",
                     said: [Said(.healthConfigLoaded, ["fingerprint": fingerprint, "channels": "\(config.channels.count)", "templates": "\(config.templates.count)",
                                                       "allClear": builtIn ? "built-in" : "template"])])
    }

    /// A template that would reach a channel shortened: WARNING, not CRITICAL, since the daemon still sends it (an
    /// approval made before the fit check stays valid), but someone must write a short text before the day it matters.
    private func templatesCheck() -> HealthReport.Check? {
        let cuts = configuration.current.cuts
        guard !cuts.isEmpty else { return nil }
        let named = cuts.keys.sorted().map { id in "\(id) (\(cuts[id, default: []].map(\.channel).joined(separator: ", ")))" }
        return .init(name: "templates", state: .warning, message: "would be shortened on some channels: \(named.joined(separator: "; ")); give them a 'short:' text (tocsinctl templates list shows each cut)",
                     said: [Said(.healthTemplatesCut, lists: ["templates": named])])
    }

    private func databaseCheck(now: Date) async -> HealthReport.Check {
        do {
            // A real row of 64 kB: an empty commit succeeds on a full disk, where a send's rows do not fit.
            try await store.probeWrite(at: now.millisecondsSince1970)
        } catch {
            return .init(name: "database", state: .critical, message: "cannot write: \(error)", said: [Said(.healthDatabaseCannotWrite, ["error": "\(error)"])])
        }
        var stats = statvfs()
        let folder = configuration.current.configuration.paths.state
        if statvfs(folder, &stats) == 0 {
            let free = Double(stats.f_bavail) * Double(stats.f_frsize)
            if free < 100 * 1_048_576 {
                return .init(name: "database", state: .warning, message: "writable, but only \(Int(free / 1_048_576)) MB free in \(folder)",
                             said: [Said(.healthDatabaseLowSpace, ["free": "\(Int(free / 1_048_576))", "folder": folder])])
            }
        }
        return .init(name: "database", state: .ok, message: "writable", said: [Said(.healthDatabaseWritable)])
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
                checks.append(.init(name: check, state: .critical, message: "cannot send: \(reason)", said: [Said(.healthChannelCannotSend, ["reason": reason])]))
            } else if let retrying = snapshot.retrying[name] {
                let age = Duration.seconds(now.timeIntervalSince(retrying.since))
                let state: HealthReport.State = age > config.monitoring.channelFailingAfter ? .critical : .warning
                var arguments = ["for": "\(age.milliseconds)", "deliveries": "\(retrying.deliveries)"]
                arguments["error"] = retrying.lastError
                checks.append(.init(name: check, state: state, message: "failing for \(age.humanReadable) (\(Plural.en(retrying.deliveries, "delivery", "deliveries")) retrying): \(retrying.lastError ?? "no answer")",
                                    said: [Said(.healthChannelFailing, arguments)]))
            } else if let seen = activity[name], seen.lastFinalFailed {
                let when = seen.lastErrorAt.map { " at \(Timestamp.iso(millis: $0))" } ?? ""
                var arguments = ["channel": name]
                arguments["at"] = seen.lastErrorAt.map { Timestamp.iso(millis: $0) }
                arguments["error"] = seen.lastError
                checks.append(.init(name: check, state: .critical, message: "the last delivery failed\(when): \(seen.lastError ?? "see tocsinctl status"); after fixing, check with `tocsinctl channels test \(name)`",
                                    said: [Said(.healthChannelLastFailed, arguments)]))
            }
        }
        if checks.isEmpty {
            checks.append(.init(name: "channels", state: .ok, message: "\(Plural.en(config.channels.count, "channel", "channels")), none failing",
                                said: [Said(.healthChannelsFine, ["count": "\(config.channels.count)"])]))
        }
        return checks
    }

    /// Token end dates from the config (`expires:`) and receivers' TLS certificates as last seen.
    private func credentialChecks(now: Date) -> [HealthReport.Check] {
        let config = configuration.current.configuration
        let certificates = dispatcher.certificates.withLock { $0 }
        var checks: [HealthReport.Check] = []
        func check(_ name: String, certificate: Bool, expires: Date) {
            let left = expires.timeIntervalSince(now)
            let date = Timestamp.iso(expires)
            let what = certificate ? "the receiver's TLS certificate" : "the credential"
            let renew = certificate ? "ask the receiver's owner to renew it" : "renew it (runbooks/rotating-a-secret.md)"
            let kind = certificate ? "certificate" : "credential"
            if left <= 0 {
                checks.append(.init(name: name, state: .critical, message: "\(what) expired on \(date): \(renew)",
                                    said: [Said(.healthCredentialExpired, ["what": kind, "date": date])]))
            } else if left < config.monitoring.expiryWarning.seconds {
                let days = Int(left / 86_400)
                checks.append(.init(name: name, state: .warning, message: "\(what) expires in \(Plural.en(days, "day", "days")) (\(date)): \(renew) before then",
                                    said: [Said(.healthCredentialExpiring, ["what": kind, "date": date, "days": "\(days)"])]))
            }
        }
        for channel in config.channels.values.sorted(by: { $0.name < $1.name }) {
            if let expires = channel.expires { check("credential:\(channel.name)", certificate: false, expires: expires) }
            if let expires = certificates[channel.name] { check("certificate:\(channel.name)", certificate: true, expires: expires) }
        }
        return checks
    }

    private func heartbeatCheck(now: Date) -> HealthReport.Check? {
        guard let schedule = configuration.current.configuration.monitoring.heartbeat else { return nil }
        let state = heartbeat.state
        if state.lastSucceeded == false {
            var arguments: [String: String] = [:]
            arguments["incident"] = state.lastIncident
            arguments["error"] = state.lastFailure
            return .init(name: "heartbeat", state: .critical, message: "the last heartbeat (\(state.lastIncident ?? "not stored")) failed: \(state.lastFailure ?? "see tocsinctl status")",
                         said: [Said(.healthHeartbeatFailed, arguments)])
        }
        let limit = (schedule.every + schedule.grace).seconds
        let reference = state.lastSuccessAt ?? startedAt
        let age = now.timeIntervalSince(reference)
        if age > 2 * schedule.every.seconds + schedule.grace.seconds {
            return .init(name: "heartbeat", state: .critical, message: "no heartbeat delivered for \(Duration.seconds(age).humanReadable) (every \(schedule.every.humanReadable) through route '\(schedule.route)')",
                         said: [Said(.healthHeartbeatMissing, ["for": "\(Duration.seconds(age).milliseconds)", "every": "\(schedule.every.milliseconds)", "route": schedule.route])])
        }
        if age > limit {
            return .init(name: "heartbeat", state: .warning, message: "the heartbeat is late: last delivered \(Duration.seconds(age).humanReadable) ago",
                         said: [Said(.healthHeartbeatLate, ["for": "\(Duration.seconds(age).milliseconds)"])])
        }
        guard let success = state.lastSuccessAt else {
            return .init(name: "heartbeat", state: .ok, message: "first heartbeat under way", said: [Said(.healthHeartbeatFirst)])
        }
        return .init(name: "heartbeat", state: .ok, message: "last delivered \(Timestamp.iso(success)) through route '\(schedule.route)'",
                     said: [Said(.healthHeartbeatDelivered, ["at": Timestamp.iso(success), "route": schedule.route])])
    }

    private func auditCheck() async -> HealthReport.Check {
        // Not cached: a contradiction with the heads record is known at once and must show at once.
        try? await store.checkAuditHead()
        if let problem = verifier.checkpoints.integrity.problem {
            return .init(name: "audit", state: .critical, message: "the audit chain contradicts its record and nothing more is signed: \(problem); after investigating, an approver runs `tocsinctl audit accept --reason …` (runbooks/audit-signing-key.md)",
                         said: [Said(.healthAuditContradicts, ["problem": problem])])
        }
        do {
            let result = try await verifier.recent()
            guard result.intact else {
                return .init(name: "audit", state: .critical, message: "chain broken at entry \(result.brokenSeq ?? 0): \(result.problem ?? "")",
                             said: [Said(.healthAuditBroken, ["seq": "\(result.brokenSeq ?? 0)", "problem": result.problem ?? ""])])
            }
            var arguments = ["checked": "\(result.checked)"]
            let checked = Plural.en(Int(result.checked), "entry", "entries")
            if let signed = result.checkpoints?.lastSignedSeq {
                arguments["signed"] = "\(signed)"
                return .init(name: "audit", state: .ok, message: "intact (\(checked)); signed up to entry \(signed)", said: [Said(.healthAuditIntact, arguments)])
            }
            return .init(name: "audit", state: .ok, message: "intact (\(checked))", said: [Said(.healthAuditIntact, arguments)])
        } catch {
            return .init(name: "audit", state: .critical, message: "cannot verify: \(error.message)", said: [Said(.healthAuditCannotVerify, ["error": error.message])])
        }
    }
}
