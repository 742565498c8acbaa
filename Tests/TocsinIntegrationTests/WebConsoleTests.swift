import Foundation
import Testing
import TocsinTestSupport

/// The web console (issue 18) as the communications officer uses it from a phone, and as an attacker tries it: a
/// real `tocsind`, a real `tocsin-web` run as its own user (`nobody` here), HTTPS on 127.0.0.1 with a certificate
/// from a CA the test makes with openssl, Debian's Chromium driven by Selenium, TOTP codes from PyPI's pyotp
/// (scripts/web-console-check.py). Screenshots are kept in the test's artefacts folder.
@Suite(.serialized, .integration, .timeLimit(.minutes(8)))
struct WebConsoleTests {
    static let password = "Trois chats gris 2026"
    static let checker = PackagePaths.root.appendingPathComponent("scripts/web-console-check.py").path
    /// Where the screenshots stay after the run (inside .build, out of git).
    static let artefacts = PackagePaths.root.appendingPathComponent(".build/test-artefacts/web-console").path

    struct Certificates {
        let ca: String
        let certificate: String
        let key: String
        /// The SHA-256 of the certificate's public key, base64: what Chromium is told to trust.
        let spki: String
    }

    /// A CA and a certificate for 127.0.0.1 signed by it, readable by the console's user.
    static func certificates(in directory: TemporaryDirectory) async throws -> Certificates {
        let folder = directory.file("tls")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        func openssl(_ arguments: [String]) async throws {
            let result = try await runCommand("/usr/bin/openssl", arguments)
            guard result.status == 0 else { throw TestSupportError("openssl \(arguments.first ?? ""): \(result.stderr)") }
        }
        let ca = folder + "/ca.pem", caKey = folder + "/ca.key", key = folder + "/web.key", request = folder + "/web.csr", certificate = folder + "/web.pem"
        try await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", caKey, "-out", ca, "-days", "2",
                           "-subj", "/CN=Tocsin test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", request, "-subj", "/CN=127.0.0.1"])
        let extensions = try directory.write("tls/leaf.cnf", """
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature
            extendedKeyUsage = serverAuth
            subjectAltName = IP:127.0.0.1
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid

            """)
        try await openssl(["x509", "-req", "-in", request, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", certificate, "-days", "2", "-extfile", extensions])
        // Test keys, in a test folder: readable by the console's user, as LoadCredential= would make them.
        for file in [key, certificate, ca] { chmod(file, 0o644) }
        let spki = try await runCommand("/bin/sh", ["-c", "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64", "sh", certificate])
        return Certificates(ca: ca, certificate: certificate, key: key, spki: spki.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// tocsind with a seed key, `nobody` listed as the web gateway, `web:marie` and `web:bruno` operators,
    /// `web:amelie` in no role, the evacuation and all-clear templates approved; the three enrolled. Their base32 secrets by name.
    static func withConsole(_ body: (TestBed, WebConsoleProcess, Certificates, [String: String]) async throws -> Void) async throws {
        let credentials = try TemporaryDirectory(prefix: "tocsin-credentials")
        defer { credentials.remove() }
        let seed = credentials.file("web-seed-key")
        try Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString().write(toFile: seed, atomically: true, encoding: .utf8)
        chmod(seed, 0o600)
        // The SMS gateway refuses the first message (HTTP 400: failed at once), then takes the rest: a failed channel
        // to re-send from the console.
        let bed = try await TestBed(plan: ["/sms": [["status": 400], ["status": 200]]], environment: ["CREDENTIALS_DIRECTORY": credentials.path]) { receiver in
            var config = TestConfig(channels: [TestConfig.Channel("ops", url: receiver.url("/ops")), TestConfig.Channel("sms-gateway", url: receiver.url("/sms"))])
            config.operators = ["group:root", "web:marie", "web:bruno"]
            config.webGateways = ["user:nobody"]
            // The console's user reaches the socket; tocsind's gateway and role checks decide what it gets.
            config.socketMode = "0666"
            return config
        }
        defer { bed.tearDown() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.path)
        for template in ["evacuation", "all-clear"] {
            #expect(try await bed.daemon.ctl("templates", "approve", template, "--yes").status == 0)
        }
        var secrets: [String: String] = [:]
        for name in ["marie", "bruno", "amelie"] {
            let add = try await bed.daemon.ctl("web-users", "add", name, input: password + "\n")
            let match = try #require(add.stdout.firstMatch(of: /secret=([A-Z2-7]+)/), "\(add)")
            secrets[name] = String(match.output.1)
        }
        let certificates = try await certificates(in: bed.directory)
        let web = try await WebConsoleProcess(
            socketPath: bed.daemon.socketPath, user: "nobody", certificate: certificates.certificate, key: certificates.key,
            logPath: bed.directory.file("tocsin-web.log")
        )
        defer { web.stop() }
        try await body(bed, web, certificates, secrets)
    }

    static func run(_ arguments: [String]) async throws -> (status: Int32, report: [String: Any], output: String) {
        let result = try await runCommand("/usr/bin/env", ["python3", checker] + arguments)
        let report = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        return (result.status, report, result.stdout + result.stderr)
    }

    /// The audit export's entries as (kind, detail).
    static func audit(_ bed: TestBed) async throws -> [(kind: String, detail: [String: Any])] {
        let export = try await bed.daemon.ctl("audit", "export", "--format", "jsonl")
        return export.stdout.split(separator: "\n").compactMap { line in
            guard let entry = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any], let kind = entry["kind"] as? String else { return nil }
            let detail = entry["detail"] as? [String: Any]
                ?? (entry["detail"] as? String).flatMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] } ?? [:]
            return (kind, detail)
        }
    }

    static func browserReady() async -> Bool {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else { return false }
        let probe = try? await runCommand("/usr/bin/env", ["python3", "-c", "import selenium, pyotp"])
        return probe?.status == 0
    }

    @Test(.enabled("chromium, chromium-driver, PyPI selenium or pyotp is missing (scripts/install-deps.sh installs them)") {
        await required { await WebConsoleTests.browserReady() }
    })
    func anOfficerSendsADrillThenALiveAlertAndItsAllClearFromAPhone() async throws {
        try await Self.withConsole { bed, web, certificates, secrets in
            try? FileManager.default.removeItem(atPath: Self.artefacts)
            let run = try await Self.run([
                "browser", "--url", web.url, "--spki", certificates.spki, "--user", "marie", "--password", Self.password,
                "--secret", try #require(secrets["marie"]), "--out", Self.artefacts,
            ])
            #expect(run.status == 0, "\(run.output)\n--- tocsin-web:\n\(web.log())")
            #expect((run.report["problems"] as? [String]) == [], "\(run.report["problems"] ?? run.output)")
            let screenshots = (try? FileManager.default.contentsOfDirectory(atPath: Self.artefacts).filter { $0.hasSuffix(".png") }) ?? []
            #expect(screenshots.count >= 8, "screenshots kept: \(screenshots.sorted())")

            // What the receiver got is what was approved, whole; the audit names marie, her address and the gateway.
            let senders = try await runCommand("/usr/bin/sqlite3", [bed.daemon.databasePath, "SELECT status || ' ' || msgType || ' ' || actorName FROM incident ORDER BY createdAt"])
            #expect(senders.stdout == "Exercise Alert web:marie\nExercise Update web:marie\nActual Alert web:marie\nActual Cancel web:marie\n", "the incidents name their sender: \(senders)")
            let resent = try await runCommand("/usr/bin/sqlite3", [bed.daemon.databasePath, "SELECT count(*) FROM audit WHERE kind = 'incident.resend'"])
            #expect(resent.stdout == "1\n", "the failed SMS channel was re-sent from the console")
            let audit = try await Self.audit(bed)
            let signIns = audit.filter { $0.kind == "web.sign-in" || $0.kind == "web.step-up" }
            // The sign-in, the live send's step-up and the all-clear's; the wrong word was refused before any code was checked.
            #expect(signIns.map(\.kind) == ["web.sign-in", "web.step-up", "web.step-up"], "\(signIns.map(\.kind))")
            #expect(signIns.allSatisfy { $0.detail["outcome"] as? String == "ok" })
            #expect(signIns.allSatisfy { $0.detail["web_user"] as? String == "marie" && $0.detail["client"] as? String == "127.0.0.1" })
            let sends = audit.filter { $0.kind == "admin.request" && $0.detail["method"] as? String == "incident.send" }
            #expect(sends.count >= 3 && sends.allSatisfy { $0.detail["web_user"] as? String == "marie" }, "\(sends.map(\.detail))")
            let export = try await bed.daemon.ctl("audit", "export", "--format", "jsonl")
            for secret in [Self.password, try #require(secrets["marie"])] {
                #expect(!export.stdout.contains(secret) && !web.log().contains(secret) && !bed.daemon.log().contains(secret))
            }
            #expect(try await bed.daemon.ctl("audit", "verify").status == 0)
        }
    }

    @Test(.enabled("PyPI pyotp is missing (scripts/install-deps.sh installs it)") {
        await required { (try? await runCommand("/usr/bin/env", ["python3", "-c", "import pyotp"]))?.status == 0 }
    })
    func theConsoleHoldsAgainstForgedFormsGuessingReplayAndUsersWithoutARole() async throws {
        try await Self.withConsole { bed, web, certificates, secrets in
            let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
            let incident = try #require(drill.jsonLines.first?["incident"] as? String, "\(drill)")
            let run = try await Self.run([
                "security", "--url", web.url, "--incident", incident, "--ca", certificates.ca, "--user", "bruno", "--password", Self.password,
                "--secret", try #require(secrets["bruno"]), "--no-role-user", "amelie", "--no-role-password", Self.password,
                "--no-role-secret", try #require(secrets["amelie"]), "--tocsinctl", PackagePaths.tocsinctl,
                "--socket", bed.daemon.socketPath, "--database", bed.daemon.databasePath,
            ])
            #expect(run.status == 0, "\(run.output)\n--- tocsin-web:\n\(web.log())")
            #expect((run.report["problems"] as? [String]) == [], "\(run.report["problems"] ?? run.output)")
            #expect(((run.report["steps"] as? [Any]) ?? []).count >= 25, "every check ran")
            let audit = try await Self.audit(bed)
            #expect(audit.contains { $0.kind == "web.sign-in" && $0.detail["outcome"] as? String == "locked out" && $0.detail["web_user"] as? String == "bruno" })
            #expect(audit.contains { $0.kind == "web-user.unlock" })
        }
    }

    /// A console whose user is not listed under access.web_gateways gets nothing, even with the right password
    /// and code, and even though it can open the socket.
    @Test func aConsoleNotListedAsAGatewayIsRefusedByTheDaemon() async throws {
        try await Self.withConsole { bed, _, certificates, _ in
            let intruder = try await WebConsoleProcess(
                socketPath: bed.daemon.socketPath, user: "daemon", certificate: certificates.certificate, key: certificates.key,
                logPath: bed.directory.file("intruder-web.log")
            )
            defer { intruder.stop() }
            let page = try await runCommand("/usr/bin/curl", ["-s", "--cacert", certificates.ca, "-c", bed.directory.file("jar"), "-b", bed.directory.file("jar"), intruder.url + "/sign-in"])
            let token = try #require(page.stdout.firstMatch(of: /name="csrf" value="([^"]+)"/)?.output.1)
            let answer = try await runCommand("/usr/bin/curl", [
                "-s", "-o", "/dev/stderr", "-w", "%{http_code}", "--cacert", certificates.ca, "-b", bed.directory.file("jar"),
                "-H", "Sec-Fetch-Site: same-origin", "--data-urlencode", "csrf=\(token)", "--data-urlencode", "name=marie",
                "--data-urlencode", "password=\(Self.password)", "--data-urlencode", "code=123456", intruder.url + "/sign-in",
            ])
            #expect(answer.stdout != "303", "no session from an unlisted gateway")
            #expect(answer.stderr.contains("web-gateway"), "the daemon's refusal is shown: \(answer.stderr.suffix(800))")
        }
    }

    /// Started without a certificate on an address other than loopback, it refuses to serve plain HTTP.
    @Test func theConsoleRefusesPlainHTTPOffLoopback() async throws {
        let result = try await runCommand(PackagePaths.tocsinWeb, ["--host", "0.0.0.0", "--port", "1"])
        #expect(result.status == 2 && result.stderr.contains("tocsin-web serves HTTPS only"), "\(result)")
    }
}
