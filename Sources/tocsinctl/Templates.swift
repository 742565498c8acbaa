import ArgumentParser
import Foundation
import TocsinClient
import TocsinProtocol

extension Tocsinctl {
    struct Templates: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "templates",
            abstract: "List, show and approve message templates.",
            subcommands: [List.self, Show.self, Approve.self]
        )

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List templates and whether each is approved.")
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try runReporting(json: global.json) {
                    let templates = try global.connect().call(.templateList, EmptyParams(), as: [TemplateSummary].self)
                    if global.json { Console.json(templates); return }
                    print("\(Console.pad("TEMPLATE", 22)) \(Console.pad("APPROVAL", 11)) \(Console.pad("ROUTE", 12)) DRILL ROUTE")
                    for template in templates {
                        let approval = template.approval == "changed" ? "CHANGED" : template.approval
                        print("\(Console.pad(template.id, 22)) \(Console.pad(approval, 11)) \(Console.pad(template.route, 12)) \(template.drillRoute ?? "-")")
                    }
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a template: its texts, variables and approval.")
            @Argument(help: "The template id.", completion: .templateIDs) var template: String
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
                abstract: "Approve a template's current content for live sends (approvers only).",
                discussion: "The approval signs the SHA-256 of the template's content: any later edit needs a new approval. Asks you to type APPROUVER (or APPROVE), unless --yes."
            )
            @Argument(help: "The template id.", completion: .templateIDs) var template: String
            @Flag(name: .long, help: "Do not ask for confirmation.") var yes = false
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
                        print("Template \(result.template) approved by \(result.approvedBy) at \(result.approvedAt) (content \(result.contentHash.prefix(12))).")
                    } else {
                        print("Approval \(result.approvals) of \(result.required) recorded for \(result.template) by \(result.approvedBy); another approver must approve the same content before a live send.")
                    }
                }
            }
        }
    }
}

enum TemplateText {
    static func print(_ detail: TemplateDetail, to output: (String) -> Void = { Swift.print($0) }) {
        let summary = detail.summary
        output("Template \(summary.id)  [\(summary.approval)\(summary.approvedBy.map { " by \($0)" } ?? "")\(summary.approvedAt.map { " at \($0)" } ?? "")]")
        output("CAP: \(detail.category) / \(detail.severity) / \(detail.urgency) / \(detail.certainty)\(detail.response.map { " / \($0)" } ?? "")")
        output("Route: \(summary.route)   Drill route: \(summary.drillRoute ?? "-")   Content SHA-256: \(summary.contentHash)")
        for variable in summary.variables {
            var line = "  {{\(variable.name)}}" + (variable.required ? " required" : "")
            if let value = variable.defaultValue { line += " default \"\(value)\"" }
            if let allowed = variable.allowed { line += " one of: " + allowed.map { "\"\($0)\"" }.joined(separator: ", ") }
            output(line)
        }
        for text in detail.texts {
            output("[\(text.language)] \(text.event): \(text.title)")
            output("     \(text.body)")
            if let instruction = text.instruction { output("     \(instruction)") }
        }
    }
}
