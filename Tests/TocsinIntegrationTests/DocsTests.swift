import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// The integrator docs (docs/) against the real daemon: the payload schema holds for what tocsind actually sends,
/// the verification recipes are run from the markdown against tocsind's signed requests, and the admin protocol
/// reference has a section, with the right roles, for every method.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct DocsTests {
    static func doc(_ name: String) throws -> String {
        try String(contentsOf: PackagePaths.root.appendingPathComponent("docs/\(name)"), encoding: .utf8)
    }

    // MARK: docs/webhook-payload.schema.json

    /// Alerts, drills, updates, all-clears and channel tests, in one and in two languages, as the receiver got them.
    @Test func bodiesReceivedFromTocsindValidateAgainstTheSchema() async throws {
        let bed = try await TestBed { receiver in
            TestConfig(channels: [
                .init("both", url: receiver.url("/both"), secret: TestConfig.makeSecret()),
                .init("french", url: receiver.url("/french"), secret: TestConfig.makeSecret(), extra: "    languages: [fr]\n"),
                .init("english", url: receiver.url("/english"), extra: "    languages: [en]\n"),
            ])
        }
        defer { bed.tearDown() }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
        #expect(try await bed.daemon.ctl("templates", "approve", "all-clear", "--yes").status == 0)

        let alert = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        #expect(alert.status == 0, "\(alert)")
        let incident = try #require(alert.jsonLines.first?["incident"] as? String)
        #expect(try await bed.daemon.ctl("update", incident, "evacuation", "--set", "assembly_point=Gymnase", "--yes").status == 0)
        #expect(try await bed.daemon.ctl("all-clear", incident, "--yes").status == 0)
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
        let drillID = try #require(drill.jsonLines.first?["incident"] as? String)
        #expect(try await bed.daemon.ctl("all-clear", drillID, "--yes").status == 0)
        #expect(try await bed.daemon.ctl("channels", "test", "both").status == 0)

        let requests = try await bed.receiver.waitForRequests(16)
        #expect(requests.count == 16, "5 incidents to 3 channels, and a channel test")
        var bodies: [String: [UInt8]] = [:]
        for (index, request) in requests.enumerated() { bodies["\(index)\(request.path.replacingOccurrences(of: "/", with: "-")).json"] = Array(request.body.utf8) }
        let problems = try await PayloadSchema.problems(of: bodies)
        for name in bodies.keys.sorted() {
            #expect(problems[name] == [], "\(name) does not validate against docs/webhook-payload.schema.json: \(problems[name] ?? [])")
        }
        // Every kind was seen, so the validation above covered them.
        let kinds = Set(requests.compactMap { request -> String? in
            guard let data = request.json?["data"] as? [String: Any] else { return nil }
            return "\(data["status"] ?? "")/\(data["msgType"] ?? "")"
        })
        #expect(kinds == ["Actual/Alert", "Actual/Update", "Actual/Cancel", "Exercise/Alert", "Exercise/Cancel", "Test/Alert"])
        let languageSets = Set(requests.compactMap { (($0.json?["data"] as? [String: Any])?["messages"] as? [[String: Any]])?.compactMap { $0["language"] as? String } })
        #expect(languageSets == [["fr-CA", "en-CA"], ["fr-CA"], ["en-CA"]])
    }

    // MARK: docs/verifying-webhooks.md

    /// A code block of the doc, by its info string (```python receiver.py).
    static func codeBlock(_ markdown: String, info: String) throws -> String {
        let lines = markdown.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: "```" + info), "docs/verifying-webhooks.md has no ```\(info) block")
        let end = try #require(lines[(start + 1)...].firstIndex(of: "```"))
        return lines[(start + 1)..<end].joined(separator: "\n") + "\n"
    }

    /// One recipe of the doc running as a process, its output in a file.
    final class Recipe {
        private let exit: ProcessExit
        let output: String
        let port: Int

        init(_ arguments: [String], in directory: TemporaryDirectory, name: String, secret: String) async throws {
            output = directory.file("\(name).out")
            var environment = ProcessInfo.processInfo.environment
            environment["WEBHOOK_SECRET"] = secret
            environment["PORT"] = "0"
            exit = try ChildProcess.spawn("/usr/bin/env", arguments, environment: environment, logTo: output)
            var found: Int?
            let output = self.output, exit = self.exit
            _ = try await waitUntil(timeout: .seconds(20)) {
                let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
                found = text.firstMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)/).flatMap { Int($0.output.1) }
                return found != nil || exit.hasExited
            }
            guard let found else {
                exit.signal(SIGKILL)
                throw TestSupportError("\(name) did not start: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
            }
            port = found
        }

        var url: String { "http://127.0.0.1:\(port)/hooks/tocsin" }
        var log: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

        /// Not waited for (a `defer` cannot await): a killed child ends by itself.
        func stop() {
            exit.signal(SIGKILL)
        }

        /// POSTs `body` with `headers` through curl; returns the HTTP status.
        func post(_ body: String, headers: [String: String], in directory: TemporaryDirectory) async throws -> Int {
            let file = try directory.write("replay-\(UUID().uuidString.prefix(8)).json", body)
            var arguments = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-X", "POST", "--data-binary", "@" + file]
            for (name, value) in headers.sorted(by: { $0.key < $1.key }) { arguments += ["-H", "\(name): \(value)"] }
            let result = try await runCommand("/usr/bin/env", arguments + [url], bytes: nil)
            return Int(result.stdout) ?? -1
        }
    }

    @Test func verificationRecipesAcceptTocsindsRequestsAndRefuseTamperedOnes() async throws {
        let markdown = try Self.doc("verifying-webhooks.md")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let secret = TestConfig.makeSecret()
        let python = try directory.write("receiver.py", try Self.codeBlock(markdown, info: "python receiver.py"))
        let node = try directory.write("receiver.mjs", try Self.codeBlock(markdown, info: "js receiver.mjs"))
        let recipes = await [
            ("python", try Recipe(["python3", python], in: directory, name: "python", secret: secret)),
            ("node", try Recipe(["node", node], in: directory, name: "node", secret: secret)),
        ]
        defer { for (_, recipe) in recipes { recipe.stop() } }

        // tocsind signs with the same secret for the recipes and for a recording receiver, whose copy is replayed.
        let bed = try await TestBed { receiver in
            TestConfig(channels: [
                .init("capture", url: receiver.url("/capture"), secret: secret),
                .init("python", url: recipes[0].1.url, secret: secret),
                .init("node", url: recipes[1].1.url, secret: secret),
            ])
        }
        defer { bed.tearDown() }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        // Delivered means the recipe answered 2xx: it verified tocsind's signature.
        #expect(send.status == 0, "\(send)\n\(recipes.map { "\($0.0): \($0.1.log)" })")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon B", "--yes")
        #expect(drill.status == 0, "\(drill)")

        let captured = try #require(bed.receiver.requests(path: "/capture").first)
        let signed = captured.headers.filter { $0.key.hasPrefix("webhook-") || $0.key == "content-type" }
        #expect(signed["webhook-signature"]?.hasPrefix("v1,") == true)
        // The reference verifier agrees that the captured request is genuine, so the replays below start from one.
        let reference = try await runCommand("/usr/bin/env", ["python3", PackagePaths.verifyScript, bed.receiver.recordPath, "@" + bed.directory.file("secrets/capture"), "/capture"])
        #expect(reference.status == 0, "\(reference)")

        for (name, recipe) in recipes {
            #expect(recipe.log.contains("accepted \(incident) Actual Alert: ÉVACUATION — Pavillon A"), "\(name): \(recipe.log)")
            #expect(recipe.log.contains("Exercise Alert: EXERCICE — ÉVACUATION — Pavillon B"), "\(name): \(recipe.log)")

            #expect(try await recipe.post(captured.body, headers: signed, in: directory) == 204, "\(name) accepts a genuine request")
            #expect(try await recipe.post(captured.body, headers: signed, in: directory) == 204, "\(name) acknowledges a retry")
            #expect(recipe.log.contains("duplicate \(signed["webhook-id"] ?? "?")"), "\(name) drops the retry: \(recipe.log)")

            let tampered = captured.body.replacingOccurrences(of: "Pavillon A", with: "Pavillon B")
            #expect(tampered != captured.body)
            #expect(try await recipe.post(tampered, headers: signed, in: directory) == 401, "\(name) refuses a tampered body")
            var forgedID = signed
            forgedID["webhook-id"] = "msg_forged"
            #expect(try await recipe.post(captured.body, headers: forgedID, in: directory) == 401, "\(name) refuses another id")
            var unsigned = signed
            unsigned["webhook-signature"] = nil
            #expect(try await recipe.post(captured.body, headers: unsigned, in: directory) == 401, "\(name) refuses an unsigned request")
            var stale = signed
            stale["webhook-timestamp"] = String((Int(signed["webhook-timestamp"] ?? "") ?? 0) - 3600)
            #expect(try await recipe.post(captured.body, headers: stale, in: directory) == 401, "\(name) refuses an old timestamp")
            #expect(recipe.log.components(separatedBy: "rejected").count - 1 == 4, "\(name): \(recipe.log)")
        }
    }

    // MARK: docs/admin-protocol.md

    /// Every method of `AdminMethod` has a `### \`method\`` section whose `**Roles:**` line names exactly its roles,
    /// and the doc documents no method that does not exist. Fix a failure by documenting the method in
    /// docs/admin-protocol.md (params, result, roles, errors).
    @Test func adminProtocolDocumentsEveryMethodWithItsRoles() async throws {
        let markdown = try Self.doc("admin-protocol.md")
        var sections: [String: String] = [:]
        var current: String?
        for line in markdown.components(separatedBy: "\n") {
            if line.hasPrefix("#") {
                current = line.wholeMatch(of: /### `([a-z-]+\.[a-z-]+)`/).map { String($0.output.1) }
                if let current { sections[current] = "" }
                continue
            }
            if let current { sections[current, default: ""] += line + "\n" }
        }
        for method in AdminMethod.allCases {
            let section = try #require(sections[method.rawValue], "docs/admin-protocol.md has no section `### \\`\(method.rawValue)\\``: document the method")
            let rolesLine = section.components(separatedBy: "\n").first { $0.hasPrefix("**Roles:**") } ?? ""
            let roles = Set(rolesLine.matches(of: /`([a-z-]+)`/).map { String($0.output.1) })
            #expect(roles == method.roles, "\(method.rawValue): the doc says roles \(roles.sorted()), the code \(method.roles.sorted())")
        }
        let known = Set(AdminMethod.allCases.map(\.rawValue) + [AdminMethod.deliveryEvent])
        #expect(Set(sections.keys).subtracting(known).isEmpty, "documented methods that do not exist: \(Set(sections.keys).subtracting(known).sorted())")
        #expect(sections[AdminMethod.deliveryEvent] != nil, "the watch notification is documented")

        for code in [
            RPCError.parseErrorCode, RPCError.invalidRequestCode, RPCError.methodNotFoundCode, RPCError.invalidParamsCode,
            RPCError.internalErrorCode, RPCError.validationCode, RPCError.notAuthorisedCode, RPCError.notApprovedCode,
            RPCError.notFoundCode, RPCError.unavailableCode, RPCError.timeoutCode, RPCError.busyCode, RPCError.refusedCode,
        ] {
            #expect(markdown.contains("| \(code) |"), "error code \(code) is in the doc's table")
        }
        #expect(markdown.contains("\(JSONRPC.maximumRequestBytes) bytes"), "the request size limit is the code's")
    }
}
