import ArgumentParser
import Foundation
import TocsinClient
import TocsinProtocol

extension Tocsinctl {
    struct Send: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a LIVE alert from an approved template to its route.",
            discussion: "Shows what will go out and asks you to type the template id, unless --yes."
        )

        @OptionGroup var options: SendOptions
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try SendFlow(options: options, global: global, drill: false).run()
        }
    }

    struct Drill: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a drill: the template goes to its drill route, marked EXERCICE / EXERCISE, CAP status Exercise.",
            discussion: "Drills may use templates that are not approved yet; the result says so."
        )

        @OptionGroup var options: SendOptions
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try SendFlow(options: options, global: global, drill: true).run()
        }
    }
}

/// Confirm, send, then follow delivery until every delivery is final.
struct SendFlow {
    let options: SendOptions
    let global: GlobalOptions
    let drill: Bool

    func run() throws {
        let variables = try parseAssignments(options.assignments)
        let params = SendParams(template: options.template, variables: variables, route: options.route, drill: drill)
        var exit = Exit.ok
        try runReporting {
            let client = try global.connect()
            if !options.yes {
                let preview = try client.call(.preview, params, as: PreviewResult.self)
                ConfirmationScreen(preview: preview, drill: drill).show()
                let answer = Console.ask("Type the template id (\(preview.template)) to \(drill ? "start the drill" : "SEND"), anything else cancels: ")
                guard answer?.trimmingCharacters(in: .whitespaces) == preview.template else {
                    Console.note(answer == nil ? "No answer (end of input). Nothing was sent." : "Not confirmed. Nothing was sent.")
                    throw Exit.usage
                }
            }
            let accepted = try client.call(.send, params, as: IncidentStatus.self)
            let incident = accepted.summary.incident
            if global.json {
                Console.jsonLine(SendLine(incident: incident, event: "accepted", status: accepted.summary.status, deliveries: accepted.deliveries.count))
            } else {
                print("Incident \(incident) stored: \(accepted.deliveries.count) deliver\(accepted.deliveries.count == 1 ? "y" : "ies") (\(accepted.summary.status)\(accepted.summary.approved ? "" : ", template NOT approved")).")
            }
            if options.noWait {
                if global.json { Console.jsonLine(SummaryLine(incident: incident, status: accepted)) }
                return
            }
            let final = try client.stream(.watch, IncidentParams(incident: incident), as: IncidentStatus.self) { data in
                guard let event = try? JSONDecoder().decode(JSONRPC.ParamsOnly<DeliveryEvent>.self, from: data).params else { return }
                if global.json {
                    Console.jsonLine(DeliveryLine(incident: incident, delivery: event.delivery))
                } else if event.delivery.state != "pending" {
                    print(ProgressLine.text(event.delivery))
                }
            }
            if global.json {
                Console.jsonLine(SummaryLine(incident: incident, status: final))
            } else {
                print(SummaryText.text(final))
            }
            if !final.allDelivered { exit = Exit.someFailed }
        }
        if exit != Exit.ok { throw exit }
    }
}

struct SendLine: Encodable {
    var incident: String
    var event: String
    var status: String
    var deliveries: Int
}

struct DeliveryLine: Encodable {
    var incident: String
    var event = "delivery"
    var delivery: DeliveryStatus
}

struct SummaryLine: Encodable {
    var incident: String
    var event = "summary"
    var finished: Bool
    var delivered: Int
    var failed: Int
    var pending: Int
    var deliveries: [DeliveryStatus]

    init(incident: String, status: IncidentStatus) {
        self.incident = incident
        finished = status.isFinished
        delivered = status.deliveries.filter { $0.state == "delivered" }.count
        failed = status.deliveries.filter { $0.state == "failed" || $0.state == "cancelled" }.count
        pending = status.deliveries.filter { !$0.isFinal }.count
        deliveries = status.deliveries
    }
}
