import ArgumentParser
import FoundationEssentials
import Glibc
import TocsinDisplay
import TocsinClient
import TocsinProtocol
import TocsinText

extension Tocsinctl {
    struct Resend: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resend",
            abstract: tr(
                "Renvoyer les envois EN ÉCHEC d'un incident sur un canal, une fois le canal réparé.",
                "Send an incident's FAILED deliveries on one channel again, once the channel is fixed."
            ),
            discussion: tr(
                """
                Le même message (les octets gardés à l'envoi) sous les mêmes identifiants (webhook-id) : un destinataire \
                qui avait reçu une copie plus tôt l'écarte ; un nouveau délai de livraison. Les envois livrés ou annulés ne \
                repartent pas. Refusé (code 4) quand le fil de l'incident a reçu une fin d'alerte ou une annulation, pour \
                un canal qui n'est plus configuré, et quand rien n'a échoué sur ce canal. Montre ce qui sera renvoyé et \
                demande de taper RENVOYER (ou RESEND), sauf avec --yes ; suit ensuite les envois comme send, sauf avec \
                --no-wait.
                """,
                """
                The same message (the bytes stored at send time) under the same ids (webhook-id), so a receiver that did \
                get an earlier copy drops it; a fresh delivery deadline. Delivered and cancelled deliveries are not sent \
                again. Refused (exit 4) once the incident's thread has an all-clear or a cancel, for a channel that is no \
                longer configured, and when nothing failed on the channel. Shows what will be re-sent and asks you to \
                type RESEND (or RENVOYER), unless --yes; then follows delivery like send, unless --no-wait.
                """
            )
        )

        @Argument(help: ArgumentHelp(tr("L'identifiant de l'incident (voir « tocsinctl status »).", "The incident id (see `tocsinctl status`).")), completion: .incidentIDs) var incident: String
        @Option(name: .long, help: ArgumentHelp(tr("Le canal dont les envois en échec repartent.", "The channel whose failed deliveries are sent again.")), completion: .channelNames) var channel: String
        @Flag(name: .long, help: ArgumentHelp(tr("Ne pas demander de confirmation.", "Do not ask for confirmation."))) var yes = false
        @Flag(name: .long, help: ArgumentHelp(tr("Rendre la main dès que les envois sont rouverts, sans les suivre.", "Return once the deliveries are reopened, without following delivery."))) var noWait = false
        @OptionGroup var global: GlobalOptions

        func run() throws {
            var exit = Exit.ok
            try runReporting(json: global.json) {
                let client = try global.connect()
                if !yes {
                    // The daemon checks and counts as for the resend itself, so a refusal comes before the question.
                    let check = try client.call(.resend, ResendParams(incident: incident, channel: channel, dryRun: true), as: ResendResult.self)
                    ResendScreen(result: check).show()
                    let nothing = tr("Rien n'a été renvoyé.", "Nothing was re-sent.")
                    try Confirmation(word: .resend, nothingDone: nothing, ids: [incident, channel]).ask()
                }
                let result = try client.call(.resend, ResendParams(incident: incident, channel: channel), as: ResendResult.self)
                let ids = Set(result.deliveries.map(\.id))
                if global.json {
                    Console.jsonLine(ResendLine(result: result))
                } else {
                    print(tr(
                        "Incident \(incident) : \(Plural.fr(result.failed, "envoi en échec rouvert", "envois en échec rouverts")) sur « \(channel) », à renvoyer d'ici \(TimeDisplay.format(result.deadline)).",
                        "Incident \(incident): \(result.failed) failed deliver\(result.failed == 1 ? "y" : "ies") on '\(channel)' reopened, to be sent again by \(TimeDisplay.format(result.deadline))."
                    ))
                    Console.flush()
                }
                // A drill's resend ends like every drill: its last line says nobody was alerted for real.
                let drill = result.status != "Actual" && !global.json
                if noWait {
                    if drill { print(SendFlow.drillLastLine) }
                    return
                }
                let view = global.json ? nil : ProgressView(incident: incident, deliveries: result.deliveries)
                // Following is `send`'s (reconnects included); only the reopened deliveries are shown and counted.
                let flow = SendFlow(params: SendParams(template: result.template), options: SendOptions(), global: global)
                let final = try flow.follow(incident, client: client) { event in
                    guard ids.contains(event.delivery.id) else { return }
                    if global.json {
                        Console.jsonLine(DeliveryLine(incident: incident, delivery: event.delivery))
                    } else {
                        view?.update(event.delivery)
                    }
                }
                let resent = final.deliveries.filter { ids.contains($0.id) }
                let delivered = resent.count { $0.state == "delivered" }
                if global.json {
                    Console.jsonLine(ResendSummaryLine(incident: incident, channel: channel, deliveries: resent))
                } else if delivered == resent.count {
                    print(tr(
                        resent.count == 1 ? "L'envoi renvoyé sur « \(channel) » a été livré (incident \(incident))." : "Les \(resent.count) envois renvoyés sur « \(channel) » ont été livrés (incident \(incident)).",
                        resent.count == 1 ? "The re-sent delivery on '\(channel)' was delivered (incident \(incident))." : "All \(resent.count) re-sent deliveries on '\(channel)' delivered (incident \(incident))."
                    ))
                } else {
                    print(tr(
                        "\(delivered) sur \(Plural.fr(resent.count, "envoi renvoyé", "envois renvoyés")) sur « \(channel) » livrés, \(Plural.fr(resent.count - delivered, "nouvel échec", "nouveaux échecs")) (incident \(incident)). Voir : tocsinctl status \(incident)",
                        "\(delivered) of \(Plural.en(resent.count, "re-sent delivery", "re-sent deliveries")) on '\(channel)' delivered, \(resent.count - delivered) failed again (incident \(incident)). See: tocsinctl status \(incident)"
                    ))
                }
                if drill { print(SendFlow.drillLastLine) }
                if delivered != resent.count { exit = Exit.someFailed }
            }
            if exit != Exit.ok { throw exit }
        }
    }
}

/// What `resend` shows before asking: the channel, how many deliveries go again and to how many recipients.
struct ResendScreen {
    let result: ResendResult

    func show() {
        let drill = result.status != "Actual"
        let alarm = !drill && Console.colours(STDERR_FILENO)
        let rule = Console.alarm(String(repeating: drill ? "-" : "=", count: 64), on: alarm)
        Console.note(rule)
        if drill {
            Console.note("  EXERCICE / DRILL — " + tr("renvoi d'un exercice (statut CAP \(CAPWords.french(status: result.status)))", "resend of a drill (CAP status \(result.status))"))
        } else {
            Console.note(Console.alarm("  *** RENVOI RÉEL — LIVE RESEND ***", on: alarm))
            Console.note(Console.alarm("  Ceci part MAINTENANT vers de vraies personnes. / This goes to real people NOW.", on: alarm))
        }
        Console.note(rule)
        Console.note(tr(
            "Incident : \(result.incident)   Modèle : \(result.template)   Type : \(CAPWords.french(msgType: result.msgType))",
            "Incident: \(result.incident)   Template: \(result.template)   Type: \(result.msgType)"
        ))
        Console.note(tr("Canal :    \(result.channel) (\(result.type))", "Channel:  \(result.channel) (\(result.type))"))
        Console.note(tr(
            "Renvoie : \(Plural.fr(result.failed, "envoi en échec", "envois en échec"))"
                + (result.recipients > 0 ? ", à \(Plural.fr(result.recipients, "destinataire", "destinataires"))" : "")
                + " : le même message, les mêmes identifiants",
            "Re-sends: \(Plural.en(result.failed, "failed delivery", "failed deliveries"))"
                + (result.recipients > 0 ? ", to \(Plural.en(result.recipients, "recipient", "recipients"))" : "")
                + ": the same message, the same ids"
        ))
        for delivery in result.deliveries.prefix(10) {
            let attempts = Plural.tr(delivery.attempts, fr: ("tentative", "tentatives"), en: ("attempt", "attempts"))
            Console.note("  \(delivery.recipient.map { "\($0) " } ?? "")(\(delivery.id), \(attempts)): \(delivery.lastError == nil ? tr("échec", "failed") : DeliveryText.error(delivery))")
        }
        if result.deliveries.count > 10 { Console.note(tr("  … et \(result.deliveries.count - 10) de plus", "  … and \(result.deliveries.count - 10) more")) }
        Console.note(tr(
            "Ne repartent pas : \(Plural.fr(result.delivered, "livré", "livrés")), \(Plural.fr(result.cancelled, "annulé", "annulés"))",
            "Not sent again: \(result.delivered) delivered, \(result.cancelled) cancelled"
        ))
        Console.note(tr("Nouveau délai : ", "New deadline: ") + TimeDisplay.format(result.deadline))
        Console.note(rule)
    }
}

struct ResendLine: Encodable {
    var incident: String
    var event = "resent"
    var channel: String
    var deliveries: Int
    var recipients: Int
    var deadline: String
    var ids: [String]

    init(result: ResendResult) {
        incident = result.incident
        channel = result.channel
        deliveries = result.failed
        recipients = result.recipients
        deadline = result.deadline
        ids = result.deliveries.map(\.id)
    }
}

struct ResendSummaryLine: Encodable {
    var incident: String
    var event = "summary"
    var channel: String
    var finished: Bool
    var delivered: Int
    var failed: Int
    var deliveries: [DeliveryStatus]

    init(incident: String, channel: String, deliveries: [DeliveryStatus]) {
        self.incident = incident
        self.channel = channel
        delivered = deliveries.count { $0.state == "delivered" }
        failed = deliveries.count - delivered
        finished = deliveries.allSatisfy(\.isFinal)
        self.deliveries = deliveries
    }
}
