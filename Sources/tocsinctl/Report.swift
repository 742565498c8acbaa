import ArgumentParser
import FoundationEssentials
import TocsinDisplay
import TocsinClient
import TocsinProtocol
import TocsinText

extension Tocsinctl {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: tr("Bilan après incident : qui a envoyé quoi, quand, le temps de chaque canal, ce qui a échoué, le tableau de bord.", "Post-incident review: who sent what, when, how long each channel took, what failed, the scorecard."),
            discussion: "Exit 0 when every delivery was delivered and every objective met, 1 otherwise."
        )

        @Argument(help: ArgumentHelp(tr("L'identifiant de l'incident.", "The incident id.")), completion: .incidentIDs) var incident: String
        @Option(name: .long, help: ArgumentHelp(tr("Écrire aussi un rapport HTML autonome (avec une frise chronologique) dans ce fichier.", "Also write a self-contained HTML report (with a timeline chart) to this file.")))
        var html: String?
        @OptionGroup var global: GlobalOptions

        func run() throws {
            var report: IncidentReport?
            try runReporting(json: global.json) {
                report = try global.connect().call(.incidentReport, IncidentParams(incident: incident), as: IncidentReport.self)
            }
            guard let report else { return }
            if global.json { Console.json(report) } else { ReportText.print(report) }
            if let html {
                do {
                    try Data(ReportHTML.render(report, language: OperatorLanguage.current).utf8).write(to: URL(fileURLWithPath: html), options: .atomic)
                } catch {
                    Console.error(tr("impossible d'écrire \(html) (détail en anglais : \(Console.reason(error)))", "cannot write \(html): \(Console.reason(error))"))
                    throw Exit.usage
                }
                if !global.json { print(tr("Rapport HTML écrit dans \(html)", "HTML report written to \(html)")) }
            }
            let objectives = report.objectives
            if report.totals.delivered < report.totals.deliveries || objectives.channelsMet == false || objectives.incidentMet == false {
                throw Exit.someFailed
            }
        }
    }
}

enum ReportText {
    static func print(_ report: IncidentReport) {
        let trigger = report.trigger
        let summary = trigger.summary
        let drill = summary.status != "Actual"
        let start = TimeDisplay.parse(summary.createdAt) ?? Date()
        Swift.print(tr("Rapport d'incident", "Incident report") + " \(summary.incident)  "
            + (drill ? tr("EXERCICE", "DRILL") + " (\(CAPWords.status(summary.status)))" : tr("RÉEL", "LIVE")) + " \(CAPWords.msgType(summary.msgType))")
        Swift.print(tr("Modèle", "Template") + " \(summary.template)  " + (summary.approved ? tr("approuvé", "approved") : tr("NON approuvé", "NOT approved"))
            + "  route \(summary.route)" + (summary.references.map { tr("  fait suite à ", "  follows up ") + $0 } ?? ""))
        let who = [trigger.userName, trigger.uid.map { "uid \($0)" }, trigger.pid.map { "pid \($0)" }].compactMap { $0 }.joined(separator: ", ")
        Swift.print(tr("Déclenché le", "Triggered") + " \(TimeDisplay.format(summary.createdAt)) " + tr("par", "by") + " \(who.isEmpty ? "?" : who)")
        if !summary.variables.isEmpty {
            Swift.print(tr("Valeurs : ", "Values: ") + summary.variables.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: "  "))
        }
        for message in summary.messages { Swift.print("  [\(message.language)] \(message.title)") }
        if !report.followUps.isEmpty {
            var followUps = TextTable()
            for followUp in report.followUps {
                followUps.add([tr("Suite", "Follow-up"), followUp.incident, CAPWords.msgType(followUp.msgType), followUp.template, TimeDisplay.format(followUp.createdAt)])
            }
            for line in followUps.lines(indent: "") { Swift.print(line) }
        }

        Swift.print(tr("\nLivraisons (temps depuis le déclenchement)", "\nDeliveries (times from the trigger)"))
        var table = TextTable(header: [
            tr("CANAL", "CHANNEL"), tr("DESTINATAIRE", "RECIPIENT"), tr("ÉTAT", "STATE"), tr("ESSAIS", "TRIES"),
            tr("1er ESSAI", "FIRST TRY"), tr("LIVRÉ", "DELIVERED"), tr("DERNIÈRE ERREUR", "LAST ERROR"),
        ])
        for delivery in report.deliveries {
            let first = delivery.attemptLog.first.map { Elapsed.text($0.offsetMillis) } ?? "—"
            table.add([
                delivery.channel, delivery.recipient ?? "—", DeliveryText.word(delivery.state).uppercased(), "\(delivery.attempts)", first,
                Elapsed.text(delivery.timeToDeliverMillis),
                (delivery.lastError.map { english in
                    let last = delivery.attemptLog.last
                    let said = FailureText.said(
                        english, kind: delivery.errorKind, status: last?.httpStatus, channelType: delivery.channelType, latencyMillis: last?.latencyMillis
                    )
                    return Console.cut(said, 70)
                } ?? "")
                    + (delivery.misconfiguration ? tr(" (erreur de configuration)", " (misconfiguration)") : ""),
            ])
        }
        let lines = table.lines()
        Swift.print(lines[0])
        for (delivery, line) in zip(report.deliveries, lines.dropFirst()) {
            Swift.print(line)
            if let receipt = DeliveryText.acceptance(delivery.acceptance, channelType: delivery.channelType, receipt: delivery.receipt)
                ?? delivery.receipt.map({ tr("id du service ", "service id ") + $0 }) {
                Swift.print(tr("      reçu : ", "      receipt: ") + receipt)
            }
            for attempt in delivery.attemptLog where delivery.attemptLog.count > 1 || delivery.state != "delivered" {
                Swift.print("      " + attemptText(attempt, channelType: delivery.channelType, start: start))
            }
        }

        let objectives = report.objectives
        Swift.print(tr("\nCanaux", "\nChannels")
            + (objectives.channelWithinMillis.map { tr(" (objectif : chacun en moins de ", " (objective: each within ") + Elapsed.text($0) + ")" } ?? ""))
        var channels = TextTable()
        for channel in report.channels {
            channels.add([
                channel.channel,
                tr("\(channel.delivered)/\(channel.deliveries) livrées", "\(channel.delivered)/\(channel.deliveries) delivered"),
                channel.failed > 0 ? tr("\(channel.failed) en échec", "\(channel.failed) failed") : "",
                tr("dernière ", "last ") + Elapsed.text(channel.lastDeliveryMillis),
                channel.objectiveMet.map { $0 ? tr("atteint", "met") : tr("MANQUÉ", "MISSED") } ?? "",
            ])
        }
        for line in channels.lines() { Swift.print(line) }
        let totals = report.totals
        Swift.print(tr(
            "\nTotaux : \(Plural.fr(totals.deliveries, "livraison", "livraisons")), \(Plural.fr(totals.delivered, "livrée", "livrées")), \(totals.failed) en échec",
            "\nTotals: \(Plural.en(totals.deliveries, "delivery", "deliveries")), \(totals.delivered) delivered, \(totals.failed) failed"
        ) + (totals.unfinished > 0 ? tr(", \(totals.unfinished) inachevées", ", \(totals.unfinished) unfinished") : ""))
        Swift.print(tr("  première livraison ", "  first delivery ") + Elapsed.text(totals.timeToFirstDeliveryMillis)
            + tr(", dernière livraison ", ", last delivery ") + Elapsed.text(totals.timeToLastDeliveryMillis))
        if let within = objectives.incidentWithinMillis, let met = objectives.incidentMet {
            Swift.print(tr("Objectif, tout l'incident en moins de ", "Objective, whole incident within ") + Elapsed.text(within) + tr(" : ", ": ")
                + (met ? tr("ATTEINT", "MET") : tr("MANQUÉ", "MISSED")))
        }
        if let met = objectives.channelsMet {
            Swift.print(tr("Objectif, chaque canal en moins de ", "Objective, every channel within ") + Elapsed.text(objectives.channelWithinMillis) + tr(" : ", ": ")
                + (met ? tr("ATTEINT", "MET") : tr("MANQUÉ", "MISSED")))
        }

        let chain = report.chain
        Swift.print(tr("\nAudit : \(report.audit.count) entrées sur cet incident ; chaîne ", "\nAudit: \(report.audit.count) entries about this incident; chain ")
            + (chain.intact
                ? tr("intacte (\(chain.checked) entrées, tête ", "intact (\(chain.checked) entries, head ") + "\(chain.headHash.prefix(16))…)"
                : tr("ROMPUE à l'entrée ", "BROKEN at entry ") + "\(chain.brokenSeq ?? 0)" + tr(" : ", ": ") + (chain.problem ?? "?")))
        var audit = TextTable()
        for entry in report.audit {
            audit.add(["\(entry.seq)", TimeDisplay.format(entry.time), entry.kind, Console.cut(TimeDisplay.localizing(entry.detail), 110)])
        }
        for line in audit.lines() { Swift.print(line) }
    }

    /// `#2 at +1.2 s (09:26:16): retrying, HTTP 500, answer took 5 ms`: the answer's time said as such, never
    /// to be read as a delay before the next try.
    static func attemptText(_ attempt: ReportAttempt, channelType: String?, start: Date) -> String {
        let answer = attempt.httpStatus.map { ", " + ServiceAnswer.label($0, channelType: channelType) }
            ?? attempt.error.map {
                ", " + Console.cut(FailureText.said($0, kind: attempt.errorKind, status: nil, channelType: channelType, latencyMillis: attempt.latencyMillis), 60)
            } ?? ""
        // An attempt that got no answer (a timeout, a refused connection) has no answer time to show.
        let took = attempt.error == nil || FailureText.answered(attempt.errorKind, status: attempt.httpStatus)
            ? tr(", réponse en \(attempt.latencyMillis) ms", ", answer took \(attempt.latencyMillis) ms") : ""
        return "#\(attempt.number) " + tr("à", "at") + " +\(Elapsed.text(attempt.offsetMillis)) (\(TimeDisplay.format(attempt.at, style: .near, now: start)))" + tr(" : ", ": ")
            + DeliveryText.word(attempt.outcome) + answer + took
            + (attempt.receipt.map { ", id \($0)" } ?? "")
    }
}
