import ArgumentParser
import TocsinClient
import TocsinProtocol

extension Tocsinctl {
    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "preview",
            abstract: tr(
                "Afficher un modèle avec ses valeurs, exactement comme il partirait, sans rien envoyer.",
                "Render a template with its values, exactly as it would go out, without sending anything."
            )
        )

        @Argument(help: ArgumentHelp(tr("L'identifiant du modèle.", "The template id.")), completion: .templateIDs)
        var template: String

        @Option(name: .customLong("set"), help: ArgumentHelp(tr("Une variable du modèle, nom=valeur.", "A template variable, name=value."), valueName: "name=value"), completion: .assignments)
        var assignments: [String] = []

        @Flag(name: .long, help: ArgumentHelp(tr("L'afficher comme un exercice (marqué, route d'exercice).", "Preview it as a drill (marked, drill route).")))
        var drill = false

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let params = SendParams(template: template, variables: try parseAssignments(assignments), drill: drill)
            try runReporting(json: global.json) {
                let preview = try global.connect().call(.preview, params, as: PreviewResult.self)
                if global.json { Console.json(preview) } else { ConfirmationScreen(preview: preview, previewOnly: true, output: { print($0) }).show() }
            }
        }
    }
}
