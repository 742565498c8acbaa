import ArgumentParser
import TocsinClient
import TocsinDisplay
import TocsinProtocol
import TocsinText

extension Tocsinctl {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: tr("Afficher l'état du démon, ou un incident avec toutes ses livraisons.", "Show the daemon's state, or one incident with every delivery.")
        )

        @Argument(help: ArgumentHelp(tr("Un identifiant d'incident ; sans lui, l'état du démon et les incidents récents.", "An incident id; without it, the daemon's state and recent incidents.")), completion: .incidentIDs)
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
        Swift.print("Incident \(summary.incident)  \(CAPWords.status(summary.status)) \(CAPWords.msgType(summary.msgType))  \(tr("modèle", "template")) \(summary.template)"
            + (summary.approved ? "" : tr(" (NON approuvé)", " (NOT approved)")))
        Swift.print(tr("Créé le", "Created") + " \(TimeDisplay.format(summary.createdAt)) " + tr("par", "by") + " \(summary.createdBy ?? "?") "
            + tr("sur la route", "on route") + " \(summary.route)" + (summary.references.map { tr(" — fait suite à ", " — follows up ") + $0 } ?? ""))
        if !summary.variables.isEmpty {
            Swift.print(tr("Valeurs : ", "Values: ") + summary.variables.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: "  "))
        }
        for message in summary.messages { Swift.print("[\(message.language)] \(message.title)") }
        Swift.print("")
        for delivery in status.deliveries { Swift.print(DeliveryText.text(delivery)) }
        Swift.print("")
        let open = status.deliveries.filter { !$0.isFinal }.count
        Swift.print(status.isFinished ? SummaryText.text(status)
            : tr("\(open) sur \(Plural.fr(status.deliveries.count, "livraison encore en cours", "livraisons encore en cours")).",
                 "\(open) of \(Plural.en(status.deliveries.count, "delivery", "deliveries")) still in progress."))
    }
}

/// `tocsinctl status` without an incident: the daemon, then what needs attention (failures of incidents, then of
/// channel tests, each shown only until its channel has delivered since), then recent incidents and channel tests
/// apart, so a test of a channel is never read as an incident.
enum DaemonText {
    static func print(_ status: DaemonStatus) {
        Swift.print("tocsind \(status.version), pid \(status.pid), " + tr("actif depuis", "up") + " \(status.uptimeSeconds) s ("
            + tr("depuis le", "since") + " \(TimeDisplay.format(status.startedAt)))")
        Swift.print(tr("Configuration", "Config") + " \(status.configPath), " + tr("empreinte", "fingerprint") + " \(status.configFingerprint.prefix(12))")
        Swift.print(
            Plural.tr(status.templates, fr: ("modèle", "modèles"), en: ("template", "templates")) + ", "
                + Plural.tr(status.channels, fr: ("canal", "canaux"), en: ("channel", "channels")) + ", "
                + Plural.tr(status.pendingDeliveries, fr: ("livraison en cours", "livraisons en cours"), en: ("delivery in progress", "deliveries in progress"))
        )
        NodesText.print(status)
        if status.allClear == "template", status.allClearApproved == false {
            // Said before the day it is needed: an unapproved all-clear is refused in the middle of an incident.
            Swift.print(tr(
                "ATTENTION : le modèle all-clear n'est pas approuvé ; une fin d'alerte réelle sera refusée. Un approbateur : tocsinctl templates approve all-clear",
                "WARNING: the all-clear template is not approved; a live all-clear will be refused. An approver: tocsinctl templates approve all-clear"
            ))
        } else if let allClear = status.allClear {
            Swift.print(AllClearText.line(allClear))
        }
        Swift.print(tr("Journal d'audit : \(Plural.fr(Int(status.auditHeadSeq), "entrée", "entrées")), tête", "Audit log: \(Plural.en(Int(status.auditHeadSeq), "entry", "entries")), head") + " \(status.auditHeadHash.prefix(16))…")
        if let problem = status.auditProblem {
            Swift.print(tr(
                "PROBLÈME D'AUDIT (l'envoi n'est pas touché ; plus rien n'est signé) : ",
                "AUDIT PROBLEM (sending is not affected; nothing more is signed): "
            ) + TimeDisplay.localizing(problem))
            Swift.print(tr("  Après enquête, un approbateur lance", "  After investigating, an approver runs")
                + ": tocsinctl audit accept --reason \"…\" (runbooks/audit-signing-key.md)")
        }
        for (channel, reason) in status.channelsUnavailable.sorted(by: { $0.key < $1.key }) {
            Swift.print(tr("CANAL INCAPABLE D'ENVOYER : ", "CHANNEL CANNOT SEND: ") + "\(channel): \(reason)")
        }
        if !status.recentFailures.isEmpty {
            Swift.print(tr("\nÉchecs récents (incidents) :", "\nRecent failures:"))
            for delivery in status.recentFailures { Swift.print(failureLine(delivery)) }
        }
        if let failures = status.recentTestFailures, !failures.isEmpty {
            Swift.print(tr("\nTests de canal en échec (jusqu'à la prochaine livraison du canal) :", "\nFailed channel tests (until the channel delivers again):"))
            for delivery in failures { Swift.print(failureLine(delivery)) }
        }
        let tests = status.recentIncidents.filter { $0.status == "Test" }
        let incidents = status.recentIncidents.filter { $0.status != "Test" }
        if !incidents.isEmpty {
            Swift.print(tr("\nIncidents récents :", "\nRecent incidents:"))
            rows(incidents)
        }
        if !tests.isEmpty {
            Swift.print(tr("\nTests de canal récents :", "\nRecent channel tests:"))
            rows(tests)
        }
    }

    /// A failure with its incident first (`  01J… ÉCHEC ops …`), what `resend` and `report` need; as before without
    /// it (an older daemon).
    static func failureLine(_ delivery: DeliveryStatus) -> String {
        let line = DeliveryText.text(delivery)
        guard let incident = delivery.incident else { return line }
        return "  \(incident) " + line.drop { $0 == " " }
    }

    /// Aligned for any template name: each column as wide as its longest value.
    private static func rows(_ incidents: [IncidentSummary]) {
        let statusWidth = incidents.map { CAPWords.status($0.status).count }.max() ?? 0
        let templateWidth = incidents.map(\.template.count).max() ?? 0
        for incident in incidents {
            let counts = incident.counts.sorted { $0.key < $1.key }.map { DeliveryText.count($0.value, $0.key) }.joined(separator: ", ")
            Swift.print("  \(incident.incident)  \(Console.pad(CAPWords.status(incident.status), statusWidth)) \(Console.pad(incident.template, templateWidth))  "
                + "\(TimeDisplay.format(incident.createdAt))  \(counts)")
        }
    }
}
