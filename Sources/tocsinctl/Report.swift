import ArgumentParser
import Foundation
import TocsinClient
import TocsinProtocol

extension Tocsinctl {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Post-incident review: who sent what, when, how long each channel took, what failed, the scorecard.",
            discussion: "Exit 0 when every delivery was delivered and every objective met, 1 otherwise."
        )

        @Argument(help: "The incident id.") var incident: String
        @Option(name: .long, help: "Also write a self-contained HTML report (with a timeline chart) to this file.")
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
                    try Data(ReportHTML.render(report).utf8).write(to: URL(fileURLWithPath: html), options: .atomic)
                } catch {
                    Console.error("cannot write \(html): \(error.localizedDescription)")
                    throw Exit.usage
                }
                if !global.json { print("HTML report written to \(html)") }
            }
            let objectives = report.objectives
            if report.totals.delivered < report.totals.deliveries || objectives.channelsMet == false || objectives.incidentMet == false {
                throw Exit.someFailed
            }
        }
    }
}

/// Durations as people read them: 850 ms, 2.4 s, 3 min 05 s.
enum Elapsed {
    static func text(_ millis: Int64?) -> String {
        guard let millis else { return "—" }
        if millis < 1000 { return "\(millis) ms" }
        if millis < 60_000 { return String(format: "%.1f s", Double(millis) / 1000) }
        return String(format: "%d min %02d s", millis / 60_000, (millis % 60_000) / 1000)
    }
}

enum ReportText {
    static func print(_ report: IncidentReport) {
        let trigger = report.trigger
        let summary = trigger.summary
        let drill = summary.status != "Actual"
        Swift.print("Incident report \(summary.incident)  \(drill ? "DRILL (\(summary.status))" : "LIVE") \(summary.msgType)")
        Swift.print("Template \(summary.template)  \(summary.approved ? "approved" : "NOT approved")  route \(summary.route)"
            + (summary.references.map { "  follows up \($0)" } ?? ""))
        let who = [trigger.userName, trigger.uid.map { "uid \($0)" }, trigger.pid.map { "pid \($0)" }].compactMap { $0 }.joined(separator: ", ")
        Swift.print("Triggered \(summary.createdAt) by \(who.isEmpty ? "?" : who)")
        if !summary.variables.isEmpty {
            Swift.print("Values: " + summary.variables.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: "  "))
        }
        for message in summary.messages { Swift.print("  [\(message.language)] \(message.title)") }
        for followUp in report.followUps {
            Swift.print("Follow-up \(followUp.incident)  \(followUp.msgType)  \(followUp.template)  \(followUp.createdAt)")
        }

        Swift.print("\nDeliveries (times from the trigger)")
        Swift.print("  " + Console.pad("CHANNEL", 16) + Console.pad("RECIPIENT", 22) + Console.pad("STATE", 11)
            + Console.pad("TRIES", 6) + Console.pad("FIRST TRY", 11) + Console.pad("DELIVERED", 11) + "LAST ERROR")
        for delivery in report.deliveries {
            let first = delivery.attemptLog.first.map { Elapsed.text($0.offsetMillis) } ?? "—"
            Swift.print("  " + Console.pad(delivery.channel, 16) + Console.pad(delivery.recipient ?? "—", 22)
                + Console.pad(delivery.state.uppercased(), 11) + Console.pad("\(delivery.attempts)", 6) + Console.pad(first, 11)
                + Console.pad(Elapsed.text(delivery.timeToDeliverMillis), 11)
                + (delivery.lastError.map { String($0.prefix(70)) } ?? "") + (delivery.misconfiguration ? " (misconfiguration)" : ""))
            if let receipt = delivery.acceptance ?? delivery.receipt.map({ "service id \($0)" }) {
                Swift.print("      receipt: \(receipt)")
            }
            for attempt in delivery.attemptLog where delivery.attemptLog.count > 1 || delivery.state != "delivered" {
                let answer = attempt.httpStatus.map { "HTTP \($0)" } ?? attempt.error.map { String($0.prefix(60)) } ?? ""
                Swift.print("      #\(attempt.number) at +\(Elapsed.text(attempt.offsetMillis)): \(attempt.outcome) \(answer) in \(attempt.latencyMillis) ms"
                    + (attempt.receipt.map { ", id \($0)" } ?? ""))
            }
        }

        let objectives = report.objectives
        Swift.print("\nChannels" + (objectives.channelWithinMillis.map { " (objective: each within \(Elapsed.text($0)))" } ?? ""))
        for channel in report.channels {
            let verdict = channel.objectiveMet.map { $0 ? "met" : "MISSED" } ?? ""
            Swift.print("  " + Console.pad(channel.channel, 16) + Console.pad("\(channel.delivered)/\(channel.deliveries) delivered", 16)
                + Console.pad(channel.failed > 0 ? "\(channel.failed) failed" : "", 10)
                + Console.pad("last \(Elapsed.text(channel.lastDeliveryMillis))", 16) + verdict)
        }
        let totals = report.totals
        Swift.print("\nTotals: \(totals.deliveries) deliveries, \(totals.delivered) delivered, \(totals.failed) failed"
            + (totals.unfinished > 0 ? ", \(totals.unfinished) unfinished" : ""))
        Swift.print("  first delivery \(Elapsed.text(totals.timeToFirstDeliveryMillis)), last delivery \(Elapsed.text(totals.timeToLastDeliveryMillis))")
        if let within = objectives.incidentWithinMillis, let met = objectives.incidentMet {
            Swift.print("Objective, whole incident within \(Elapsed.text(within)): \(met ? "MET" : "MISSED")")
        }
        if let met = objectives.channelsMet { Swift.print("Objective, every channel within \(Elapsed.text(objectives.channelWithinMillis)): \(met ? "MET" : "MISSED")") }

        let chain = report.chain
        Swift.print("\nAudit: \(report.audit.count) entries about this incident; chain "
            + (chain.intact ? "intact (\(chain.checked) entries, head \(chain.headHash.prefix(16))…)"
                : "BROKEN at entry \(chain.brokenSeq ?? 0): \(chain.problem ?? "?")"))
        for entry in report.audit {
            Swift.print("  \(entry.seq)  \(entry.time)  \(Console.pad(entry.kind, 17)) \(String(entry.detail.prefix(110)))")
        }
    }
}
