import FoundationEssentials
import Glibc
import TocsinDisplay
import TocsinProtocol
import TocsinText

/// Follows a send: on a terminal, one line per channel redrawn in place; otherwise one plain line per change,
/// which logs and pipes can read.
final class ProgressView {
    private let incident: String
    private let interactive: Bool
    private var deliveries: [String: DeliveryStatus] = [:]
    private var order: [String] = []
    private var drawnLines = 0

    init(incident: String, deliveries: [DeliveryStatus], interactive: Bool = Console.isTerminal) {
        self.incident = incident
        self.interactive = interactive
        for delivery in deliveries { record(delivery) }
        InterruptNotice.install(tr(
            "\nSuivi arrêté. L'incident \(incident) est enregistré et ses envois continuent ; suivez-le avec : tocsinctl status \(incident)\n",
            "\nStopped watching. Incident \(incident) is stored and its delivery continues; follow it with: tocsinctl status \(incident)\n"
        ))
        if interactive { redraw() }
    }

    func update(_ delivery: DeliveryStatus) {
        record(delivery)
        if interactive {
            redraw()
        } else if delivery.state != "pending" {
            print(DeliveryText.text(delivery))
            Console.flush()
        }
    }

    private func record(_ delivery: DeliveryStatus) {
        if deliveries[delivery.id] == nil { order.append(delivery.id) }
        deliveries[delivery.id] = delivery
    }

    /// One row per channel; a per-recipient channel shows its counts instead of a row per recipient.
    private func rows() -> [String] {
        var channels: [String] = []
        var byChannel: [String: [DeliveryStatus]] = [:]
        for id in order {
            guard let delivery = deliveries[id] else { continue }
            if byChannel[delivery.channel] == nil { channels.append(delivery.channel) }
            byChannel[delivery.channel, default: []].append(delivery)
        }
        return channels.map { channel in
            let list = byChannel[channel] ?? []
            if list.count == 1, let only = list.first { return DeliveryText.text(only) }
            var counts: [String: Int] = [:]
            for delivery in list { counts[delivery.state, default: 0] += 1 }
            // What "delivered" means for this service, without the id: "accepted by Twilio" for SMS, "accepted by the
            // mail server" for e-mail (they only queue), from the acceptance of its delivered deliveries.
            let meaning = list.lazy.compactMap { DeliveryText.acceptance($0.acceptance, channelType: $0.channelType, receipt: $0.receipt) }.first.map { $0.prefix { $0 != "(" }.trimmingWhitespace() }
            let summary = ["delivered", "sending", "retrying", "pending", "failed", "cancelled"]
                .compactMap { state in
                    counts[state].map { state == "delivered" && meaning != nil ? "\($0) \(meaning ?? "")" : DeliveryText.count($0, state) }
                }
                .joined(separator: ", ")
            let lastError = list.last { $0.lastError != nil }.map { tr(" — dernière erreur : ", " — last error: ") + DeliveryText.error($0) } ?? ""
            return "  \(Console.pad(channel, 20)) \(list.count) \(tr("destinataires : ", "recipients: "))\(summary)\(lastError)"
        }
    }

    private func redraw() {
        var output = ""
        // Back to the first line drawn last time, and clear from there down: a row that wrapped onto more lines,
        // or fewer, leaves nothing stale behind.
        if drawnLines > 0 { output += "\u{1B}[\(drawnLines)A\r" }
        output += "\u{1B}[J"
        let width = TerminalWidth.current()
        var count = 0
        for row in rows() {
            // Wrapped, never cut: the end of a line ("next try at 09:27:03") is what the operator is waiting for.
            // One column short of the width, so the terminal never wraps on its own and the count below holds.
            for line in Wrap.lines(row, width: width - 1, indent: DeliveryText.continuationIndent) {
                output += line + "\n"
                count += 1
            }
        }
        drawnLines = count
        Console.write(output)
    }
}

/// The terminal's width in columns: `COLUMNS` when set (a script or a test asking for a width), else what the
/// terminal says (TIOCGWINSZ), else 80. Read again at each redraw, so a resized window is followed.
enum TerminalWidth {
    static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        if let text = environment["COLUMNS"], let columns = Int(text.trimmingWhitespace()), columns > 0 {
            return max(columns, 20)
        }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return max(Int(size.ws_col), 20) }
        return 80
    }
}

/// Word wrapping for the terminal: breaks at spaces, continuation lines indented, a word longer than a line is
/// split. Widths count characters (one column each), which holds for the Latin scripts Tocsin's operators read.
enum Wrap {
    static func lines(_ text: String, width: Int, indent: Int) -> [String] {
        guard text.count > width else { return [text] }
        let width = max(width, 10)
        let indent = min(indent, width / 2)
        let prefix = String(repeating: " ", count: indent)
        // The row's own leading spaces stay; the rest splits on single spaces, so padded columns keep their runs.
        let lead = text.prefix { $0 == " " }
        var lines: [String] = []
        var line = String(lead)
        var start = lead.count
        var count = start
        func breakLine() {
            lines.append(String(line.reversed().drop { $0 == " " }.reversed()))
            line = prefix
            start = indent
            count = indent
        }
        for piece in text.dropFirst(lead.count).split(separator: " ", omittingEmptySubsequences: false) {
            var word = piece
            if count > start {
                // A word that fits on a fresh line goes there; one too long for any line starts here and is split.
                if count + 1 + word.count > width, word.count <= width - indent { breakLine() } else { line += " "; count += 1 }
            }
            // A word longer than the room left is split over as many lines as it needs.
            while count + word.count > width {
                let room = width - count
                line += word.prefix(room)
                word = word.dropFirst(room)
                breakLine()
            }
            line += word
            count += word.count
        }
        if count > start || lines.isEmpty { lines.append(line) }
        return lines
    }
}

/// One line per delivery: while following a send, in `status`, in `channels test`. The state word first, in the
/// operator's language; a retry says how long the answer took and when the next try is, in local time, in words
/// that cannot be read as a delay ("answer took 5 ms, next try at 09:27:03").
enum DeliveryText {
    /// Continuation lines of a wrapped row start under the target, after the state word.
    static let continuationIndent = 13

    static func word(_ state: String) -> String {
        switch state {
        case "delivered": tr("livré", "delivered")
        case "retrying": tr("réessai", "retrying")
        case "failed": tr("ÉCHEC", "FAILED")
        case "cancelled": tr("annulé", "cancelled")
        case "pending": tr("en attente", "pending")
        case "sending": tr("envoi", "sending")
        default: state
        }
    }

    /// "2 delivered" / "2 livrées": a count of deliveries in one state (a delivery, "livraison", is feminine).
    static func count(_ number: Int, _ state: String) -> String {
        let plural = number > 1
        let french = switch state {
        case "delivered": plural ? "livrées" : "livrée"
        case "failed": "en échec"
        case "retrying": "en réessai"
        case "pending": "en attente"
        case "sending": "en cours d'envoi"
        case "cancelled": plural ? "annulées" : "annulée"
        default: state
        }
        return "\(number) " + tr(french, state)
    }

    /// The daemon's words for a service's acceptance, in French when that is the operator's language (by the
    /// channel's type and the receipt's id, never by reading the English).
    static func acceptance(_ acceptance: String?, channelType: String?, receipt: String?) -> String? {
        guard let acceptance else { return nil }
        return OperatorLanguage.current == .fr ? ServiceAnswer.frenchAcceptance(channelType: channelType, id: receipt) ?? acceptance : acceptance
    }

    /// What went wrong, in the operator's language (``ServiceAnswer/frenchError(_:status:channelType:)``).
    static func error(_ delivery: DeliveryStatus) -> String {
        guard let english = delivery.lastError else { return "?" }
        return FailureText.said(
            english, kind: delivery.errorKind, status: delivery.lastStatus, channelType: delivery.channelType,
            latencyMillis: delivery.lastLatencyMillis
        )
    }

    static func text(_ delivery: DeliveryStatus, now: Date = Date()) -> String {
        let target = delivery.recipient.map { "\(delivery.channel) → \($0)" } ?? delivery.channel
        // The number of the attempt, not a count: "essai 8", "attempt 8".
        let attempts = tr("essai \(delivery.attempts)", "attempt \(delivery.attempts)")
        let colon = tr(" : ", ": ")
        let label = Console.pad(word(delivery.state), 10)
        switch delivery.state {
        case "delivered":
            let answer = delivery.lastStatus.map { ", " + ServiceAnswer.label($0, channelType: delivery.channelType) } ?? ""
            // From the trigger, said as such (not the answer's time).
            let time = delivery.timeToDeliverMillis.map { tr(", \(Elapsed.text($0)) après l'envoi", ", \(Elapsed.text($0)) after sending") } ?? ""
            // The acceptance starts with its verb: a service that only queued says "accepted", never "delivered".
            if let acceptance = acceptance(delivery.acceptance, channelType: delivery.channelType, receipt: delivery.receipt),
               let space = acceptance.firstIndex(of: " ") {
                let verb = String(acceptance[..<space]), rest = acceptance[acceptance.index(after: space)...]
                return "  \(Console.pad(verb, 10)) \(target) \(rest) (\(attempts)\(answer)\(time))"
            }
            return "  \(label) \(target) (\(attempts)\(answer)\(time))"
        case "retrying":
            var then: [String] = []
            // Only an answer has a time to show: a timeout's 5001 ms is no answer ("no answer after 5 s" says it).
            if let millis = delivery.lastLatencyMillis, FailureText.answered(delivery.errorKind, status: delivery.lastStatus) {
                then.append(tr("réponse en \(millis) ms", "answer took \(millis) ms"))
            }
            if let next = delivery.nextAttemptAt {
                then.append(tr("prochain essai à ", "next try at ") + TimeDisplay.format(next, style: .near, now: now))
            }
            return "  \(label) \(target) (\(attempts))\(colon)\(error(delivery))" + (then.isEmpty ? "" : "; " + then.joined(separator: ", "))
        case "failed":
            return "  \(label) \(target) (\(attempts))\(colon)\(error(delivery))"
                + (delivery.misconfiguration ? tr(" [vérifier la configuration du canal]", " [check the channel's configuration]") : "")
        case "cancelled":
            return "  \(label) \(target)"
        default:
            return "  \(label) \(target)"
        }
    }
}

/// Ctrl-C while following a send stops watching, never the send: say so, with the command to keep following.
enum InterruptNotice {
    // Written once before the handler is installed and only read by it; a signal handler may touch nothing else.
    nonisolated(unsafe) private static var message: [UInt8] = []

    static func install(_ text: String) {
        message = Array(text.utf8)
        signal(SIGINT) { _ in
            InterruptNotice.message.withUnsafeBufferPointer { buffer in
                _ = write(STDERR_FILENO, buffer.baseAddress, buffer.count)
            }
            _exit(130)
        }
    }
}
