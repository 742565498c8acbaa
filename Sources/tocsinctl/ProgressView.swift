import Foundation
import TocsinProtocol

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
        InterruptNotice.install("\nStopped watching. Incident \(incident) is stored and its delivery continues; follow it with: tocsinctl status \(incident)\n")
        if interactive { redraw() }
    }

    func update(_ delivery: DeliveryStatus) {
        record(delivery)
        if interactive {
            redraw()
        } else if delivery.state != "pending" {
            print(ProgressLine.text(delivery))
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
            if list.count == 1, let only = list.first { return ProgressLine.text(only) }
            var counts: [String: Int] = [:]
            for delivery in list { counts[delivery.state, default: 0] += 1 }
            // What "delivered" means for this service, without the id: "accepted by Twilio" for SMS, "accepted by the
            // mail server" for e-mail (they only queue), from the acceptance of its delivered deliveries.
            let meaning = list.lazy.compactMap(\.acceptance).first.map { $0.prefix { $0 != "(" }.trimmingCharacters(in: .whitespaces) }
            let summary = ["delivered", "sending", "retrying", "pending", "failed", "cancelled"]
                .compactMap { state in counts[state].map { "\($0) \(state == "delivered" ? meaning ?? state : state)" } }.joined(separator: ", ")
            let lastError = list.compactMap(\.lastError).last.map { " — last error: \($0)" } ?? ""
            return "  \(Console.pad(channel, 20)) \(list.count) recipients: \(summary)\(lastError)"
        }
    }

    private func redraw() {
        var output = ""
        if drawnLines > 0 { output += "\u{1B}[\(drawnLines)A" }
        let lines = rows()
        let width = Int(Self.terminalWidth())
        for line in lines {
            // Clear the old line; clip so a long error never wraps and breaks the cursor arithmetic.
            output += "\u{1B}[2K" + String(line.prefix(max(20, width - 1))) + "\n"
        }
        drawnLines = lines.count
        FileHandle.standardOutput.write(Data(output.utf8))
    }

    private static func terminalWidth() -> UInt16 {
        var size = winsize()
        return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? size.ws_col : 100
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
