import Foundation

/// A folder of CAP alerts that any web server can publish: `<identifier>.xml` per alert, and `index.atom`
/// (Atom 1.0, RFC 4287) listing the newest ``limit`` alerts, newest first, each linking to its XML file.
///
/// The feed is regenerated from `index.json`, the entries as data (title, summary, date per alert), rather than by
/// parsing the XML files back: the folder may hold thousands of alerts. Every file is replaced atomically and the
/// alert is written before the index that links to it, so a reader never sees a half file or a dangling link.
enum CAPFeed {
    static let indexName = "index.atom"
    static let entriesName = "index.json"
    static let limit = 50

    /// One alert as the feed lists it.
    struct Entry: Codable, Sendable, Equatable {
        var identifier: String
        var file: String
        var sender: String
        var senderName: String
        var sent: String
        var language: String?
        var title: String
        var summary: String
    }

    private struct Entries: Codable {
        var version = 1
        var entries: [Entry]
    }

    /// The drop for one alert document: its file, then the feed regenerated with it.
    static func drop(folder: String, alert: [UInt8]) -> FileDrop {
        guard let summary = CAPAlert.summary(of: alert) else {
            // Not a document CAPAlert wrote (cannot happen for stored payloads): publish it, leave the feed alone.
            return FileDrop(folder: folder, name: "alert-\(alert.count).xml", contents: alert)
        }
        let entry = Entry(
            identifier: summary.identifier, file: fileName(for: summary.identifier), sender: summary.sender,
            senderName: summary.senderName, sent: summary.sent, language: summary.language, title: summary.headline,
            summary: summary.description
        )
        return FileDrop(folder: folder, files: [FileDrop.File(name: entry.file, contents: alert)]) { folder in
            try index(in: folder, adding: entry)
        }
    }

    /// `index.json` and `index.atom` with `entry` added (or replaced, when an alert is written again).
    static func index(in folder: String, adding entry: Entry) throws -> [FileDrop.File] {
        let path = URL(fileURLWithPath: folder).appendingPathComponent(entriesName)
        var entries: [Entry] = []
        if let data = FileManager.default.contents(atPath: path.path) {
            // An unreadable index starts over rather than stopping the feed; the XML files all stay.
            entries = (try? JSONDecoder().decode(Entries.self, from: data))?.entries ?? []
        }
        entries.removeAll { $0.identifier == entry.identifier }
        entries.append(entry)
        entries = newestFirst(entries).prefix(limit).map { $0 }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return [
            FileDrop.File(name: entriesName, contents: Array(try encoder.encode(Entries(entries: entries)))),
            // Last: the index links only to files already in place.
            FileDrop.File(name: indexName, contents: Array(atom(entries).utf8)),
        ]
    }

    /// The Atom document. Links are relative to the feed, so it works under whatever URL the folder is served.
    static func atom(_ entries: [Entry]) -> String {
        let newest = entries.first
        let sender = newest?.sender ?? "tocsin"
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
        xml += "  <id>\(CAPAlert.escaped("urn:tocsin:cap-feed:" + uriSafe(sender)))</id>\n"
        xml += "  <title>\(CAPAlert.escaped((newest?.senderName ?? sender) + " — CAP"))</title>\n"
        // The newest alert's date: regenerating the same feed gives the same bytes.
        xml += "  <updated>\(CAPAlert.escaped(newest?.sent ?? "1970-01-01T00:00:00+00:00"))</updated>\n"
        xml += "  <author><name>\(CAPAlert.escaped(newest?.senderName ?? sender))</name></author>\n"
        xml += "  <link rel=\"self\" type=\"application/atom+xml\" href=\"\(indexName)\"/>\n"
        for entry in entries {
            let lang = entry.language.map { " xml:lang=\"\(CAPAlert.escaped($0))\"" } ?? ""
            xml += "  <entry>\n"
            xml += "    <id>\(CAPAlert.escaped("urn:tocsin:cap:" + uriSafe(entry.sender) + ":" + uriSafe(entry.identifier)))</id>\n"
            xml += "    <title\(lang)>\(CAPAlert.escaped(entry.title))</title>\n"
            xml += "    <updated>\(CAPAlert.escaped(entry.sent))</updated>\n"
            xml += "    <published>\(CAPAlert.escaped(entry.sent))</published>\n"
            xml += "    <link rel=\"alternate\" type=\"application/cap+xml\" href=\"\(CAPAlert.escaped(entry.file))\"/>\n"
            xml += "    <summary\(lang)>\(CAPAlert.escaped(entry.summary))</summary>\n"
            xml += "  </entry>\n"
        }
        xml += "</feed>\n"
        return xml
    }

    /// `<identifier>.xml`, with anything but letters, digits, `.`, `_` and `-` replaced so it stays one file name.
    static func fileName(for identifier: String) -> String {
        let safe = String(identifier.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar)) ? Character(scalar) : "_"
        })
        return (safe.hasPrefix(".") ? "_" + safe.dropFirst() : safe) + ".xml"
    }

    /// Sorted by the moment each alert was sent (offsets differ, so not by text), newest first.
    private static func newestFirst(_ entries: [Entry]) -> [Entry] {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime]
        let keyed = entries.map { (entry: $0, date: parser.date(from: $0.sent) ?? .distantPast) }
        return keyed.sorted { $0.date != $1.date ? $0.date > $1.date : $0.entry.identifier > $1.entry.identifier }.map(\.entry)
    }

    /// Percent-encodes what may not appear in a URN's specific string.
    private static func uriSafe(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~@!$&'()*+,;=")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
