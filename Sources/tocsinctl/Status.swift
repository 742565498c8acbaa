import ArgumentParser
import TocsinClient
import TocsinProtocol

extension Tocsinctl {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the daemon's state, or one incident with every delivery."
        )

        @Argument(help: "An incident id; without it, the daemon's state and recent incidents.")
        var incident: String?

        @OptionGroup var global: GlobalOptions

        func run() throws {
            var exit = Exit.ok
            try runReporting(json: global.json) {
                let client = try global.connect()
                if let incident {
                    let status = try client.call(.incidentStatus, IncidentParams(incident: incident), as: IncidentStatus.self)
                    if global.json { Console.json(status) } else { IncidentText.print(status) }
                    if status.isFinished, !status.allDelivered { exit = Exit.someFailed }
                } else {
                    let status = try client.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self)
                    if global.json { Console.json(status) } else { DaemonText.print(status) }
                }
            }
            if exit != Exit.ok { throw exit }
        }
    }
}

enum IncidentText {
    static func print(_ status: IncidentStatus) {
        let summary = status.summary
        Swift.print("Incident \(summary.incident)  \(summary.status) \(summary.msgType)  template \(summary.template)\(summary.approved ? "" : " (NOT approved)")")
        Swift.print("Created \(summary.createdAt) by \(summary.createdBy ?? "?") on route \(summary.route)"
            + (summary.references.map { " — follows up \($0)" } ?? ""))
        if !summary.variables.isEmpty {
            Swift.print("Values: " + summary.variables.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: "  "))
        }
        for message in summary.messages { Swift.print("[\(message.language)] \(message.title)") }
        Swift.print("")
        for delivery in status.deliveries { Swift.print(ProgressLine.text(delivery)) }
        Swift.print("")
        Swift.print(status.isFinished ? SummaryText.text(status) : "\(status.deliveries.filter { !$0.isFinal }.count) of \(status.deliveries.count) deliveries still in progress.")
    }
}

enum DaemonText {
    static func print(_ status: DaemonStatus) {
        Swift.print("tocsind \(status.version), pid \(status.pid), up \(status.uptimeSeconds) s (since \(status.startedAt))")
        Swift.print("Config \(status.configPath), fingerprint \(status.configFingerprint.prefix(12))")
        Swift.print("\(status.templates) templates, \(status.channels) channels, \(status.pendingDeliveries) deliveries in progress")
        Swift.print("Audit log: \(status.auditHeadSeq) entries, head \(status.auditHeadHash.prefix(16))…")
        if let problem = status.auditProblem {
            Swift.print("AUDIT PROBLEM (sending is not affected; nothing more is signed): \(problem)")
            Swift.print("  After investigating, an approver runs: tocsinctl audit accept --reason \"…\" (runbooks/audit-signing-key.md)")
        }
        for (channel, reason) in status.channelsUnavailable.sorted(by: { $0.key < $1.key }) {
            Swift.print("CHANNEL CANNOT SEND: \(channel): \(reason)")
        }
        if !status.recentFailures.isEmpty {
            Swift.print("\nRecent failures:")
            for delivery in status.recentFailures { Swift.print(ProgressLine.text(delivery)) }
        }
        if !status.recentIncidents.isEmpty {
            Swift.print("\nRecent incidents:")
            for incident in status.recentIncidents {
                let counts = incident.counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                Swift.print("  \(incident.incident)  \(Console.pad(incident.status, 8)) \(Console.pad(incident.template, 18)) \(incident.createdAt)  \(counts)")
            }
        }
    }
}
