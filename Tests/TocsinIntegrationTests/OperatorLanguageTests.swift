import Foundation
import Testing
import TocsinClient
import TocsinProtocol
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
        #expect(german.status == 2 && german.stderr.contains("--lang prend fr ou en (reçu « de »)"), "French, the default, says it: \(german)")
        let germanEnglish = try await Self.ctl(bed, ["status", "--lang", "de"], locale: ["LANG": "en_CA.UTF-8"])
        #expect(germanEnglish.status == 2 && germanEnglish.stderr.contains("--lang takes fr or en"), "\(germanEnglish)")
        #expect(bed.receiver.requests().isEmpty, "nothing was sent by any of these")
    }

    @Test func theCLIsOwnFailuresAreSaidInFrenchToo() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let result = try await runCommand(PackagePaths.tocsinctl, ["status", "--lang", "fr"], environment: ["TOCSIN_SOCKET": folder.file("absent.sock")])
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("impossible de joindre tocsind à \(folder.file("absent.sock"))"), "\(result)")
    }

    // MARK: Screens (issue 16, item 2: every operator-facing text in French and English)

    /// Lines of a screen that must be in the operator's language: the ones bilingual by design (the drill's last
    /// line, the live banner, " / ") and the template's own English text (`[en]` and its indented body) are left out.
    static func ownLines(_ text: String) -> [Substring] {
        var inEnglishMessage = false
        return text.split(separator: "\n").filter { line in
            if line.hasPrefix("[en]") { inEnglishMessage = true; return false }
            if inEnglishMessage, line.hasPrefix("     ") { return false }
            inEnglishMessage = false
            return !line.contains(" / ")
        }
    }

    /// English words none of tocsinctl's French screens may hold (the template's English text is left out above).
    static let englishMarkers = [
        "Template", "Values", "Reaches", "deliver", "Nothing", "nothing", "stored", "approved", "PREVIEW", "channel", "Created",
        "failed", "Nobody", "Type the", "Type DRILL", "Type SEND", "recipient", "Changed", "Audit log", "Recent", " of ", " the ", "Follows", "attempt",
        "retrying", "waiting", "sending", "APPROVAL", "TEMPLATE", "DRILL ROUTE", "required", "warning",
    ]

    static func englishLeftIn(_ text: String) -> [String] {
        ownLines(text).compactMap { line in englishMarkers.first { line.contains($0) }.map { "\($0): \(line)" } }
    }

    @Test func aDrillsConfirmationScreenIsInTheOperatorsLanguageAndItsWordsInBoth() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let drill = ["drill", "evacuation", "--set", "building=Pavillon A"]

        let french = try await runCommand(PackagePaths.tocsinctl, drill + ["--lang", "fr"], input: "non\n",
                                          environment: ["TOCSIN_SOCKET": bed.daemon.socketPath, "LANG": "en_CA.UTF-8"])
        #expect(french.status == 2, "\(french)")
        for line in [
            "  EXERCICE / DRILL — exercice (alerte), statut CAP Exercice",
            "  Personne n'est alerté pour de vrai : chaque message est marqué EXERCICE.",
            "  Modèle NON approuvé : permis pour un exercice seulement.",
            "Modèle : evacuation   Route : drill   Type : Alerte",
            "Valeurs : assembly_point=\"Stationnement P1\"  building=\"Pavillon A\"",
            "1 envoi prévu sur 1 canal : ops",
            "Tapez EXERCICE (ou DRILL) pour lancer l'exercice ; toute autre réponse annule : ",
            "Non confirmé : pour lancer l'exercice, tapez EXERCICE (ou DRILL). Rien n'a été envoyé.",
        ] {
            #expect(french.stderr.contains(line), "« \(line) » in\n\(french.stderr)")
        }
        #expect(Self.englishLeftIn(french.stderr).isEmpty, "English left: \(Self.englishLeftIn(french.stderr))")

        let english = try await runCommand(PackagePaths.tocsinctl, drill + ["--lang", "en"], input: "non\n",
                                           environment: ["TOCSIN_SOCKET": bed.daemon.socketPath, "LANG": "fr_CA.UTF-8"])
        #expect(english.status == 2, "\(english)")
        for line in [
            "  EXERCICE / DRILL — drill alert, CAP status Exercise",
            "Template: evacuation   Route: drill   Type: Alert",
            "Reaches 1 delivery on 1 channel: ops",
            "Type DRILL (or EXERCICE) to start the drill; anything else cancels: ",
        ] {
            #expect(english.stderr.contains(line), "'\(line)' in\n\(english.stderr)")
        }
        #expect(bed.receiver.requests().isEmpty, "declined in both languages: nothing sent")

        // Confirmed in French with the English word: both are always accepted. The summary is French to the end;
        // the last line says in both languages that it was a drill.
        let sent = try await runCommand(PackagePaths.tocsinctl, drill + ["--lang", "fr"], input: "drill\n",
                                        environment: ["TOCSIN_SOCKET": bed.daemon.socketPath, "NO_COLOR": "1"])
        #expect(sent.status == 0, "\(sent)")
        #expect(sent.stdout.contains(/Incident \S+ enregistré : 1 envoi \(Exercice, modèle NON approuvé\)\./), "\(sent.stdout)")
        #expect(sent.stdout.contains("L'envoi a été livré (incident "), "\(sent.stdout)")
        #expect(sent.stdout.split(separator: "\n").last == "EXERCICE — personne n'a été alerté pour de vrai. / DRILL — nobody was alerted for real.")
        #expect(Self.englishLeftIn(sent.stdout + sent.stderr).isEmpty, "English left: \(Self.englishLeftIn(sent.stdout + sent.stderr))")
        #expect(bed.receiver.requests().count == 1)
    }

    @Test func previewAndStatusInFrenchAndInEnglish() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let preview = ["preview", "evacuation", "--set", "building=Pavillon B"]
        let french = try await Self.ctl(bed, preview + ["--lang", "fr"], locale: [:])
        #expect(french.status == 0, "\(french)")
        #expect(french.stdout.contains("  APERÇU — rien n'est envoyé. En alerte RÉELLE ; modèle NON approuvé"), "\(french.stdout)")
        #expect(french.stdout.contains("Modèle : evacuation   Route : campus   Type : Alert"), "\(french.stdout)")
        #expect(french.stdout.contains("1 envoi prévu sur 1 canal : ops"), "\(french.stdout)")
        #expect(Self.englishLeftIn(french.stdout).isEmpty, "English left: \(Self.englishLeftIn(french.stdout))")
        // The locale alone decides when there is no flag.
        let english = try await Self.ctl(bed, preview, locale: ["LANG": "en_US.UTF-8"])
        #expect(english.status == 0, "\(english)")
        #expect(english.stdout.contains("  PREVIEW — nothing is sent. As a LIVE alert; template NOT approved"), "\(english.stdout)")
        #expect(!english.stdout.contains("(unapproved)") && !english.stdout.contains("(not approved)"), "said once: \(english.stdout)")
        #expect(english.stdout.contains("Reaches 1 delivery on 1 channel: ops"), "\(english.stdout)")

        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        let incident = try #require(drill.stdout.firstMatch(of: /"incident":"([^"]+)"/).map { String($0.1) }, "\(drill)")
        let statusFrench = try await Self.ctl(bed, ["status", incident, "--lang", "fr"], locale: ["LANG": "en_US.UTF-8"])
        #expect(statusFrench.status == 0, "\(statusFrench)")
        #expect(statusFrench.stdout.contains("Valeurs : "), "\(statusFrench.stdout)")
        #expect(statusFrench.stdout.contains("L'envoi a été livré (incident \(incident))."), "\(statusFrench.stdout)")
        #expect(Self.englishLeftIn(statusFrench.stdout).isEmpty, "English left: \(Self.englishLeftIn(statusFrench.stdout))")
        let statusEnglish = try await Self.ctl(bed, ["status", incident, "--lang", "en"], locale: ["LANG": "fr_CA.UTF-8"])
        #expect(statusEnglish.stdout.contains("All 1 deliveries delivered (incident \(incident))."), "\(statusEnglish.stdout)")

        // The daemon's own status, and the templates list, in French: no English line.
        for screen in [["status"], ["templates", "list"], ["templates", "show", "evacuation"]] {
            let result = try await Self.ctl(bed, screen + ["--lang", "fr"], locale: [:])
            #expect(result.status == 0, "\(screen): \(result)")
            #expect(Self.englishLeftIn(result.stdout).isEmpty, "\(screen): English left: \(Self.englishLeftIn(result.stdout))")
        }
        let list = try await Self.ctl(bed, ["templates", "list"], locale: ["LC_ALL": "fr_CA.UTF-8"])
        #expect(list.stdout.contains("MODÈLE") && list.stdout.contains("non approuvé"), "\(list.stdout)")
    }

    @Test func aLiveSendsScreensInFrenchLeaveNothingInEnglish() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let approve = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        #expect(approve.status == 0, "\(approve)")
        let send = try await runCommand(PackagePaths.tocsinctl, ["send", "evacuation", "--set", "building=Pavillon A", "--lang", "fr"], input: "envoyer\n",
                                        environment: ["TOCSIN_SOCKET": bed.daemon.socketPath, "NO_COLOR": "1"])
        #expect(send.status == 0, "\(send)")
        #expect(send.stderr.contains("Tapez ENVOYER (ou SEND) pour envoyer l'alerte RÉELLE"), "\(send.stderr)")
        #expect(send.stdout.contains(/Incident \S+ enregistré : 1 envoi \(Réel\)\./), "\(send.stdout)")
        #expect(Self.englishLeftIn(send.stdout + send.stderr).isEmpty, "English left: \(Self.englishLeftIn(send.stdout + send.stderr))")
        #expect(bed.receiver.requests().count == 1)
    }

    /// `--help` is built before the options are parsed: the language comes from the command line and the locale
    /// read at start.
    @Test func helpIsInTheLocalesLanguage() async throws {
        let french = try await runCommand(PackagePaths.tocsinctl, ["send", "--help"], environment: ["LC_ALL": "", "LC_MESSAGES": "", "LANG": "fr_CA.UTF-8"])
        #expect(french.status == 0, "\(french)")
        for phrase in ["Envoyer une alerte RÉELLE à partir d'un modèle approuvé", "Ne pas demander de confirmation.", "Une variable du modèle, nom=valeur",
                       "La langue des écrans et des messages"] {
            #expect(french.stdout.contains(phrase), "« \(phrase) » in\n\(french.stdout)")
        }
        #expect(!french.stdout.contains("Send a LIVE alert") && !french.stdout.contains("Do not ask for confirmation"), "\(french.stdout)")
        // ArgumentParser's own words too: headings and built-in options (CommandLineWords).
        for phrase in ["APERÇU : ", "UTILISATION : tocsinctl send <template>", "OPTIONS :", "Afficher cette aide."] {
            #expect(french.stdout.contains(phrase), "« \(phrase) » in\n\(french.stdout)")
        }
        for english in ["OVERVIEW:", "USAGE:", "OPTIONS:", "Show help information.", "Show the version."] {
            #expect(!french.stdout.contains(english), "« \(english) » left in\n\(french.stdout)")
        }
        let root = try await runCommand(PackagePaths.tocsinctl, ["help"], environment: ["LC_ALL": "", "LC_MESSAGES": "", "LANG": "fr_CA.UTF-8"])
        #expect(root.status == 0 && root.stdout.contains("SOUS-COMMANDES :") && root.stdout.contains("Afficher la version."), "\(root)")
        #expect(root.stdout.contains("Voir « tocsinctl help <sous-commande> » pour l'aide détaillée."), "\(root)")
        let rootEnglish = try await runCommand(PackagePaths.tocsinctl, ["--help"], environment: ["LC_ALL": "en_CA.UTF-8"])
        #expect(rootEnglish.stdout.contains("SUBCOMMANDS:") && rootEnglish.stdout.contains("Show the version."), "English stays: \(rootEnglish)")
        // The flag beats the locale, in both spellings.
        for flag in [["--lang", "en"], ["--lang=en"]] {
            let english = try await runCommand(PackagePaths.tocsinctl, ["drill", "--help"] + flag, environment: ["LC_ALL": "fr_CA.UTF-8"])
            #expect(english.stdout.contains("Run a drill: the template goes to its drill route"), "\(flag): \(english.stdout)")
        }
        let drillFrench = try await runCommand(PackagePaths.tocsinctl, ["drill", "--help", "--lang", "fr"], environment: ["LC_ALL": "en_US.UTF-8"])
        #expect(drillFrench.stdout.contains("Lancer un exercice"), "\(drillFrench.stdout)")
    }

    /// A verb mistyped under stress is refused in the operator's language, with what was meant, and nothing is sent
    /// (exit 2): ArgumentParser's English (CommandLineWords).
    @Test func aMistypedCommandIsRefusedInFrench() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let cases: [([String], [String])] = [
            (["sned"], ["Erreur : Argument inattendu « sned »", "Utilisation : tocsinctl <sous-commande>",
                        "Voir « tocsinctl --help » pour en savoir plus."]),
            (["sned", "evacuation"], ["Erreur : 2 arguments inattendus : « sned », « evacuation »"]),
            (["status", "--jsn"], ["Erreur : Option inconnue « --jsn ». Vouliez-vous dire « --json » ?",
                                   "Voir « tocsinctl status --help » pour en savoir plus."]),
            (["send"], ["Erreur : Argument obligatoire manquant : « <template> »", "Aide :  <template>"]),
            (["send", "evacuation", "--set"], ["Erreur : Valeur manquante pour « --set <name=value> »"]),
            (["status", "--json=oui"], ["Erreur : L'option « --json » ne prend pas de valeur (reçu « oui »)."]),
        ]
        for (arguments, phrases) in cases {
            let french = try await Self.ctl(bed, arguments, locale: ["LANG": "fr_CA.UTF-8"])
            #expect(french.status == 2, "\(arguments): \(french)")
            for phrase in phrases { #expect(french.stderr.contains(phrase), "« \(phrase) » for \(arguments):\n\(french.stderr)") }
            for english in ["Error:", "Usage:", "See '", "Unknown option", "Missing", "Unexpected"] {
                #expect(!french.stderr.contains(english), "« \(english) » left for \(arguments):\n\(french.stderr)")
            }
            let english = try await Self.ctl(bed, arguments, locale: ["LANG": "en_CA.UTF-8"])
            #expect(english.status == 2 && english.stderr.hasPrefix("Error: "), "English stays English: \(english)")
        }
        let status = try await bed.daemon.withClient { try $0.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self) }
        #expect(status.recentIncidents.isEmpty && status.pendingDeliveries == 0, "nothing was sent: \(status)")
    }

    /// Refusals that used to be said without a key, now in French: the built-in all-clear given values.
    @Test func theBuiltInAllClearsRefusalIsSaidByKey() async throws {
        let bed = try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.templates["all-clear"] = nil
            return config
        }
        defer { bed.tearDown() }
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        let incident = try #require(drill.stdout.firstMatch(of: /"incident":"([^"]+)"/).map { String($0.1) }, "\(drill)")
        let before = bed.receiver.requests().count
        let refused = try await Self.ctl(bed, ["all-clear", incident, "--set", "building=Pavillon B", "--yes", "--lang", "fr"], locale: [:])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("la fin d'alerte intégrée de Tocsin ne prend aucune valeur (son texte est fixe) ; rien n'a été envoyé"), "\(refused)")
        #expect(refused.stderr.contains("Envoyez-la sans --set, ou configurez un modèle all-clear"), "\(refused)")
        #expect(!refused.stderr.contains("takes no values"), "\(refused)")
        #expect(bed.receiver.requests().count == before, "nothing sent")
    }

    /// The other verbs' screens in French: reload, backup, cancel (its question and its summary).
    @Test func reloadBackupAndCancelAreSaidInFrench() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let reload = try await Self.ctl(bed, ["reload", "--lang", "fr"], locale: [:])
        #expect(reload.status == 0 && reload.stdout.contains("Configuration rechargée : rien n'a changé."), "\(reload)")
        let backup = try await Self.ctl(bed, ["backup"], locale: ["LANG": "fr_CA.UTF-8"])
        #expect(backup.status == 0 && backup.stdout.contains("Sauvegarde écrite dans "), "\(backup)")
        #expect(backup.stdout.contains(" octets ; journal d'audit jusqu'à l'entrée "), "\(backup)")

        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        let incident = try #require(drill.stdout.firstMatch(of: /"incident":"([^"]+)"/).map { String($0.1) }, "\(drill)")
        let cancel = try await runCommand(PackagePaths.tocsinctl, ["cancel", incident, "--lang", "fr"], input: "annuler\n",
                                          environment: ["TOCSIN_SOCKET": bed.daemon.socketPath])
        #expect(cancel.status == 0, "\(cancel)")
        #expect(cancel.stderr.contains("Incident \(incident) (Exercice, evacuation) : 0 envoi inachevé sera annulé."), "\(cancel)")
        #expect(cancel.stderr.contains("Tapez ANNULER (ou CANCEL) pour annuler les envois inachevés"), "\(cancel)")
        #expect(cancel.stdout.contains("Incident \(incident) : 0 envoi annulé."), "\(cancel)")
        for screen in [reload.stdout, backup.stdout, cancel.stdout + cancel.stderr] {
            #expect(Self.englishLeftIn(screen).isEmpty, "English left: \(Self.englishLeftIn(screen))")
        }
    }

    /// A cut (a template an SMS would get shortened) in French: the preview's measures and cuts, and the approval
    /// refused for it, each problem by key.
    @Test func aCutIsSaidInFrenchInThePreviewAndTheRefusedApproval() async throws {
        let bed = try await TestBed { receiver in
            var sms = TestConfig.Channel("sms", url: "")
            sms.type = "twilio-sms"
            sms.extra = """
                    account_sid: AC0123456789abcdef0123456789abcdef
                    auth_token: "0123456789abcdef0123456789abcdef"
                    from: "+15145550000"
                    to: ["+15145551234", "+15145551235"]
                    api_base: "\(receiver.url("/twilio"))"
                    max_segments: 1
                    rate_limit: 1

                """
            return TestConfig(channels: [.init("ops", url: receiver.url("/ops")), sms])
        }
        defer { bed.tearDown() }
        let preview = try await Self.ctl(bed, ["preview", "evacuation", "--set", "building=Pavillon A", "--lang", "fr"], locale: [:])
        #expect(preview.status == 0, "\(preview)")
        #expect(preview.stdout.contains("/160 septets GSM-7, 2 destinataires, environ 2 s pour les joindre tous à son débit maximal) :")
                || preview.stdout.contains("/160 septets GSM-7, 2 destinataires, environ 2 s pour les joindre tous à son débit maximal):"), "\(preview.stdout)")
        #expect(preview.stdout.contains("RACCOURCI SUR SMS : UNE PARTIE DU TEXTE APPROUVÉ POURRAIT NE PAS ARRIVER PAR CES CANAUX"), "\(preview.stdout)")
        #expect(preview.stdout.contains("  le modèle « evacuation » ne tient pas sur le canal « sms » ("), "\(preview.stdout)")
        #expect(!preview.stdout.contains("does not fit channel"), "\(preview.stdout)")

        let approve = try await Self.ctl(bed, ["templates", "approve", "evacuation", "--yes", "--lang", "fr"], locale: [:])
        #expect(approve.status == 2, "\(approve)")
        #expect(approve.stderr.contains("le modèle « evacuation » arriverait raccourci sur un canal, donc il ne peut pas être approuvé tel quel ; rien n'a été approuvé"), "\(approve.stderr)")
        #expect(approve.stderr.contains("  - le modèle « evacuation » ne tient pas sur le canal « sms » ("), "\(approve.stderr)")
        #expect(approve.stderr.contains("Donnez au modèle un texte « short: » par langue qui tient"), "\(approve.stderr)")
        #expect(!approve.stderr.contains("does not fit channel") && !approve.stderr.contains("cannot be approved"), "\(approve.stderr)")
    }
}

extension OperatorLanguageTests {
    /// The global options typed before the verb, as many people do (`tocsinctl --lang en status`), count as after it.
    @Test func globalOptionsBeforeTheVerbCount() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let english = try await Self.ctl(bed, ["--lang=en", "status"], locale: ["LANG": "fr_CA.UTF-8"])
        #expect(english.status == 0 && english.stdout.contains("Audit log:"), "\(english)")
        let french = try await Self.ctl(bed, ["--lang", "fr", "--json", "templates", "list"], locale: ["LANG": "en_CA.UTF-8"])
        #expect(french.status == 0 && french.stdout.hasPrefix("["), "--json before the verb too: \(french)")
        let value = try await Self.ctl(bed, ["--lang", "en", "preview", "evacuation", "--set", "building=Pavillon A"], locale: [:])
        #expect(value.status == 0 && value.stdout.contains("NOT approved"), "\(value)")

        // A channel test and the help of the verbs an operator reaches for first, in French.
        let test = try await Self.ctl(bed, ["--lang", "fr", "channels", "test", "ops", "--yes"], locale: [:])
        #expect(test.status == 0 && test.stdout.contains("Message de test ") && test.stdout.contains("Le canal fonctionne."), "\(test)")
        #expect(!test.stdout.contains("The channel works"), "\(test)")
        for (verb, words) in [(["status"], "Afficher l'état du démon"), (["report"], "Bilan après incident"),
                              (["channels", "test"], "Envoyer un message CAP de statut Test"), (["audit", "verify"], "Recalculer la chaîne")] {
            let help = try await Self.ctl(bed, verb + ["--help"], locale: ["LANG": "fr_CA.UTF-8"])
            #expect(help.stdout.contains(words), "\(verb): \(help.stdout)")
        }
        let verify = try await Self.ctl(bed, ["audit", "verify"], locale: ["LANG": "fr_FR.UTF-8"])
        #expect(verify.status == 0 && verify.stdout.contains("Chaîne d'audit intacte : "), "\(verify)")

        // With no daemon, the client's own failure is said in French too, the next step included.
        let unreachable = try await runCommand(PackagePaths.tocsinctl, ["--lang", "fr", "status", "--socket", bed.daemon.socketPath + ".none"])
        #expect(unreachable.status == 3, "\(unreachable)")
        #expect(unreachable.stderr.contains("aucun socket à cet endroit ; tocsind est-il démarré ? (systemctl status tocsind)"), "\(unreachable)")
        #expect(!unreachable.stderr.contains("no socket there"), "\(unreachable)")
    }
}

extension OperatorLanguageTests {
    /// A channel that answers 404 with its own words: the progress line and the report say it in French by the
    /// code, with the service's words kept as they came.
    @Test func aFailingChannelIsSaidInFrenchByItsCode() async throws {
        let bed = try await TestBed(plan: ["/gone": [["status": 404, "body": "{\"error\":\"no such hook\"}"]]]) { receiver in
            TestConfig(channels: [.init("ops", url: receiver.url("/ops")), .init("gone", url: receiver.url("/gone"))])
        }
        defer { bed.tearDown() }
        let drill = try await Self.ctl(bed, ["drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--lang", "fr"], locale: [:])
        #expect(drill.status == 1, "\(drill)")
        #expect(drill.stdout.contains("gone (essai 1) : HTTP 404 : le point d'accès n'existe pas (ou plus) ; vérifiez l'URL du canal — le service a répondu : "),
                "\(drill.stdout)")
        #expect(drill.stdout.contains("no such hook"), "the service's own words: \(drill.stdout)")
        #expect(!drill.stdout.contains("does not exist") && !drill.stdout.contains("service answered"), "\(drill.stdout)")
        let incident = try #require(drill.stdout.split(separator: " ").first { $0.hasPrefix("2026") || $0.hasPrefix("2027") }.map(String.init))
        let report = try await Self.ctl(bed, ["report", incident, "--lang", "fr"], locale: [:])
        #expect(report.stdout.contains("HTTP 404 : le point d'accès n'existe pas (ou plus) ; vérifiez l'URL d…"), "cut with an ellipsis: \(report.stdout)")
    }
}

extension OperatorLanguageTests {
    /// Neither --lang nor the locale names a language (Debian's C.UTF-8, or nothing set): the organisation's first
    /// language, as the daemon reports it, decides; --lang and a named locale still beat it.
    @Test func theOrganisationsFirstLanguageDecidesWhenNothingElseDoes() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let frenchFirst = try await Self.ctl(bed, ["status"], locale: ["LANG": "C.UTF-8"])
        #expect(frenchFirst.status == 0 && frenchFirst.stdout.contains("Journal d'audit :"), "\(frenchFirst)")

        let config = try String(contentsOfFile: bed.daemon.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "languages: [fr, en]", with: "languages: [en, fr]")
            .write(toFile: bed.daemon.configPath, atomically: true, encoding: .utf8)
        #expect(try await bed.daemon.ctl("reload").status == 0)

        for locale in [["LANG": "C.UTF-8"], [:], ["LC_ALL": "POSIX"]] {
            let english = try await Self.ctl(bed, ["status"], locale: locale)
            #expect(english.status == 0 && english.stdout.contains("Audit log:"), "\(locale): \(english)")
        }
        let refused = try await Self.ctl(bed, ["send", "evacuation", "--set", "building=Pavillon A", "--yes"], locale: [:])
        #expect(refused.status == 4 && refused.stderr.contains("template 'evacuation' is not approved"), "the daemon's refusals too: \(refused)")
        // With --yes nothing is said before the daemon answers, and its answer carries the organisation's language:
        // no request of its own, before the alert (delaying it) or after (during its fan-out).
        let before = try await bed.daemon.ctl("audit", "log", "--json").jsonLines.compactMap { $0["seq"] as? Int }.max() ?? 0
        let drill = try await Self.ctl(bed, ["drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait"], locale: [:])
        #expect(drill.status == 0 && drill.stdout.contains("stored: 1 delivery (Exercise"), "\(drill)")
        let requests = try await bed.daemon.ctl("audit", "log", "--json").jsonLines
            .filter { $0["kind"] as? String == "admin.request" && ($0["seq"] as? Int ?? 0) > before }.map { "\($0["detail"] ?? "")" }
        #expect(requests.contains { $0.contains("incident.send") }, "\(requests)")
        #expect(!requests.contains { $0.contains("daemon.languages") }, "no language question around the drill: \(requests)")
        let named = try await Self.ctl(bed, ["status"], locale: ["LANG": "fr_CA.UTF-8"])
        #expect(named.stdout.contains("Journal d'audit :"), "a French locale beats the organisation's: \(named)")
        let flag = try await Self.ctl(bed, ["status", "--lang", "fr"], locale: ["LANG": "C.UTF-8"])
        #expect(flag.stdout.contains("Journal d'audit :"), "\(flag)")
        let json = try await Self.ctl(bed, ["status", "--json"], locale: [:])
        #expect(json.status == 0 && json.stdout.hasPrefix("{"), "\(json)")
    }
}
