import FoundationEssentials
import TocsinProtocol
import TocsinText

/// The report's delivery sections: the scorecard, one row per delivery, retries summarised with every attempt
/// folded away, and each follow-up with its own deliveries.
extension ReportHTML {
    static func scorecard(_ report: IncidentReport) -> String {
        let objectives = report.objectives
        let rows = report.channels.map { channel in
            (cells: [
                esc(channel.channel), "\(channel.delivered) / \(channel.deliveries)",
                Plural.both(channel.failed, fr: ("échec", "échecs"), en: ("failure", "failures")),
                esc(ReportHTML.elapsed(channel.lastDeliveryMillis)), verdict(channel.objectiveMet),
            ], classes: channel.failed > 0 ? "fail" : String?.none)
        }
        var html = table(columns: [
            "Canal / Channel", "Livrés / Delivered", "Échecs / Failures", "Dernière livraison / Last delivery",
            "Objectif / Objective" + (objectives.channelWithinMillis.map { " (\(esc(ReportHTML.elapsed($0))))" } ?? ""),
        ], rows: rows)
        var kv = [("Livraisons / Deliveries", totals(report.totals))]
        kv.append(("Première livraison / First delivery", esc(ReportHTML.elapsed(report.totals.timeToFirstDeliveryMillis))))
        kv.append(("Dernière livraison / Last delivery", esc(ReportHTML.elapsed(report.totals.timeToLastDeliveryMillis))))
        if let within = objectives.incidentWithinMillis {
            kv.append(("Objectif global / Overall objective (\(esc(ReportHTML.elapsed(within))))", verdict(objectives.incidentMet)))
        }
        if objectives.channelWithinMillis != nil { kv.append(("Tous les canaux / Every channel", verdict(objectives.channelsMet))) }
        html += table(kv: kv)
        return html
    }

    /// "3 livraisons / deliveries — 2 livrées / delivered, 1 échec / failure".
    static func totals(_ totals: ReportTotals) -> String {
        var text = Plural.both(totals.deliveries, fr: ("livraison", "livraisons"), en: ("delivery", "deliveries"))
        text += " — " + Plural.both(totals.delivered, fr: ("livrée", "livrées"), en: ("delivered", "delivered"))
        text += ", " + Plural.both(totals.failed, fr: ("échec", "échecs"), en: ("failure", "failures"))
        if totals.unfinished > 0 {
            text += ", " + Plural.both(totals.unfinished, fr: ("en cours", "en cours"), en: ("unfinished", "unfinished"))
        }
        return text
    }

    /// One row per delivery; its attempts are in the retries section.
    static func deliveries(_ deliveries: [ReportDelivery]) -> String {
        guard !deliveries.isEmpty else { return "<p>Aucune livraison / No delivery</p>\n" }
        let rows = deliveries.map { delivery in
            // The service's own words for what it did ("accepted by Twilio (SM…)"), or its bare id.
            let receipt = delivery.acceptance.map { english in
                // Both languages, as every label of this report.
                ServiceAnswer.frenchAcceptance(channelType: delivery.channelType, id: delivery.receipt).map { "\($0) / \(english)" } ?? english
            } ?? delivery.receipt.map { "id \($0)" } ?? ""
            // Said by its kind in both languages, as every label of this page; the daemon's English stays in --json.
            let last = delivery.attemptLog.last
            let said = delivery.lastError.map {
                FailureText.both($0, kind: delivery.errorKind, status: last?.httpStatus, channelType: delivery.channelType, latencyMillis: last?.latencyMillis)
            }
            let error = esc(said ?? "") + (delivery.misconfiguration ? " <em>(configuration)</em>" : "")
            return (cells: [
                esc(delivery.channel), esc(delivery.recipient ?? "—"), state(delivery.state),
                Plural.both(delivery.attempts, fr: ("tentative", "tentatives"), en: ("attempt", "attempts")),
                time(delivery.deliveredAt), esc(ReportHTML.elapsed(delivery.timeToDeliverMillis)), esc(receipt), error,
            ], classes: delivery.state == "failed" ? "fail" : String?.none)
        }
        // The first and last attempts of a retried delivery are in the retries section: a ninth column would not fit.
        return table(columns: [
            "Canal / Channel", "Destinataire / Recipient", "État / State", "Tentatives / Attempts", "Livré à / Delivered at",
            "Délai / Time to deliver", "Reçu du service / Service receipt", "Dernière erreur / Last error",
        ], rows: rows, classes: "deliveries", cellClass: [
            "Destinataire / Recipient": "id", "Reçu du service / Service receipt": "id", "Dernière erreur / Last error": "error",
        ])
    }

    /// Each delivery that took more than one attempt: how many, the first and the last, with the full list folded.
    static func retries(_ deliveries: [ReportDelivery]) -> String {
        let retried = deliveries.filter { $0.attemptLog.count > 1 }
        let once = deliveries.filter { $0.attemptLog.count == 1 }.count
        var html = "<p>" + Plural.both(
            retried.count, fr: ("livraison reprise", "livraisons reprises"), en: ("delivery retried", "deliveries retried")
        )
        html += ", " + Plural.both(
            once, fr: ("livrée ou close au premier essai", "livrées ou closes au premier essai"),
            en: ("settled at the first attempt", "settled at the first attempt")
        ) + ".</p>\n"
        for delivery in retried {
            html += retry(delivery)
        }
        return html
    }

    private static func retry(_ delivery: ReportDelivery) -> String {
        let log = delivery.attemptLog
        guard let first = log.first, let last = log.last else { return "" }
        let unsuccessful = log.filter { $0.outcome != "delivered" }.count
        var html = "<div class=\"retry\" data-channel=\"\(esc(delivery.channel))\">\n"
        html += "<p><strong>\(esc(delivery.channel))</strong>\(delivery.recipient.map { " — \(esc($0))" } ?? "") : "
        html += Plural.both(log.count, fr: ("tentative", "tentatives"), en: ("attempt", "attempts"))
        html += " (\(Plural.both(unsuccessful, fr: ("échec", "échecs"), en: ("failure", "failures")))), \(state(delivery.state))</p>\n"
        html += "<p>Première / First : \(time(first.at)) — \(answer(first, channelType: delivery.channelType))</p>\n"
        html += "<p>Dernière / Last : \(time(last.at)) — \(answer(last, channelType: delivery.channelType))</p>\n"
        html += "<details><summary>Les \(log.count) tentatives / All \(log.count) attempts</summary>\n"
        let rows = log.map { attempt in
            (cells: [
                "#\(attempt.number)", time(attempt.at), "+\(esc(ReportHTML.elapsed(attempt.offsetMillis)))",
                // A timeout's 5001 ms is no answer: nothing in the "answered in" column.
                attempt.error == nil || FailureText.answered(attempt.errorKind, status: attempt.httpStatus) ? "\(attempt.latencyMillis) ms" : "—",
                state(attempt.outcome), esc(attempt.httpStatus.map { ServiceAnswer.label($0, channelType: delivery.channelType) } ?? ""),
                esc(attemptError(attempt, channelType: delivery.channelType) ?? ""), esc(attempt.receipt ?? ""),
            ], classes: String?.none)
        }
        html += table(columns: [
            "N°", "Heure / Time", "Depuis le déclenchement / Since trigger", "Réponse en / Answered in", "Issue / Outcome",
            ServiceAnswer.heading(channelTypes: [delivery.channelType]), "Erreur / Error", "Reçu / Receipt",
        ], rows: rows, classes: "attempts", cellClass: ["Erreur / Error": "error", "Reçu / Receipt": "id"])
        return html + "</details>\n</div>\n"
    }

    /// "HTTP 500 (nouvel essai / retrying)", with the transport error when there is no HTTP status.
    private static func answer(_ attempt: ReportAttempt, channelType: String?) -> String {
        let said = attempt.httpStatus.map { ServiceAnswer.label($0, channelType: channelType) } ?? attemptError(attempt, channelType: channelType) ?? "—"
        return "\(esc(said)), \(state(attempt.outcome))"
    }

    /// An attempt's error by its kind, in both languages.
    private static func attemptError(_ attempt: ReportAttempt, channelType: String?) -> String? {
        attempt.error.map {
            FailureText.both($0, kind: attempt.errorKind, status: attempt.httpStatus, channelType: channelType, latencyMillis: attempt.latencyMillis)
        }
    }

    /// A delivery's or attempt's state in both languages, as plain text ("nouvel essai / retrying").
    static func stateText(_ state: String) -> String {
        let words = [
            "delivered": "livré / delivered", "failed": "échec / failed", "retrying": "nouvel essai / retrying",
            "pending": "en attente / pending", "sending": "envoi / sending", "cancelled": "annulé / cancelled",
        ]
        return words[state] ?? state
    }

    static func state(_ state: String) -> String {
        let text = esc(stateText(state))
        return state == "failed" ? "<span class=\"missed\">\(text)</span>" : text
    }

    /// Each update and all-clear: who sent it and under which approval, what it said, and its own deliveries.
    static func followUps(_ report: IncidentReport) -> String {
        guard !report.followUps.isEmpty else { return "<p>Aucun suivi / No follow-up</p>\n" }
        guard let followUps = report.followUpReports else {
            // A daemon that predates per-follow-up details: the list it gave.
            let rows = report.followUps.map { ([esc($0.incident), followUpKind($0), esc($0.template), time($0.createdAt)], String?.none) }
            return table(columns: ["Incident", "Type", "Modèle / Template", "Quand / When"], rows: rows.map { (cells: $0.0, classes: $0.1) })
        }
        var html = "<p>" + Plural.both(followUps.count, fr: ("suivi", "suivis"), en: ("follow-up", "follow-ups")) + "</p>\n"
        for followUp in followUps {
            let summary = followUp.trigger.summary
            html += "<article class=\"follow-up\" data-incident=\"\(esc(summary.incident))\">\n"
            html += "<h3>\(followUpKind(summary)) — <code>\(esc(summary.incident))</code> "
            html += "<small>(+\(esc(ReportHTML.elapsed(followUp.offsetMillis))))</small></h3>\n"
            html += table(kv: triggerRows(followUp.trigger) + approvalRows(followUp.trigger))
            html += messages(summary.messages)
            html += "<h4>Livraisons / Deliveries</h4>\n<p>\(totals(followUp.totals))</p>\n" + deliveries(followUp.deliveries)
            html += "<h4>Tentatives et reprises / Attempts and retries</h4>\n" + retries(followUp.deliveries)
            html += "</article>\n"
        }
        return html
    }
}
