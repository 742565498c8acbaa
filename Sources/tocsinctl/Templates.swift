import ArgumentParser
import FoundationEssentials
import TocsinDisplay
import TocsinClient
import TocsinProtocol

extension Tocsinctl {
    struct Templates: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "templates",
            abstract: tr("Lister, afficher et approuver les modèles de messages.", "List, show and approve message templates."),
            subcommands: [List.self, Show.self, Approve.self]
        )

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: tr("Lister les modèles et dire si chacun est approuvé.", "List templates and whether each is approved."))
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try runReporting(json: global.json) {
                    let templates = try global.connect().call(.templateList, EmptyParams(), as: [TemplateSummary].self)
                    if global.json { Console.json(templates); return }
                    print(tr(
                        "\(Console.pad("MODÈLE", 22)) \(Console.pad("APPROBATION", 13)) \(Console.pad("ROUTE", 12)) ROUTE D'EXERCICE",
                        "\(Console.pad("TEMPLATE", 22)) \(Console.pad("APPROVAL", 13)) \(Console.pad("ROUTE", 12)) DRILL ROUTE"
                    ))
                    for template in templates {
                        let approval = TemplateText.approval(template.approval)
                        print("\(Console.pad(template.id, 22)) \(Console.pad(approval, 13)) \(Console.pad(template.route, 12)) \(template.drillRoute ?? "-")")
                    }
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: tr("Afficher un modèle : ses textes, ses variables et son approbation.", "Show a template: its texts, variables and approval."))
            @Argument(help: ArgumentHelp(tr("L'identifiant du modèle.", "The template id.")), completion: .templateIDs) var template: String
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try runReporting(json: global.json) {
                    let detail = try global.connect().call(.templateShow, TemplateParams(template: template), as: TemplateDetail.self)
                    if global.json { Console.json(detail) } else { TemplateText.print(detail) }
                }
            }
        }

        struct Approve: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "approve",
                abstract: tr(
                    "Approuver le contenu actuel d'un modèle pour les envois réels (approbateurs seulement).",
                    "Approve a template's current content for live sends (approvers only)."
                ),
                discussion: tr(
                    "L'approbation signe le SHA-256 du contenu du modèle : toute modification ultérieure demande une nouvelle approbation. Demande de taper APPROUVER (ou APPROVE), sauf avec --yes.",
                    "The approval signs the SHA-256 of the template's content: any later edit needs a new approval. Asks you to type APPROVE (or APPROUVER), unless --yes."
                )
            )
            @Argument(help: ArgumentHelp(tr("L'identifiant du modèle.", "The template id.")), completion: .templateIDs) var template: String
            @Flag(name: .long, help: ArgumentHelp(tr("Ne pas demander de confirmation.", "Do not ask for confirmation."))) var yes = false
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try runReporting(json: global.json) {
                    let client = try global.connect()
                    let detail = try client.call(.templateShow, TemplateParams(template: template), as: TemplateDetail.self)
                    if !yes {
                        TemplateText.print(detail, to: Console.note)
                        let nothing = tr("Rien n'a été approuvé.", "Nothing was approved.")
                        try Confirmation(word: .approve, nothingDone: nothing, ids: [template]).ask()
                    }
                    let result = try client.call(.templateApprove, ApproveParams(template: template, contentHash: detail.summary.contentHash), as: ApproveResult.self)
                    if global.json { Console.json(result) } else if result.approved {
                        print(tr(
                            "Modèle \(result.template) approuvé par \(result.approvedBy) le \(TimeDisplay.format(result.approvedAt)) (contenu \(result.contentHash.prefix(12))).",
                            "Template \(result.template) approved by \(result.approvedBy) at \(TimeDisplay.format(result.approvedAt)) (content \(result.contentHash.prefix(12)))."
                        ))
                    } else {
                        print(tr(
                            "Approbation \(result.approvals) sur \(result.required) enregistrée pour \(result.template) par \(result.approvedBy) ; un autre approbateur doit approuver le même contenu avant un envoi réel.",
                            "Approval \(result.approvals) of \(result.required) recorded for \(result.template) by \(result.approvedBy); another approver must approve the same content before a live send."
                        ))
                    }
                }
            }
        }
    }
}

enum TemplateText {
    /// The approval state for the list (`approved`, `partial 1/2`, `unapproved`, `changed` as the daemon says them), in the
    /// operator's language; CHANGED in capitals, as the one that needs action.
    static func approval(_ state: String) -> String {
        switch state {
        case "approved": tr("approuvé", "approved")
        case "changed": tr("MODIFIÉ", "CHANGED")
        case "unapproved": tr("non approuvé", "unapproved")
        // "partial 1/2": approvals so far of those required.
        case _ where state.hasPrefix("partial "): tr("partiel " + state.dropFirst("partial ".count), state)
        default: state
        }
    }

    static func print(_ detail: TemplateDetail, to output: (String) -> Void = { Swift.print($0) }) {
        let summary = detail.summary
        let by = summary.approvedBy.map { tr(" par \($0)", " by \($0)") } ?? ""
        let at = summary.approvedAt.map { TimeDisplay.format($0) }.map { tr(" le \($0)", " at \($0)") } ?? ""
        output(tr("Modèle", "Template") + " \(summary.id)  [\(OperatorLanguage.current == .fr ? approval(summary.approval) : summary.approval)\(by)\(at)]")
        output(tr("CAP : ", "CAP: ") + "\(detail.category) / \(detail.severity) / \(detail.urgency) / \(detail.certainty)\(detail.response.map { " / \($0)" } ?? "")")
        output(tr(
            "Route : \(summary.route)   Route d'exercice : \(summary.drillRoute ?? "-")   SHA-256 du contenu : \(summary.contentHash)",
            "Route: \(summary.route)   Drill route: \(summary.drillRoute ?? "-")   Content SHA-256: \(summary.contentHash)"
        ))
        for variable in summary.variables {
            var line = "  {{\(variable.name)}}" + (variable.required ? tr(" obligatoire", " required") : "")
            if let value = variable.defaultValue { line += tr(" par défaut « \(value) »", " default \"\(value)\"") }
            if let allowed = variable.allowed {
                line += tr(" parmi : ", " one of: ") + allowed.map { tr("« \($0) »", "\"\($0)\"") }.joined(separator: ", ")
            }
            output(line)
        }
        for text in detail.texts {
            output("[\(text.language)] \(text.event): \(text.title)")
            output("     \(text.body)")
            if let instruction = text.instruction { output("     \(instruction)") }
        }
    }
}
