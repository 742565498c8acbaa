import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests
import TocsinTestSupport

struct CAPEndpointTests {
    static let postURL = "https://alertes.example.org/cap"
    static let firstAlert = "alertes@cegep.example,20261123-K7QF2A,2026-11-23T11:40:42-05:00"

    static func definition(url: String? = postURL, feed: String? = nil, languages: [String] = ["fr", "en"]) -> ChannelDefinition {
        var settings: [String: String] = [:]
        settings["url"] = url
        settings["feed_dir"] = feed
        let recipients = [url.map { _ in "post" }, feed.map { _ in "feed" }].compactMap { $0 }
        return ChannelDefinition(name: "cap", type: .cap, languages: languages, settings: settings, recipients: recipients)
    }

    static func message(
        id: String = "20261123-K7QF2A", status: CAP.Status = .actual, msgType: CAP.MessageType = .alert,
        references: [String] = [], sent: String = "2026-11-23T11:40:42-05:00", body: String = "Quittez Pavillon A immédiatement.",
        titlePrefix: String = ""
    ) -> OutgoingMessage {
        OutgoingMessage(
            incidentID: id, status: status, msgType: msgType, references: references, templateID: "evacuation",
            approved: true, organization: "Cégep de l'Exemple", sender: "alertes@cegep.example", sent: sent, category: .fire,
            severity: .extreme, urgency: .immediate, certainty: .observed, response: .evacuate,
            messages: [
                RenderedMessage(
                    language: "fr", event: "Évacuation", title: "\(titlePrefix)ÉVACUATION — Pavillon A", body: body, instruction: "Ne revenez pas."
                ),
                RenderedMessage(language: "en", event: "Evacuation", title: "\(titlePrefix)EVACUATION — Pavillon A", body: "Leave Pavillon A now."),
            ]
        )
    }

    struct Alert: Decodable {
        struct Info: Decodable {
            var language: String
            var category: String
            var event: String
            var responseType: String?
            var urgency: String
            var severity: String
            var certainty: String
            var senderName: String
            var headline: String
            var description: String
            var instruction: String?
        }

        var identifier: String
        var sender: String
        var sent: String
        var status: String
        var msgType: String
        var scope: String
        var note: String?
        var references: String?
        var infos: [Info]
        var script: Int
    }

    /// Reads the alert back with Python's XML parser: the values as a consumer sees them.
    static func parse(_ document: [UInt8]) async throws -> Alert {
        let script = """
            import json, sys
            import xml.etree.ElementTree as ET
            ns = "{urn:oasis:names:tc:emergency:cap:1.2}"
            root = ET.fromstring(sys.stdin.buffer.read())
            assert root.tag == ns + "alert", root.tag
            def fields(node):
                return {child.tag[len(ns):]: child.text for child in node if child.tag != ns + "info"}
            out = fields(root)
            out["infos"] = [fields(info) for info in root.findall(ns + "info")]
            out["script"] = len(root.findall(".//script")) + len(root.findall(".//" + ns + "script"))
            print(json.dumps(out))
            """
        let result = try await ExternalTools.run(["python3", "-c", script], input: document)
        try #require(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(Alert.self, from: Data(result.stdout.utf8))
    }

    static var cases: [(String, OutgoingMessage)] {
        [
            ("alert", message()),
            ("update", message(id: "20261123-M2P9QX", msgType: .update, references: [firstAlert], sent: "2026-11-23T11:52:07-05:00")),
            ("cancel", message(id: "20261123-Z8W4RT", msgType: .cancel, references: [firstAlert], sent: "2026-11-23T12:30:00-05:00")),
            ("drill", message(id: "20261124-D1R7LL", status: .exercise, titlePrefix: "EXERCICE — ")),
            ("test", message(id: "20261124-T3S7AA", status: .test)),
        ]
    }

    @Test(arguments: cases)
    func everyAlertValidatesAgainstTheCAP12Schema(kind: String, message: OutgoingMessage) async throws {
        let endpoint = try CAPEndpoint(Self.definition(), timeout: .seconds(10))
        let payload = try endpoint.encode(message)
        #expect(payload.contentType == "application/cap+xml")
        #expect(try await ExternalTools.capSchemaProblems(payload.body) == nil)
    }

    @Test func theAlertCarriesTheIncidentAndOneInfoPerLanguageFrenchFirst() async throws {
        let endpoint = try CAPEndpoint(Self.definition(), timeout: .seconds(10))
        let alert = try await Self.parse(endpoint.encode(Self.message()).body)

        #expect(alert.identifier == "20261123-K7QF2A")
        #expect(alert.sender == "alertes@cegep.example")
        #expect(alert.sent == "2026-11-23T11:40:42-05:00")
        #expect(alert.status == "Actual")
        #expect(alert.msgType == "Alert")
        #expect(alert.scope == "Public")
        #expect(alert.references == nil)
        #expect(alert.note == nil)
        #expect(alert.infos.map(\.language) == ["fr-CA", "en-CA"])
        let french = try #require(alert.infos.first)
        #expect(french.category == "Fire")
        #expect(french.event == "Évacuation")
        #expect(french.responseType == "Evacuate")
        #expect(french.urgency == "Immediate")
        #expect(french.severity == "Extreme")
        #expect(french.certainty == "Observed")
        #expect(french.senderName == "Cégep de l'Exemple")
        #expect(french.headline == "ÉVACUATION — Pavillon A")
        #expect(french.description == "Quittez Pavillon A immédiatement.")
        #expect(french.instruction == "Ne revenez pas.")
        #expect(alert.infos.last?.instruction == nil)
    }

    @Test func followUpsReferenceTheFirstAlertAndDrillsAreExercises() async throws {
        let endpoint = try CAPEndpoint(Self.definition(), timeout: .seconds(10))
        let second = "alertes@cegep.example,20261123-M2P9QX,2026-11-23T11:52:07-05:00"
        let cancel = try await Self.parse(endpoint.encode(Self.message(msgType: .cancel, references: [Self.firstAlert, second])).body)
        #expect(cancel.msgType == "Cancel")
        #expect(cancel.references == "\(Self.firstAlert) \(second)")

        let drill = try await Self.parse(endpoint.encode(Self.message(status: .exercise, titlePrefix: "EXERCICE — ")).body)
        #expect(drill.status == "Exercise")
        #expect(drill.note?.contains("Exercise") == true)
        #expect(drill.infos.first?.headline == "EXERCICE — ÉVACUATION — Pavillon A")
    }

    @Test func aChannelInEnglishOnlyGetsOneInfo() async throws {
        let endpoint = try CAPEndpoint(Self.definition(languages: ["en"]), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message())
        #expect(try await Self.parse(payload.body).infos.map(\.language) == ["en-CA"])
        #expect(try await ExternalTools.capSchemaProblems(payload.body) == nil)
    }

    @Test(arguments: [
        "</description><script>alert(1)</script><description>",
        "]]><![CDATA[ & &amp; <!-- x --> <?pi?> \"'",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>&e;",
    ])
    func markupInAValueStaysText(value: String) async throws {
        let endpoint = try CAPEndpoint(Self.definition(), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message(body: "Quittez \(value)"))

        #expect(try await ExternalTools.capSchemaProblems(payload.body) == nil)
        let alert = try await Self.parse(payload.body)
        #expect(alert.infos.first?.description == "Quittez \(value)")
        #expect(alert.script == 0)
    }

    @Test func controlCharactersThatXMLForbidsAreDropped() async throws {
        let endpoint = try CAPEndpoint(Self.definition(), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message(body: "Quittez\u{0} le\u{1B} pavillon\tA\nmaintenant."))
        #expect(try await ExternalTools.capSchemaProblems(payload.body) == nil)
        #expect(try await Self.parse(payload.body).infos.first?.description == "Quittez le pavillon\tA\nmaintenant.")
    }

    // MARK: Targets

    @Test func thePostTargetSendsTheAlertAsCAPXML() throws {
        let endpoint = try CAPEndpoint(Self.definition(feed: "/srv/feed"), timeout: .seconds(9))
        let payload = try endpoint.encode(Self.message())
        let request = try #require(endpoint.request(deliveryID: "msg_1", recipient: "post", payload: payload, at: Date()).http)
        #expect(request.method == "POST")
        #expect(request.url == Self.postURL)
        #expect(request.headers == [HTTPHeader("content-type", "application/cap+xml")])
        #expect(request.body == payload.body)
        #expect(request.timeout == .seconds(9))
    }

    @Test func theFeedTargetWritesTheAlertThenTheIndex() throws {
        let endpoint = try CAPEndpoint(Self.definition(feed: "/srv/feed"), timeout: .seconds(9))
        let payload = try endpoint.encode(Self.message())
        guard case .file(let drop) = endpoint.request(deliveryID: "msg_1", recipient: "feed", payload: payload, at: Date()) else {
            Issue.record("the feed target is not a file drop")
            return
        }
        #expect(drop.folder == "/srv/feed")
        #expect(drop.files.map(\.name) == ["20261123-K7QF2A.xml"])
        #expect(drop.files.first?.contents == payload.body)
        #expect(drop.derived != nil)
    }

    @Test func withoutARecipientTheOnlyTargetIsUsedAndAMissingTargetFailsAsMisconfigured() throws {
        let feedOnly = try CAPEndpoint(Self.definition(url: nil, feed: "/srv/feed"), timeout: .seconds(9))
        let payload = try feedOnly.encode(Self.message())
        guard case .file = feedOnly.request(deliveryID: "msg_1", recipient: nil, payload: payload, at: Date()) else {
            Issue.record("expected the feed")
            return
        }
        // A `post` delivery left over from before a reload removed the url: an empty URL, which curl refuses.
        let leftover = try #require(feedOnly.request(deliveryID: "msg_1", recipient: "post", payload: payload, at: Date()).http)
        #expect(leftover.url.isEmpty)
    }

    @Test func aChannelWithNoTargetIsRefused() {
        #expect(throws: ChannelError.self) { try CAPEndpoint(Self.definition(url: nil, feed: nil), timeout: .seconds(1)) }
    }

    // MARK: Feed

    /// Does what the daemon's FileDropper does: the files, then the derived ones, each replaced whole.
    static func write(_ drop: FileDrop) throws {
        let folder = URL(fileURLWithPath: drop.folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in drop.files { try Data(file.contents).write(to: folder.appendingPathComponent(file.name), options: .atomic) }
        for file in try drop.derived?(drop.folder) ?? [] {
            try Data(file.contents).write(to: folder.appendingPathComponent(file.name), options: .atomic)
        }
    }

    static func feedDrop(_ endpoint: CAPEndpoint, _ message: OutgoingMessage) throws -> FileDrop {
        guard case .file(let drop) = endpoint.request(deliveryID: "msg_1", recipient: "feed", payload: try endpoint.encode(message), at: Date()) else {
            throw ChannelError(channel: "cap", "not a file drop")
        }
        return drop
    }

    struct Feed: Decodable {
        struct Entry: Decodable {
            var id: String
            var title: String
            var updated: String
            var link: String
            var summary: String
        }

        var title: String
        var updated: String
        var entries: [Entry]
    }

    static func parseFeed(_ path: String) async throws -> Feed {
        let script = """
            import json, sys
            import xml.etree.ElementTree as ET
            a = "{http://www.w3.org/2005/Atom}"
            root = ET.parse(sys.argv[1]).getroot()
            assert root.tag == a + "feed", root.tag
            entries = [{"id": e.find(a + "id").text, "title": e.find(a + "title").text, "updated": e.find(a + "updated").text,
                        "link": e.find(a + "link").get("href"), "summary": e.find(a + "summary").text}
                       for e in root.findall(a + "entry")]
            print(json.dumps({"title": root.find(a + "title").text, "updated": root.find(a + "updated").text, "entries": entries}))
            """
        let result = try await ExternalTools.run(["python3", "-c", script, path])
        try #require(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(Feed.self, from: Data(result.stdout.utf8))
    }

    @Test func theFeedListsTheNewest50AlertsNewestFirstEachLinkingToItsFile() async throws {
        let folder = try ExternalTools.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let endpoint = try CAPEndpoint(Self.definition(url: nil, feed: folder.path), timeout: .seconds(9))

        // 55 alerts, out of order, with offsets that make text order and time order differ.
        for index in (0..<55).shuffled() {
            let minute = String(format: "%02d", index)
            let offset = index % 2 == 0 ? "-05:00" : "-04:00"
            let hour = index % 2 == 0 ? "11" : "12"  // the same instant family in both offsets: 11:mm-05:00 = 12:mm-04:00
            let message = Self.message(id: "20261123-A\(minute)", sent: "2026-11-23T\(hour):\(minute):00\(offset)", body: "Alerte \(index)")
            try Self.write(Self.feedDrop(endpoint, message))
        }
        // Written again (a retry): replaced, not listed twice.
        try Self.write(Self.feedDrop(endpoint, Self.message(id: "20261123-A54", sent: "2026-11-23T12:54:00-04:00", body: "Alerte 54")))

        let check = try await ExternalTools.run(["xmllint", "--noout", folder.appendingPathComponent("index.atom").path])
        #expect(check.status == 0, "\(check.stderr)")
        let feed = try await Self.parseFeed(folder.appendingPathComponent("index.atom").path)
        #expect(feed.entries.count == 50)
        #expect(feed.entries.map(\.summary) == (5..<55).reversed().map { "Alerte \($0)" })
        #expect(feed.updated == "2026-11-23T12:54:00-04:00")
        #expect(feed.title == "Cégep de l'Exemple — CAP")
        #expect(Set(feed.entries.map(\.id)).count == 50)
        for entry in feed.entries {
            #expect(entry.link.hasSuffix(".xml") && !entry.link.contains("/"), "relative link: \(entry.link)")
            let document = try Data(contentsOf: folder.appendingPathComponent(entry.link))
            #expect(try await ExternalTools.capSchemaProblems(Array(document)) == nil)
        }
        #expect(feed.entries.first?.title == "ÉVACUATION — Pavillon A")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".xml") }
        #expect(files.count == 55, "older alerts leave the index, not the folder")
    }

    @Test func valuesInTheFeedAreEscapedToo() async throws {
        let folder = try ExternalTools.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let endpoint = try CAPEndpoint(Self.definition(url: nil, feed: folder.path), timeout: .seconds(9))
        let value = "</summary><script>alert(1)</script> & &amp;"
        try Self.write(Self.feedDrop(endpoint, Self.message(body: value)))

        let feed = try await Self.parseFeed(folder.appendingPathComponent("index.atom").path)
        #expect(feed.entries.first?.summary == value)
    }
}
