import Foundation
import TocsinCore
import TocsinProtocol

/// The incident report as one self-contained HTML page: inline CSS, inline SVG, no script, no external asset,
/// so it opens offline, archives as a single file and prints. Labels are bilingual (French / English).
enum ReportHTML {
    static func render(_ report: IncidentReport) -> String {
        let summary = report.trigger.summary
        var html = """
            <!DOCTYPE html>
            <html lang="fr">
            <head>
            <meta charset="utf-8">
            <title>Bilan d'incident / Incident report \(esc(summary.incident))</title>
            <style>\(css)</style>
            </head>
            <body>
            <h1>Bilan d'incident / Incident report <code>\(esc(summary.incident))</code></h1>

            """
        html += trigger(report)
        html += "<h2>Chronologie / Timeline</h2>\n" + TimelineSVG(report: report).render() + "\n"
        html += scorecard(report)
        html += deliveries(report)
        html += audit(report)
        html += "<footer>Tocsin — généré / generated from the daemon's store; chain head \(esc(report.chain.headHash))</footer>\n"
        html += "</body>\n</html>\n"
        return html
    }

    /// Escapes text for element content and quoted attribute values alike.
    static func esc(_ text: String) -> String { HTMLEscaping.escape(text) }

    private static func row(_ cells: [String], header: Bool = false, classes: String? = nil) -> String {
        let tag = header ? "th" : "td"
        return "<tr\(classes.map { " class=\"\(esc($0))\"" } ?? "")>" + cells.map { "<\(tag)>\($0)</\(tag)>" }.joined() + "</tr>\n"
    }

    private static func verdict(_ met: Bool?) -> String {
        guard let met else { return "—" }
        return met ? "<span class=\"met\">Atteint / Met</span>" : "<span class=\"missed\">Manqué / Missed</span>"
    }

    private static func trigger(_ report: IncidentReport) -> String {
        let trigger = report.trigger
        let summary = trigger.summary
        let drill = summary.status != "Actual"
        var html = "<h2>Déclenchement / Trigger</h2>\n<table class=\"kv\">\n"
        html += row(["Type", "<strong>\(drill ? "EXERCICE / DRILL" : "RÉEL / LIVE")</strong> — CAP \(esc(summary.status)) \(esc(summary.msgType))"])
        html += row(["Modèle / Template", "\(esc(summary.template)) <small>\(esc(trigger.templateHash))</small>"])
        html += row(["Approuvé / Approved", summary.approved ? "oui / yes" : "<span class=\"missed\">non / no</span>"])
        html += row(["Par / By", esc([trigger.userName, trigger.uid.map { "uid \($0)" }, trigger.pid.map { "pid \($0)" }].compactMap { $0 }.joined(separator: ", "))])
        html += row(["Quand / When", esc(summary.createdAt)])
        html += row(["Parcours / Route", esc(summary.route)])
        if let references = summary.references { html += row(["Suite de / Follows up", esc(references)]) }
        for (name, value) in summary.variables.sorted(by: { $0.key < $1.key }) {
            html += row(["Variable <code>\(esc(name))</code>", esc(value)])
        }
        for message in summary.messages {
            html += row(["Message [\(esc(message.language))]", "<strong>\(esc(message.title))</strong><br>\(esc(message.body))"])
        }
        html += "</table>\n"
        if !report.followUps.isEmpty {
            html += "<h3>Suivis / Follow-ups</h3>\n<table>\n" + row(["Incident", "Type", "Modèle / Template", "Quand / When"], header: true)
            for followUp in report.followUps {
                html += row([esc(followUp.incident), esc(followUp.msgType), esc(followUp.template), esc(followUp.createdAt)])
            }
            html += "</table>\n"
        }
        return html
    }

    private static func scorecard(_ report: IncidentReport) -> String {
        let objectives = report.objectives
        var html = "<h2>Bilan par canal / Scorecard per channel</h2>\n<table>\n"
        html += row(["Canal / Channel", "Livrés / Delivered", "Échecs / Failed", "Dernière livraison / Last delivery",
                     "Objectif / Objective" + (objectives.channelWithinMillis.map { " (\(esc(Elapsed.text($0))))" } ?? "")], header: true)
        for channel in report.channels {
            html += row([
                esc(channel.channel), "\(channel.delivered) / \(channel.deliveries)", "\(channel.failed)",
                esc(Elapsed.text(channel.lastDeliveryMillis)), verdict(channel.objectiveMet),
            ], classes: channel.failed > 0 ? "fail" : nil)
        }
        html += "</table>\n<table class=\"kv\">\n"
        let totals = report.totals
        html += row(["Livraisons / Deliveries", "\(totals.deliveries) — \(totals.delivered) livrées / delivered, \(totals.failed) échecs / failed"
            + (totals.unfinished > 0 ? ", \(totals.unfinished) en cours / unfinished" : "")])
        html += row(["Première livraison / First delivery", esc(Elapsed.text(totals.timeToFirstDeliveryMillis))])
        html += row(["Dernière livraison / Last delivery", esc(Elapsed.text(totals.timeToLastDeliveryMillis))])
        if let within = objectives.incidentWithinMillis {
            html += row(["Objectif global / Overall objective (\(esc(Elapsed.text(within))))", verdict(objectives.incidentMet)])
        }
        if objectives.channelWithinMillis != nil {
            html += row(["Tous les canaux / Every channel", verdict(objectives.channelsMet)])
        }
        return html + "</table>\n"
    }

    private static func deliveries(_ report: IncidentReport) -> String {
        var html = "<h2>Livraisons / Deliveries</h2>\n<table>\n"
        html += row(["Canal / Channel", "Destinataire / Recipient", "État / State", "Tentatives / Attempts",
                     "Première tentative / First attempt", "Livré à / Delivered at", "Délai / Time to deliver",
                     "Reçu du service / Service receipt", "Dernière erreur / Last error"], header: true)
        for delivery in report.deliveries {
            // The service's own words for what it did ("accepted by Twilio (SM…)"), or its bare id.
            let receipt = delivery.acceptance ?? delivery.receipt.map { "id \($0)" } ?? ""
            html += row([
                esc(delivery.channel), esc(delivery.recipient ?? "—"), esc(delivery.state), "\(delivery.attempts)",
                esc(delivery.firstAttemptAt ?? "—"), esc(delivery.deliveredAt ?? "—"), esc(Elapsed.text(delivery.timeToDeliverMillis)),
                esc(receipt), esc(delivery.lastError ?? "") + (delivery.misconfiguration ? " <em>(configuration)</em>" : ""),
            ], classes: delivery.state == "failed" ? "fail" : nil)
            for attempt in delivery.attemptLog {
                let answer = attempt.httpStatus.map { "HTTP \($0)" } ?? attempt.error ?? ""
                html += row([
                    "", "#\(attempt.number)", esc(attempt.outcome), "\(attempt.latencyMillis) ms", esc(attempt.at),
                    "+\(esc(Elapsed.text(attempt.offsetMillis)))", "", esc(attempt.receipt ?? ""), esc(answer),
                ], classes: "attempt")
            }
        }
        return html + "</table>\n"
    }

    private static func audit(_ report: IncidentReport) -> String {
        let chain = report.chain
        var html = "<h2>Journal d'audit / Audit log</h2>\n<p>"
        html += chain.intact
            ? "<span class=\"met\">Chaîne intacte / Chain intact</span> — \(chain.checked) entrées / entries, tête / head <code>\(esc(chain.headHash))</code>"
            : "<span class=\"missed\">CHAÎNE ROMPUE / CHAIN BROKEN</span> — entrée / entry \(chain.brokenSeq ?? 0): \(esc(chain.problem ?? ""))"
        html += "</p>\n<table class=\"audit\">\n" + row(["N°", "Heure / Time", "Type / Kind", "uid", "Détail / Detail", "Empreinte / Hash"], header: true)
        for entry in report.audit {
            html += row([
                "\(entry.seq)", esc(entry.time), esc(entry.kind), entry.uid.map { "\($0)" } ?? "—",
                "<code>\(esc(entry.detail))</code>", "<code>\(esc(String(entry.hash.prefix(16))))…</code>",
            ])
        }
        return html + "</table>\n"
    }

    private static let css = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1b;margin:2em auto;max-width:1100px;padding:0 1em}
        h1{font-size:1.5em;border-bottom:3px solid #b00020;padding-bottom:.3em}h2{font-size:1.2em;margin-top:1.6em}
        table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
        th{background:#f0f0f0}table.kv td:first-child{width:28%;font-weight:600}tr.fail td{background:#fdecea}
        tr.attempt td{font-size:.85em;color:#555;border-top:none}code{font-size:.85em;word-break:break-all}
        .met{color:#1b7f3b;font-weight:700}.missed{color:#b00020;font-weight:700}svg{width:100%;height:auto;border:1px solid #ddd}
        footer{margin-top:2em;font-size:.8em;color:#666}
        @media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}tr,svg{break-inside:avoid}
        tr.fail td{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
        """
}
