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
        ("Error: Missing one of: '--json', '--csv'", "Erreur : Il manque l'un de : « --json », « --csv »"),
        ("Error: The option '--json' does not take any value, but '3' was specified.",
         "Erreur : L'option « --json » ne prend pas de valeur (reçu « 3 »)."),
        ("Error: The value 'xml' is invalid for '--format <format>'. Please provide one of 'jsonl' and 'csv'.",
         "Erreur : La valeur « xml » ne convient pas à « --format <format> ». Valeurs possibles : « jsonl » ou « csv »."),
        ("Error: The value 'x' is invalid for '--lang <lang>'. Please provide one of 'fr', 'en' or 'de'.",
         "Erreur : La valeur « x » ne convient pas à « --lang <lang> ». Valeurs possibles : « fr », « en » ou « de »."),
        ("Error: The value 'x' is invalid.", "Erreur : La valeur « x » ne convient pas."),
        ("Error: The value 'soon' is invalid for '<when>': pas une date", "Erreur : La valeur « soon » ne convient pas à « <when> »: pas une date"),
        ("Error: Missing required subcommand.", "Erreur : Sous-commande manquante."),
        ("Error: Invalid option: -é", "Erreur : Option non valable : -é"),
        ("Usage: tocsinctl <subcommand>", "Utilisation : tocsinctl <sous-commande>"),
        ("  See 'tocsinctl status --help' for more information.", "  Voir « tocsinctl status --help » pour en savoir plus."),
        ("  See 'tocsinctl help <subcommand>' for detailed help.", "  Voir « tocsinctl help <sous-commande> » pour l'aide détaillée."),
        ("Help:  <template>  L'identifiant du modèle.", "Aide :  <template>  L'identifiant du modèle."),
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

    @Test func helpHeadingsAndBuiltInLines() {
        let english = """
            OVERVIEW: Envoyer une alerte RÉELLE.

            USAGE: tocsinctl send <template> [--yes]

            ARGUMENTS:
              <template>              L'identifiant du modèle.

            OPTIONS:
              --count <count>         Combien (default: 3) (values: 1, 2, 3).
              --version               Show the version.
              -h, --help              Show help information.

            SUBCOMMANDS:
              send                    Envoyer.
            """
        let french = """
            APERÇU : Envoyer une alerte RÉELLE.

            UTILISATION : tocsinctl send <template> [--yes]

            ARGUMENTS :
              <template>              L'identifiant du modèle.

            OPTIONS :
              --count <count>         Combien (par défaut : 3) (valeurs : 1, 2, 3).
              --version               Afficher la version.
              -h, --help              Afficher cette aide.

            SOUS-COMMANDES :
              send                    Envoyer.
            """
        #expect(CommandLineWords.french(english) == french)
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
