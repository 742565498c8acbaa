import FoundationEssentials
import TocsinProtocol
import TocsinText

/// The report's timeline: one row per channel from the trigger (t = 0) to its last delivery, a mark per attempt
/// where it ended (green delivered, orange retry, red failed), and the objectives as dashed lines; ``legend`` says so
/// beside it, in HTML so that it stays readable however small the chart is drawn.
///
/// Drawn 720 units wide with 14-unit text: at most 860 px on a wide screen (text ~17 px); on a phone its box scrolls
/// rather than shrinking the text below ~11 px (the page's CSS gives it a minimum width of 560 px there).
struct TimelineSVG {
    let report: IncidentReport

    private let width = 720.0
    private let labelWidth = 150.0
    private let rowHeight = 32.0
    private let top = 48.0

    func render() -> String {
        let channels = report.channels.map(\.channel)
        let byChannel = Dictionary(grouping: report.deliveries, by: \.channel)
        let attemptEnds: [Int64] = report.deliveries.flatMap { $0.attemptLog.map { $0.offsetMillis + $0.latencyMillis } }
        let dataEnd = max((attemptEnds + report.deliveries.compactMap(\.timeToDeliverMillis)).max() ?? 1000, 1)
        // An objective far beyond the data (10 min against deliveries in seconds) would squeeze every mark to the
        // left edge: it is then shown as an arrow at the right edge instead of widening the scale.
        let onScale = [report.objectives.channelWithinMillis, report.objectives.incidentWithinMillis].compactMap { $0 }
            .filter { $0 <= dataEnd * 4 }
        let span = Double(max(dataEnd, onScale.max() ?? 0)) * 1.08
        let plot = width - labelWidth - 20
        func x(_ millis: Int64) -> Double { labelWidth + Double(max(millis, 0)) / span * plot }
        let height = top + Double(max(channels.count, 1)) * rowHeight + 50

        var svg = "<div class=\"chart\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" role=\"img\""
        svg += " aria-label=\"Chronologie des livraisons / Delivery timeline\" font-family=\"sans-serif\" font-size=\"14\">\n"
        svg += "<text x=\"4\" y=\"18\" font-weight=\"bold\">Canal / Channel</text>\n"
        // Axis with five ticks.
        let axisY = top + Double(channels.count) * rowHeight + 6
        svg += line(labelWidth, axisY, width - 20, axisY, stroke: "#888")
        for tick in 0...5 {
            let millis = Int64(span / 5 * Double(tick) / 1.08)
            let tx = x(millis)
            svg += line(tx, top - 6, tx, axisY + 4, stroke: "#eee")
            svg += "<text x=\"\(fmt(tx))\" y=\"\(fmt(axisY + 18))\" text-anchor=\"middle\" fill=\"#555\">+\(ReportHTML.esc(ReportHTML.elapsed(millis)))</text>\n"
        }
        svg += "<text x=\"\(fmt(width - 20))\" y=\"\(fmt(axisY + 38))\" text-anchor=\"end\" fill=\"#555\">Temps depuis le déclenchement / Time since trigger</text>\n"

        for (index, name) in channels.enumerated() {
            let y = top + Double(index) * rowHeight + rowHeight / 2
            let rows = byChannel[name] ?? []
            let end = rows.compactMap(\.timeToDeliverMillis).max()
                ?? rows.flatMap { $0.attemptLog.map { $0.offsetMillis + $0.latencyMillis } }.max() ?? 0
            let failed = rows.contains { $0.state == "failed" }
            svg += "<g class=\"row\" data-channel=\"\(ReportHTML.esc(name))\">\n"
            let label = name.count > 18 ? name.prefix(17) + "…" : Substring(name)
            svg += "<text x=\"4\" y=\"\(fmt(y + 4))\"><title>\(ReportHTML.esc(name))</title>\(ReportHTML.esc(String(label)))</text>\n"
            svg += line(x(0), y, x(end), y, stroke: failed ? "#d32f2f" : "#607d8b", width: 3)
            for delivery in rows {
                for attempt in delivery.attemptLog {
                    let color = ["delivered": "#2e7d32", "retrying": "#f57c00", "failed": "#d32f2f"][attempt.outcome] ?? "#777"
                    let answer = attempt.httpStatus.map { ServiceAnswer.label($0, channelType: delivery.channelType) } ?? attempt.error ?? ""
                    svg += "<circle class=\"attempt \(ReportHTML.esc(attempt.outcome))\" cx=\"\(fmt(x(attempt.offsetMillis + attempt.latencyMillis)))\" cy=\"\(fmt(y))\" r=\"6\" fill=\"\(color)\">"
                    // "#2 — nouvel essai / retrying, HTTP 500, answered at +4 ms": the time is when the answer came,
                    // from the trigger, never a delay.
                    let when = ReportHTML.elapsed(attempt.offsetMillis + attempt.latencyMillis)
                    let said = "\(delivery.recipient ?? name) #\(attempt.number) — \(ReportHTML.stateText(attempt.outcome))"
                        + (answer.isEmpty ? "" : ", \(answer)") + ", réponse à +\(when) / answered at +\(when)"
                    svg += "<title>\(ReportHTML.esc(said))</title></circle>\n"
                }
            }
            svg += "</g>\n"
        }
        let objectiveLines = [
            (report.objectives.channelWithinMillis, "Objectif canal / Channel objective", top - 8),
            (report.objectives.incidentWithinMillis, "Objectif global / Overall objective", top - 24),
        ]
        for (millis, label, labelY) in objectiveLines {
            guard let millis else { continue }
            if Double(millis) > span {
                svg += "<g class=\"objective\"><text x=\"\(fmt(width - 20))\" y=\"\(fmt(labelY))\" text-anchor=\"end\" fill=\"#1565c0\">"
                svg += "\(ReportHTML.esc("\(label) \(ReportHTML.elapsed(millis))")) →</text></g>\n"
                continue
            }
            let ox = x(millis)
            svg += "<g class=\"objective\">" + line(ox, labelY + 2, ox, axisY, stroke: "#1565c0", width: 1.5, dash: true)
            svg += "<text x=\"\(fmt(ox + 3))\" y=\"\(fmt(labelY))\" fill=\"#1565c0\">\(ReportHTML.esc("\(label) \(ReportHTML.elapsed(millis))"))</text></g>\n"
        }
        return svg + "</svg>\n</div>\n"
    }

    /// What each mark of the chart means.
    static let legend = """
        <div id="legend" class="legend"><strong>Légende / Legend</strong>
        <ul class="legend">
        <li><svg width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" r="6" fill="#2e7d32"/></svg>Tentative livrée / Attempt delivered</li>
        <li><svg width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" r="6" fill="#f57c00"/></svg>Tentative en échec, nouvel essai / Attempt failed, retried</li>
        <li><svg width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" r="6" fill="#d32f2f"/></svg>Échec définitif / Failed for good</li>
        <li><svg width="28" height="14" aria-hidden="true"><line x1="0" y1="7" x2="28" y2="7" stroke="#607d8b" stroke-width="3"/></svg>Du déclenchement à la dernière livraison du canal / From the trigger to the channel's last delivery</li>
        <li><svg width="28" height="14" aria-hidden="true"><line x1="0" y1="7" x2="28" y2="7" stroke="#d32f2f" stroke-width="3"/></svg>Canal avec un échec / Channel with a failure</li>
        <li><svg width="28" height="14" aria-hidden="true"><line x1="0" y1="7" x2="28" y2="7" stroke="#1565c0" stroke-width="1.5" stroke-dasharray="6 4"/></svg>Objectif de temps / Time objective</li>
        </ul>
        <p>Chaque point est placé à la fin de sa tentative, en temps depuis le déclenchement. / Each mark sits where its attempt ended, in time since the trigger.</p>
        </div>

        """

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: Bool = false) -> String {
        "<line x1=\"\(fmt(x1))\" y1=\"\(fmt(y1))\" x2=\"\(fmt(x2))\" y2=\"\(fmt(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(fmt(width))\"\(dash ? " stroke-dasharray=\"6 4\"" : "")/>\n"
    }

    /// One decimal, halves away from zero (an SVG coordinate: `%.1f`'s ties to even do not matter here).
    private func fmt(_ value: Double) -> String { Digits.tenths(Int((value * 10).rounded())) }
}
