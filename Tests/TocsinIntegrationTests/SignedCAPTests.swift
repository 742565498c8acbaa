import Foundation
import Testing
import TocsinTestSupport

/// Signed CAP end to end (issue 19, items 2 and 3): a real tocsind with `cap.signing_key_file`, a `cap` channel that
/// POSTs to the loopback receiver and writes a feed folder; what leaves it is checked by `xmlsec1 --verify`, the
/// WMO's `capvalidator` (strict), `xmllint` with the OASIS schema and `feedparser`, with keys made by `openssl`.
@Suite(
    .serialized, .integration, .timeLimit(.minutes(3)),
    .enabled("needs openssl, xmlsec1, xmllint, capvalidator and feedparser (scripts/install-deps.sh)") { await required { await CAPSigningTools.available() } }
)
struct SignedCAPTests {
    static func capConfig(receiver: LoopbackReceiver, key: String, certificate: String) -> TestConfig {
        var cap = TestConfig.Channel("cap", url: receiver.url("/cap"), extra: "    feed_dir: feed\n")
        cap.type = "cap"
        var config = TestConfig(channels: [cap])
        config.extraYAML = "cap:\n  signing_key_file: \(key)\n  certificate_file: \(certificate)\n"
        return config
    }

    /// Sends the evacuation; returns the incident id once both targets (POST and feed) are delivered.
    static func send(_ bed: TestBed, building: String) async throws -> String {
        let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=\(building)", "--yes", "--json"])
        #expect(send.status == 0, "\(send)\n\(bed.daemon.log())")
        let summary = try #require(send.jsonLines.last)
        #expect(summary["delivered"] as? Int == 2, "the POST and the feed: \(send)")
        return try #require(send.jsonLines.first?["incident"] as? String)
    }

    /// All three checks on one file: each result, for the caller to expect passes or failures.
    static func checks(_ file: String, certificate: String) async throws -> [(tool: String, result: CommandResult)] {
        [
            ("xmlsec1", try await CAPSigningTools.xmlsec(file, certificate: certificate)),
            ("capvalidator", try await CAPSigningTools.capvalidator(file)),
            ("xmllint", try await CAPSigningTools.schema(file)),
        ]
    }

    @Test func thePostedAndPublishedAlertsAreSignedAndEveryOutsideCheckAgrees() async throws {
        let keys = try TemporaryDirectory()
        defer { keys.remove() }
        let (key, certificate) = try await CAPSigningTools.makeKey(.rsa, in: keys)
        let bed = try await TestBed { Self.capConfig(receiver: $0, key: key, certificate: certificate) }
        defer { bed.tearDown() }

        let check = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", bed.daemon.configPath])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("cap channel 'cap': alerts are signed with RSA-SHA256 (certificate \(certificate): "), "\(check)")

        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
        let incident = try await Self.send(bed, building: "Pavillon A")

        // The POST and the feed's file are the same bytes: signed once, when the incident was stored.
        let post = try #require(bed.receiver.requests(path: "/cap").first)
        #expect(post.headers["content-type"] == "application/cap+xml")
        let posted = try bed.directory.write("posted.xml", post.body)
        let published = bed.directory.file("feed/\(incident).xml")
        #expect(try String(contentsOfFile: published, encoding: .utf8) == post.body)
        #expect(post.body.contains("<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"))
        for file in [posted, published] {
            for (tool, result) in try await Self.checks(file, certificate: certificate) {
                #expect(result.status == 0, "\(tool) on \(file): \(result)")
            }
        }

        // One byte changed (`Public` → `Publik`): each check fails.
        let alert = Array(try Data(contentsOf: URL(fileURLWithPath: published)))
        let changed = try #require(CAPSigningTools.tampered(alert, "<scope>Public</scope>", "<scope>Publik</scope>"))
        let tampered = try bed.directory.write("tampered.xml", String(decoding: changed, as: UTF8.self))
        for (tool, result) in try await Self.checks(tampered, certificate: certificate) {
            #expect(result.status != 0, "\(tool) accepted a changed alert: \(result)")
        }

        // The Atom feed parses cleanly and its entry links the signed alert, relative to the feed.
        let feed = try await CAPSigningTools.feed(bed.directory.file("feed/index.atom"))
        #expect(feed["bozo"] as? Bool == false, "\(feed)")
        #expect(feed["entries"] as? [[String]] == [["\(incident).xml"]], "\(feed)")
    }

    /// Rotation as the runbook does it: new files in place, `tocsinctl reload`; the next alert carries the new
    /// certificate. A broken key at reload is refused, naming the file, and the running key stays.
    @Test func aReloadRotatesTheKeyAndRefusesABrokenOne() async throws {
        let keys = try TemporaryDirectory()
        defer { keys.remove() }
        let (key, certificate) = try await CAPSigningTools.makeKey(.rsa, in: keys)
        let bed = try await TestBed { Self.capConfig(receiver: $0, key: key, certificate: certificate) }
        defer { bed.tearDown() }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
        let old = keys.file("old.crt")
        try FileManager.default.copyItem(atPath: certificate, toPath: old)

        let next = try await CAPSigningTools.makeKey(.ecdsa, named: "next", in: keys)
        // Written over in place: the key file keeps its 0600.
        for (from, to) in [(next.key, key), (next.certificate, certificate)] {
            try Data(contentsOf: URL(fileURLWithPath: from)).write(to: URL(fileURLWithPath: to))
        }
        let reload = try await bed.daemon.ctl("reload", "--json")
        #expect(reload.status == 0, "\(reload)")
        // The config text did not change, the key did: the reload says it changed, and the audit names the certificate.
        let result = try #require(try JSONSerialization.jsonObject(with: Data(reload.stdout.utf8)) as? [String: Any], "\(reload)")
        #expect(result["changed"] as? Bool == true, "\(reload)")
        let fingerprint = try await runCommand("/usr/bin/openssl", ["x509", "-in", certificate, "-noout", "-fingerprint", "-sha256"])
        let pinned = try #require(fingerprint.stdout.split(separator: "=").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        let audit = try await bed.daemon.ctl("audit", "log", "--json").jsonLines.last { $0["kind"] as? String == "config.reload" }
        #expect((audit?["detail"] as? String)?.contains("\"cap_certificate\":\"\(pinned)\"") == true, "\(String(describing: audit))")
        let incident = try await Self.send(bed, building: "Pavillon B")
        let published = bed.directory.file("feed/\(incident).xml")
        #expect(try String(contentsOfFile: published, encoding: .utf8).contains("ecdsa-sha256"))
        for (tool, result) in try await Self.checks(published, certificate: certificate) {
            #expect(result.status == 0, "\(tool): \(result)")
        }
        let withOld = try await CAPSigningTools.xmlsec(published, certificate: old)
        #expect(withOld.status != 0, "the old certificate must not vouch for the new key: \(withOld)")

        // A key that is not one: check-config and reload both refuse it by name, and say nothing of its content.
        try "-----BEGIN PRIVATE KEY-----\nTk9UQUtFWQ==\n-----END PRIVATE KEY-----\n".write(toFile: key, atomically: false, encoding: .utf8)
        let check = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", bed.daemon.configPath])
        #expect(check.status == 1, "\(check)")
        #expect(check.stderr.contains("'cap.signing_key_file' (\(key)) is not a PEM private key"), "\(check)")
        let refused = try await bed.daemon.ctl("reload")
        #expect(refused.status != 0, "\(refused)")
        #expect((refused.stdout + refused.stderr).contains(key), "\(refused)")
        #expect(!(refused.stdout + refused.stderr + check.stdout + check.stderr).contains("Tk9UQUtFWQ"))
        // The running key still signs.
        let after = try await Self.send(bed, building: "Pavillon A")
        let afterCheck = try await CAPSigningTools.xmlsec(bed.directory.file("feed/\(after).xml"), certificate: certificate)
        #expect(afterCheck.status == 0, "\(afterCheck)")
        let feed = try await CAPSigningTools.feed(bed.directory.file("feed/index.atom"))
        #expect(feed["bozo"] as? Bool == false && (feed["entries"] as? [[String]])?.count == 2, "\(feed)")
    }

    @Test func withoutAKeyCheckConfigSaysTheAlertsAreNotSigned() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var cap = TestConfig.Channel("cap", url: "", extra: "    feed_dir: feed\n")
        cap.type = "cap"
        let path = try TestConfig(channels: [cap]).write(to: folder)
        let check = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", path])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("\ncap channel 'cap': alerts are not signed (no cap.signing_key_file)\n"), "\(check)")
    }

    /// A daemon whose key does not match its certificate does not start, and says which files.
    @Test func aMismatchedPairStopsTheStart() async throws {
        let keys = try TemporaryDirectory()
        defer { keys.remove() }
        let (key, _) = try await CAPSigningTools.makeKey(.ecdsa, in: keys)
        let other = try await CAPSigningTools.makeKey(.ecdsa, named: "other", in: keys)
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var cap = TestConfig.Channel("cap", url: "", extra: "    feed_dir: feed\n")
        cap.type = "cap"
        var config = TestConfig(channels: [cap])
        config.extraYAML = "cap:\n  signing_key_file: \(key)\n  certificate_file: \(other.certificate)\n"
        let path = try config.write(to: folder)
        let start = try await runCommand(PackagePaths.tocsind, ["--config", path])
        #expect(start.status == 1, "\(start)")
        #expect(start.stderr.contains("'cap.certificate_file' (\(other.certificate)) does not match 'cap.signing_key_file' (\(key))"), "\(start)")
    }
}
