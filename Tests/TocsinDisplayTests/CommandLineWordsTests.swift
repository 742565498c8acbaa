import Testing
import TocsinDisplay

/// ArgumentParser's own English, as swift-argument-parser 1.8 renders it, in French; the operator's words untouched.
@Suite struct CommandLineWordsTests {
    @Test(arguments: [
        ("Error: Unexpected argument 'sned'", "Erreur : Argument inattendu « sned »"),
        ("Error: Unknown option '--jsn'. Did you mean '--json'?", "Erreur : Option inconnue « --jsn ». Vouliez-vous dire « --json » ?"),
        ("Error: Unknown option '-x'", "Erreur : Option inconnue « -x »"),
        ("Error: Missing expected argument '<template>'", "Erreur : Argument obligatoire manquant : « <template> »"),
        ("Error: Missing value for '--set <name=value>'", "Erreur : Valeur manquante pour « --set <name=value> »"),
        ("Error: 2 unexpected arguments: 'a', 'b c'", "Erreur : 2 arguments inattendus : « a », « b c »"),
        ("Error: Missing one of: '--json', '--csv'", "Erreur : Il manque l'un de ces arguments : « --json », « --csv »"),
        ("Error: The option '--json' does not take any value, but '3' was specified.",
         "Erreur : L'option « --json » ne prend pas de valeur (reçu « 3 »)."),
        ("Error: The value 'xml' is invalid for '--format <format>'. Please provide one of 'jsonl' and 'csv'.",
         "Erreur : La valeur « xml » ne convient pas à « --format <format> ». Valeurs possibles : « jsonl » ou « csv »."),
        ("Error: The value 'x' is invalid for '--lang <lang>'. Please provide one of 'fr', 'en' or 'de'.",
         "Erreur : La valeur « x » ne convient pas à « --lang <lang> ». Valeurs possibles : « fr », « en » ou « de »."),
        ("Error: The value 'x' is invalid.", "Erreur : La valeur « x » ne convient pas."),
        ("Error: The value 'soon' is invalid for '<when>': pas une date", "Erreur : La valeur « soon » ne convient pas à « <when> » : pas une date"),
        ("Error: Missing required subcommand.", "Erreur : Sous-commande manquante."),
        ("Error: Invalid option: -é", "Erreur : Option non valable : -é"),
    ])
    func usageErrorsReadInFrench(english: String, french: String) {
        #expect(CommandLineWords.french(english) == french)
    }

    /// A value the operator typed keeps its quotes and words: the library's sentence around it is what ends it.
    @Test func aValueWithAQuoteStaysWhole() {
        #expect(CommandLineWords.french("Error: Unexpected argument 'l'école'") == "Erreur : Argument inattendu « l'école »")
        #expect(CommandLineWords.french("Error: The value 'l'an 2000' is invalid for '<when>'")
            == "Erreur : La valeur « l'an 2000 » ne convient pas à « <when> »")
    }

    @Test func aLongListOfValuesKeepsItsBullets() {
        let english = "Error: The value 'x' is invalid for '<kind>'. Please provide one of the following:\n  - a\n  - b"
        #expect(CommandLineWords.french(english) == "Erreur : La valeur « x » ne convient pas à « <kind> ». Valeurs possibles :\n  - a\n  - b")
    }

    /// A whole usage error as the library renders it: the sentence, its help line, the usage, where to read more.
    @Test func aWholeUsageError() {
        let english = """
            Error: Missing value for '--set <name=value>'
            Help:  --set <name=value>  Une variable du modèle, nom=valeur.
            Usage: tocsinctl <subcommand>
              See 'tocsinctl send --help' for more information.
            """
        let french = """
            Erreur : Valeur manquante pour « --set <name=value> »
            Aide :  --set <name=value>  Une variable du modèle, nom=valeur.
            Utilisation : tocsinctl <sous-commande>
              Voir « tocsinctl send --help » pour en savoir plus.
            """
        #expect(CommandLineWords.french(english) == french)
        // An ambiguous short option: its "or:" line lines up under the French sentence.
        #expect(CommandLineWords.french("Error: Unknown option '-ab'\n   or: Missing value for '-a <a>' in '-ab'")
            == "Erreur : Option inconnue « -ab »\n    ou : Valeur manquante pour « -a <a> » dans « -ab »")
    }

    @Test func helpHeadingsAndBuiltInLines() {
        let english = """
            OVERVIEW: Envoyer une alerte RÉELLE.

            USAGE: tocsinctl send <template> [--yes]

            ARGUMENTS:
              <template>              L'identifiant du modèle.

            OPTIONS:
              --format <format>       Le format. (values: jsonl, csv; default: jsonl)
              --count <count>         Combien (default: 3)
              --lang <lang>           La langue (values: fr, en)
              --version               Show the version.
              -h, --help              Show help information.

            SUBCOMMANDS:
              send                    Envoyer.

              See 'tocsinctl help <subcommand>' for detailed help.
            """
        let french = """
            APERÇU : Envoyer une alerte RÉELLE.

            UTILISATION : tocsinctl send <template> [--yes]

            ARGUMENTS :
              <template>              L'identifiant du modèle.

            OPTIONS :
              --format <format>       Le format. (valeurs : jsonl, csv; par défaut : jsonl)
              --count <count>         Combien (par défaut : 3)
              --lang <lang>           La langue (valeurs : fr, en)
              --version               Afficher la version.
              -h, --help              Afficher cette aide.

            SOUS-COMMANDES :
              send                    Envoyer.

              Voir « tocsinctl help <sous-commande> » pour l'aide détaillée.
            """
        #expect(CommandLineWords.french(english) == french)
        #expect(CommandLineWords.french("OVERVIEW: Show subcommand help information.") == "APERÇU : Afficher l'aide d'une sous-commande.")
    }

    /// The help is wrapped to the terminal before it is translated: a default can start a line of its own.
    @Test func aDefaultWrappedToTheNextLine() {
        let english = "USAGE: tocsinctl audit export\n  --format <format>       Le format. (values: jsonl, csv;\n                          default: jsonl)\n  --on                    Marche. (default as\n                          flag: true)"
        let french = "UTILISATION : tocsinctl audit export\n  --format <format>       Le format. (valeurs : jsonl, csv;\n                          par défaut : jsonl)\n  --on                    Marche. (par défaut, option sans valeur : true)"
        #expect(CommandLineWords.french(english) == french)
    }

    /// Anything but a help screen or a usage error is a program's input or the operator's own words.
    @Test(arguments: [
        "0.1.0",
        "#compdef tocsinctl\n'--version[Show the version.]'",
        "function __fish_tocsinctl\n  complete -c tocsinctl -l version -d 'Show the version.'",
        "evacuation\nUsage: a template of the operator's\nOPTIONS:\n(default: x)",
        #"{"command":{"abstract":"Show the version."}}"#,
    ])
    func otherOutputIsLeftAsItIs(text: String) {
        #expect(CommandLineWords.french(text) == text)
    }

    /// In a help screen, a line of the operator's own text that reads like a label is not a label.
    @Test func theOperatorsWordsInsideAHelpScreenStay() {
        let english = "OVERVIEW: Modèles.\n\n  evacuation              Usage: lire d'abord (default) OPTIONS: (défaut)"
        #expect(CommandLineWords.french(english) == "APERÇU : Modèles.\n\n  evacuation              Usage: lire d'abord (default) OPTIONS: (défaut)")
    }

    /// The verbs' own errors are French already; an abstract that merely mentions a phrase is the operator's text.
    @Test(arguments: [
        "Error: --lang prend fr ou en (reçu « de »)",
        "OPTIONS: déjà traduit",
        "Show the version.",
        "  --yes                   Show help information. Ne pas demander.",
        "Error: Something the library says that is not known here",
    ])
    func whatIsNotTheLibrarysPhraseStays(line: String) {
        let expected = line.hasPrefix("Error: ") ? "Erreur : " + line.dropFirst("Error: ".count) : line
        #expect(CommandLineWords.french(line) == expected)
    }
}
