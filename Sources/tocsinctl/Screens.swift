import TocsinProtocol

/// The screen shown before a send or drill is confirmed: impossible to mistake one for the other.
struct ConfirmationScreen {
    let preview: PreviewResult
    var references: String?

    func show() {
        let drill = preview.status != "Actual"
        let rule = String(repeating: drill ? "-" : "=", count: 64)
        let kind = ["Update": "UPDATE", "Cancel": "ALL-CLEAR"][preview.msgType] ?? "ALERT"
        Console.note(rule)
        if drill {
            Console.note("  EXERCICE / EXERCISE — drill \(kind.lowercased()), CAP status \(preview.status)")
            if !preview.approved { Console.note("  Template NOT approved (\(preview.approvalNote ?? "not approved")): allowed for a drill only.") }
        } else {
            Console.note("  *** LIVE \(kind) — this goes to real people now ***")
        }
        Console.note(rule)
        Console.note("Template: \(preview.template)   Route: \(preview.route)   Type: \(preview.msgType)" + (references.map { "   Follows up: \($0)" } ?? ""))
        if !preview.variables.isEmpty {
            Console.note("Values:   " + preview.variables.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: "  "))
        }
        for message in preview.messages {
            Console.note("")
            Console.note("[\(message.language)] \(message.title)")
            Console.note("     \(message.body)")
            if let instruction = message.instruction { Console.note("     \(instruction)") }
        }
        Console.note("")
        let channels = preview.channels.map { $0.deliveries == 1 ? $0.name : "\($0.name) (\($0.deliveries))" }.joined(separator: ", ")
        Console.note("Reaches \(preview.deliveries) deliver\(preview.deliveries == 1 ? "y" : "ies") on \(preview.channels.count) channel\(preview.channels.count == 1 ? "" : "s"): \(channels)")
        Console.note(rule)
    }
}

/// One line per delivery change while following a send.
enum ProgressLine {
    static func text(_ delivery: DeliveryStatus) -> String {
        let target = delivery.recipient.map { "\(delivery.channel) → \($0)" } ?? delivery.channel
        let attempts = "attempt\(delivery.attempts == 1 ? "" : "s") \(delivery.attempts)"
        switch delivery.state {
        case "delivered":
            let answer = delivery.lastStatus.map { ", HTTP \($0)" } ?? ""
            let time = delivery.timeToDeliverMillis.map { ", \($0) ms" } ?? ""
            return "  delivered  \(target) (\(attempts)\(answer)\(time))"
        case "retrying":
            return "  retrying   \(target) (\(attempts)): \(delivery.lastError ?? "?")" + (delivery.nextAttemptAt.map { "; next at \($0)" } ?? "")
        case "failed":
            return "  FAILED     \(target) (\(attempts)): \(delivery.lastError ?? "?")" + (delivery.misconfiguration ? " [check the channel's configuration]" : "")
        case "cancelled":
            return "  cancelled  \(target)"
        default:
            return "  \(Console.pad(delivery.state, 10)) \(target)"
        }
    }
}

enum SummaryText {
    static func text(_ status: IncidentStatus) -> String {
        let delivered = status.deliveries.filter { $0.state == "delivered" }.count
        let failed = status.deliveries.filter { $0.state == "failed" }.count
        let total = status.deliveries.count
        if delivered == total { return "All \(total) deliveries delivered (incident \(status.summary.incident))." }
        return "\(delivered) of \(total) delivered, \(failed) failed (incident \(status.summary.incident)). See: tocsinctl status \(status.summary.incident)"
    }
}
