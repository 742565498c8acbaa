import Foundation
import Testing
import TocsinTestSupport

/// The operator reads the daemon's refusals in her own language (issue 16, item 2): `--lang`, then LC_ALL /
/// LC_MESSAGES / LANG, then French; said by the error's key, never by matching English text; `--json` stays the
/// same whatever the language. Real daemon, real CLI processes.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct OperatorLanguageTests {
    /// `tocsinctl` with exactly this locale (nothing inherited from the machine's).
    static func ctl(_ bed: TestBed, _ arguments: [String], locale: [String: String]) async throws -> CommandResult {
        let environment = ["TOCSIN_SOCKET": bed.daemon.socketPath, "LC_ALL": "", "LC_MESSAGES": "", "LANG": ""].merging(locale) { $1 }
        return try await runCommand(PackagePaths.tocsinctl, arguments, environment: environment)
    }

    @Test func refusalsAreSaidInTheOperatorsLanguageWhateverDecidesIt() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let live = ["send", "evacuation", "--set", "building=Pavillon A", "--yes"]

        // The flag: a value outside the allowed list, every problem in French, the daemon's words by key.
        let flag = try await Self.ctl(bed, ["send", "evacuation", "--set", "building=Pavillon Z", "--set", "bogus=x", "--yes", "--lang", "fr"],
                                      locale: ["LANG": "en_CA.UTF-8"])
        #expect(flag.status == 2, "\(flag)")
        #expect(flag.stderr.contains("les valeurs données pour le modèle « evacuation » ne sont pas valides ; rien n'a été envoyé"), "\(flag)")
        #expect(flag.stderr.contains("« Pavillon Z » n'est pas une valeur permise de « building »"), "\(flag)")
        #expect(flag.stderr.contains("variable inconnue « bogus » pour le modèle « evacuation »"), "\(flag)")
        #expect(!flag.stderr.contains("not valid"), "no English left in what the daemon said: \(flag)")

        // The locale: LC_MESSAGES beats LANG; a live send of a template nobody approved, with the next step.
        let french = try await Self.ctl(bed, live, locale: ["LC_MESSAGES": "fr_CA.UTF-8", "LANG": "en_US.UTF-8"])
        #expect(french.status == 4, "\(french)")
        #expect(french.stderr.contains("le modèle « evacuation » n'est pas approuvé ; un envoi réel est refusé et rien n'a été envoyé"), "\(french)")
        #expect(french.stderr.contains("Un approbateur doit le relire (tocsinctl templates show evacuation) puis lancer : tocsinctl templates approve evacuation"), "\(french)")

        let english = try await Self.ctl(bed, live, locale: ["LANG": "en_CA.UTF-8"])
        #expect(english.status == 4 && english.stderr.contains("template 'evacuation' is not approved"), "\(english)")
        #expect(english.stderr.contains("An approver must review it"), "\(english)")

        // C.UTF-8 (Debian's default) names no language: French, the default.
        let plain = try await Self.ctl(bed, live, locale: ["LANG": "C.UTF-8"])
        #expect(plain.status == 4 && plain.stderr.contains("n'est pas approuvé"), "\(plain)")

        // --json is the same in both languages: the English message and the key for a program.
        let jsonFrench = try await Self.ctl(bed, live + ["--json"], locale: ["LC_ALL": "fr_FR.UTF-8"])
        let jsonEnglish = try await Self.ctl(bed, live + ["--json"], locale: ["LC_ALL": "en_GB.UTF-8"])
        #expect(jsonFrench.status == 4 && jsonFrench.stdout == jsonEnglish.stdout, "\(jsonFrench)\n\(jsonEnglish)")
        let line = try #require(jsonFrench.stdout.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        let error = line["error"] as? [String: Any]
        #expect((error?["message"] as? String)?.contains("is not approved") == true, "\(line)")
        #expect(((error?["data"] as? [String: Any])?["said"] as? [String: Any])?["key"] as? String == "not-approved", "\(line)")

        // An unknown template: the templates there are, in French.
        let unknown = try await Self.ctl(bed, ["drill", "evacuaton", "--yes", "--lang", "fr"], locale: [:])
        #expect(unknown.status == 2 && unknown.stderr.contains("aucun modèle « evacuaton » (modèles : "), "\(unknown)")

        // A language the CLI does not speak is a usage error, said as such.
        let german = try await Self.ctl(bed, ["status", "--lang", "de"], locale: [:])
        #expect(german.status == 2 && german.stderr.contains("--lang takes fr or en"), "\(german)")
        #expect(bed.receiver.requests().isEmpty, "nothing was sent by any of these")
    }

    @Test func theCLIsOwnFailuresAreSaidInFrenchToo() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let result = try await runCommand(PackagePaths.tocsinctl, ["status", "--lang", "fr"], environment: ["TOCSIN_SOCKET": folder.file("absent.sock")])
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("impossible de joindre tocsind à \(folder.file("absent.sock"))"), "\(result)")
    }
}
