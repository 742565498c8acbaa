import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// The words that confirm each verb (issue 16, item 1): pure rules first, then piped answers to the real CLI.
struct ConfirmationWordRulesTests {
    @Test(arguments: [
        (ConfirmationWord.send, ["ENVOYER", "SEND", "envoyer", " Send \t", "Envoyér"]),
        (.drill, ["EXERCICE", "DRILL", "exercice", "Drill", "  exercice  "]),
        (.update, ["MISE À JOUR", "UPDATE", "mise a jour", "Mise  À  Jour", "update"]),
        (.allClear, ["FIN", "ALL CLEAR", "fin", "all clear", "All  Clear"]),
        (.cancel, ["ANNULER", "CANCEL", "annuler", "cancel"]),
        (.approve, ["APPROUVER", "APPROVE", "approuver", "Approve"]),
        (.resend, ["RENVOYER", "RESEND", "renvoyer", "resend"]),
        (.accept, ["ACCEPTER", "ACCEPT", "accepter", "Accept"]),
    ])
    func eachVerbTakesItsWordInBothLanguagesAnyCaseWithOrWithoutAccents(word: ConfirmationWord, answers: [String]) {
        for answer in answers { #expect(word.accepts(answer), "\(word) should accept '\(answer)'") }
    }

    @Test(arguments: ConfirmationWord.allCases)
    func noOtherVerbsWordAndNoIdConfirms(word: ConfirmationWord) {
        for other in ConfirmationWord.allCases where other != word {
            #expect(!word.accepts(other.french) && !word.accepts(other.english), "\(word) must refuse \(other)'s word")
        }
        for answer in ["evacuation", "all-clear", "20261204-K7QF2A", "", "   ", "yes", "o", "SEND IT", "FIN FIN"] {
            #expect(!word.accepts(answer), "\(word) must refuse '\(answer)'")
        }
        #expect(ConfirmationWord.verb(of: word.french.lowercased()) == word)
    }

    /// docs/cli.md lists exactly the words the CLI takes.
    @Test func theDocsListEveryWord() throws {
        let markdown = try String(contentsOf: PackagePaths.root.appendingPathComponent("docs/cli.md"), encoding: .utf8)
        let rows = markdown.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { row in
            row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
        }
        let documented = Dictionary(uniqueKeysWithValues: rows.map { ($0[0], [$0[1], $0[2]]) })
        let verbs: [ConfirmationWord: String] = [
            .send: "send", .drill: "drill", .update: "update", .allClear: "all-clear", .cancel: "cancel", .resend: "resend",
            .approve: "templates approve", .accept: "audit accept",
        ]
        for word in ConfirmationWord.allCases {
            #expect(documented[verbs[word] ?? ""] == [word.french, word.english], "docs/cli.md: \(word)")
        }
        #expect(documented.count == ConfirmationWord.allCases.count)
    }

    @Test func foldingDropsAccentsCaseAndExtraBlanksButKeepsHyphens() {
        #expect(ConfirmationWord.fold("  Évacuation ") == "evacuation")
        #expect(ConfirmationWord.fold("MISE\tÀ  JOUR") == "mise a jour")
        // Typed decomposed (A + combining grave), as some input methods send it.
        #expect(ConfirmationWord.fold("MISE A\u{300} JOUR") == "mise a jour")
        #expect(ConfirmationWord.fold("ÉÈÊËÎÏÔÛÙÜÇ") == "eeeeiiouuuc")
        #expect(ConfirmationWord.fold("all-clear") == "all-clear")
    }
}

@Suite(.serialized, .integration, .timeLimit(.minutes(4)))
struct ConfirmationWordsTests {
    private func makeBed() async throws -> TestBed {
        try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
    }

    /// `tocsinctl` with `input` on a pipe and the locale given (the flag, when given, overrides it).
    private func ctl(_ bed: TestBed, _ arguments: [String], input: String, lang: String = "en_CA.UTF-8") async throws -> CommandResult {
        try await runCommand(
            PackagePaths.tocsinctl, arguments, input: input,
            environment: ["TOCSIN_SOCKET": bed.daemon.socketPath, "LC_ALL": "", "LC_MESSAGES": "", "LANG": lang, "NO_COLOR": ""]
        )
    }

    private func incidentCount(_ bed: TestBed) async throws -> Int {
        try await bed.daemon.withClient { try $0.call(.incidentList, ListParams(limit: 100), as: [IncidentSummary].self) }.count
    }

    @Test func aLiveSendTakesEnvoyerOrSendWhateverTheLocaleAndNeverTheTemplateID() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        // The old habit: the template id. Refused, with the word to type.
        let approveByID = try await ctl(bed, ["templates", "approve", "evacuation", "--lang", "en"], input: "evacuation\n")
        #expect(approveByID.status == 2, "\(approveByID)")
        #expect(approveByID.stderr.contains("An id does not confirm; to approve this content, type APPROVE (or APPROUVER). Nothing was approved."), "\(approveByID.stderr)")
        let approve = try await ctl(bed, ["templates", "approve", "evacuation"], input: "Approuver\n", lang: "en_CA.UTF-8")
        #expect(approve.status == 0, "\(approve)")

        let byID = try await ctl(bed, ["send", "evacuation", "--set", "building=Pavillon A", "--lang", "en"], input: "evacuation\n")
        #expect(byID.status == 2, "\(byID)")
        #expect(byID.stderr.contains("Type SEND (or ENVOYER) to send the LIVE alert; anything else cancels:"), "\(byID.stderr)")
        #expect(byID.stderr.contains("type SEND (or ENVOYER)"), "\(byID.stderr)")
        #expect(byID.stderr.contains("Nothing was sent."), "\(byID.stderr)")
        // The drill's word at the live prompt: refused and told apart.
        let drillWord = try await ctl(bed, ["send", "evacuation", "--set", "building=Pavillon A", "--lang", "fr"], input: "EXERCICE\n")
        #expect(drillWord.status == 2, "\(drillWord)")
        // …with the drill's whole command, values included, to run instead.
        #expect(drillWord.stderr.contains(
            "Vous avez tapé EXERCICE : pour un exercice, lancez « tocsinctl drill evacuation --set 'building=Pavillon A' » ; rien n'a été envoyé."
        ), "\(drillWord.stderr)")
        #expect(try await incidentCount(bed) == 0)
        #expect(bed.receiver.requests().isEmpty)

        // The live screen: the bilingual banner, in plain text on a pipe.
        let french = try await ctl(bed, ["send", "evacuation", "--set", "building=Pavillon A"], input: " envoyer \n", lang: "en_US.UTF-8")
        #expect(french.status == 0, "\(french)")
        #expect(french.stderr.contains("*** ALERTE RÉELLE — LIVE ALERT ***"), "\(french.stderr)")
        #expect(!french.stderr.contains("\u{1B}["), "no colour on a pipe")
        let english = try await ctl(bed, ["send", "evacuation", "--set", "building=Pavillon B"], input: "Send\n", lang: "fr_CA.UTF-8")
        #expect(english.status == 0, "\(english)")
        #expect(english.stderr.contains("Tapez ENVOYER (ou SEND) pour envoyer l'alerte RÉELLE"), "\(english.stderr)")
        #expect(!english.stdout.contains("DRILL"), "a live send does not say drill")
        #expect(bed.receiver.requests(path: "/ops").count == 2)
    }

    @Test func aDrillTakesExerciceOrDrillAndItsLastLineSaysNobodyWasAlerted() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let liveWord = try await ctl(bed, ["drill", "evacuation", "--set", "building=Pavillon A", "--lang", "en"], input: "SEND\n")
        #expect(liveWord.status == 2, "\(liveWord)")
        #expect(liveWord.stderr.contains("EXERCICE / DRILL"), "\(liveWord.stderr)")
        #expect(!liveWord.stderr.contains("LIVE ALERT"), "\(liveWord.stderr)")
        #expect(liveWord.stderr.contains(
            "You typed SEND: nothing was sent. For a live alert, run: tocsinctl send evacuation --set 'building=Pavillon A'"
        ), "\(liveWord.stderr)")
        #expect(try await incidentCount(bed) == 0)

        let drillLine = "EXERCICE — personne n'a été alerté pour de vrai. / DRILL — nobody was alerted for real."
        let drill = try await ctl(bed, ["drill", "evacuation", "--set", "building=Pavillon A", "--lang", "en"], input: "exercice\n")
        #expect(drill.status == 0, "\(drill)")
        let lines = drill.stdout.split(separator: "\n").map(String.init)
        let incident = try #require(lines.first?.split(separator: " ").dropFirst().first.map(String.init))
        #expect(lines.last == drillLine, "\(drill.stdout)")
        #expect(lines.dropLast().last?.contains(incident) == true, "the summary comes just before: \(drill.stdout)")

        // --no-wait: the last line is the drill's too.
        let noWait = try await ctl(bed, ["drill", "evacuation", "--set", "building=Pavillon B", "--no-wait"], input: "DRILL\n")
        #expect(noWait.status == 0, "\(noWait)")
        #expect(noWait.stdout.split(separator: "\n").last.map(String.init) == drillLine, "\(noWait.stdout)")

        // A drill's update and all-clear: their own words, the drill screen, the drill's last line.
        let updateByDrillWord = try await ctl(bed, ["update", incident, "evacuation", "--lang", "en"], input: "drill\n")
        #expect(updateByDrillWord.status == 2, "\(updateByDrillWord)")
        #expect(updateByDrillWord.stderr.contains("to send the DRILL update, type UPDATE (or MISE À JOUR)"), "\(updateByDrillWord.stderr)")
        let update = try await ctl(bed, ["update", incident, "evacuation", "--set", "assembly_point=Gymnase"], input: "mise a jour\n")
        #expect(update.status == 0, "\(update)")
        #expect(update.stderr.contains("EXERCICE / DRILL"), "\(update.stderr)")
        #expect(update.stdout.split(separator: "\n").last.map(String.init) == drillLine, "\(update.stdout)")
        let clearByID = try await ctl(bed, ["all-clear", incident, "--lang", "en"], input: "all-clear\n")
        #expect(clearByID.status == 2, "\(clearByID)")
        #expect(clearByID.stderr.contains("to send the DRILL all-clear, type ALL CLEAR (or FIN)"), "the prompt names the drill: \(clearByID.stderr)")
        let clear = try await ctl(bed, ["all-clear", incident], input: "Fin\n")
        #expect(clear.status == 0, "\(clear)")
        #expect(clear.stdout.split(separator: "\n").last.map(String.init) == drillLine, "\(clear.stdout)")
        #expect(bed.receiver.requests(path: "/ops").count == 4)
    }

    @Test func cancelTakesAnnulerOrCancelNotTheIncidentID() async throws {
        let bed = try await TestBed(plan: ["/down": [["status": 503]]]) { receiver in
            TestConfig(channels: [.init("down", url: receiver.url("/down"))])
        }
        defer { bed.tearDown() }
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json")
        let incident = try #require(drill.jsonLines.first?["incident"] as? String)
        let byID = try await ctl(bed, ["cancel", incident, "--lang", "en"], input: "\(incident)\n")
        #expect(byID.status == 2, "\(byID)")
        #expect(byID.stderr.contains("An id does not confirm; to cancel the unfinished deliveries, type CANCEL (or ANNULER). Nothing was cancelled: deliveries go on."), "\(byID.stderr)")
        #expect(byID.stderr.contains("Type CANCEL (or ANNULER) to cancel the unfinished deliveries; anything else lets the deliveries go on: "), "\(byID.stderr)")
        let ended = try await ctl(bed, ["cancel", incident, "--lang", "en"], input: "")
        #expect(ended.status == 2)
        #expect(ended.stderr.contains("No answer (end of input)."), "\(ended.stderr)")
        #expect(try await bed.daemon.withClient { try $0.call(.incidentStatus, IncidentParams(incident: incident), as: IncidentStatus.self) }.deliveries.allSatisfy { !$0.isFinal })
        let cancel = try await ctl(bed, ["cancel", incident], input: "annuler\n")
        #expect(cancel.status == 0, "\(cancel)")
        #expect(try await bed.daemon.waitForFinish(incident).deliveries.map(\.state) == ["cancelled"])
    }

    @Test(arguments: [["send", "evacuation", "--set", "building=Pavillon A"], ["drill", "evacuation", "--set", "building=Pavillon A"], ["templates", "approve", "evacuation"]])
    func endOfInputDoesNothingAndExits2(arguments: [String]) async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        if arguments[0] == "send" { _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes") }
        let result = try await ctl(bed, arguments + ["--lang", "fr"], input: "")
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("Pas de réponse (fin de l'entrée)."), "\(result.stderr)")
        #expect(try await incidentCount(bed) == 0)
        #expect(bed.receiver.requests().isEmpty)
    }
}
