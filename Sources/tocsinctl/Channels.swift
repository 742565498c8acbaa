import ArgumentParser
import FoundationEssentials
import TocsinClient
import TocsinDisplay
import TocsinProtocol
import TocsinText

extension Tocsinctl {
    struct Channels: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "channels",
            abstract: tr("Lister les canaux et leur état, et en tester un de bout en bout.", "List channels with their health, and test one end to end."),
            subcommands: [List.self, Test.self]
        )

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: tr("Lister les canaux : type, point d'accès (secrets masqués), dernier succès, dernière erreur.", "List channels: type, endpoint (secrets masked), last success, last error."))
            @OptionGroup var global: GlobalOptions

            /// `2027-02-28 19:00:00 -05:00 (in 97 days)`, or `… (EXPIRED)`: local time, like every time shown.
            static func expiry(_ iso: String) -> String {
                guard let date = TimeDisplay.parse(iso) else { return iso }
                let days = Int(date.timeIntervalSinceNow / 86_400)
                let shown = TimeDisplay.format(date)
                return date.timeIntervalSinceNow <= 0 ? "\(shown) (" + tr("EXPIRÉ", "EXPIRED") + ")" : "\(shown) (" + tr("dans \(days) jours", "in \(days) days") + ")"
            }

            func run() throws {
                try runReporting(json: global.json) {
                    let channels = try global.connect().call(.channelList, EmptyParams(), as: [ChannelInfo].self)
                    if global.json { Console.json(channels); return }
                    // Built as a table first: every column as wide as its longest value, times in local time.
                    var table = TextTable(header: [
                        tr("CANAL", "CHANNEL"), "TYPE", tr("POINT D'ENVOI", "ENDPOINT"), tr("DERNIÈRE LIVRAISON", "LAST DELIVERED"),
                        tr("DERNIÈRE ERREUR", "LAST ERROR"),
                    ])
                    for channel in channels {
                        let error = channel.unavailable.map { tr("ENVOI IMPOSSIBLE : ", "CANNOT SEND: ") + $0 }
                            ?? channel.lastError.map {
                                TimeDisplay.format(channel.lastErrorAt, absent: "") + " "
                                    + FailureText.said($0, kind: channel.lastErrorKind, status: nil, channelType: channel.type)
                            } ?? "-"
                        table.add([channel.name, channel.type, channel.endpoint,
                                   TimeDisplay.format(channel.lastDeliveredAt, absent: tr("jamais", "never")), error])
                    }
                    let lines = table.lines(indent: "")
                    print(lines[0])
                    for (channel, line) in zip(channels, lines.dropFirst()) {
                        print(line)
                        if let expires = channel.expires { print(tr("    l'identifiant expire le ", "    credential expires ") + Self.expiry(expires)) }
                        if let expires = channel.certificateExpires { print(tr("    le certificat TLS expire le ", "    TLS certificate expires ") + Self.expiry(expires)) }
                    }
                }
            }
        }

        struct Test: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "test",
                abstract: tr("Envoyer un message CAP de statut Test à un canal et montrer sa réponse.", "Send a CAP status Test message to one channel and show its answer."),
                discussion: "The message says plainly, in each language, that it is a technical check needing no action."
            )
            @Argument(help: ArgumentHelp(tr("Le nom du canal (voir `tocsinctl channels list`).", "The channel name (see `tocsinctl channels list`).")), completion: .channelNames) var channel: String
            @Option(name: .customLong("to"), help: ArgumentHelp(tr("Pour un canal SMS ou courriel : le destinataire configuré à tester (par défaut : le premier).", "For an SMS or e-mail channel: the one configured recipient to test (default: the first).")))
            var recipient: String?
            @Flag(name: .long, help: ArgumentHelp(tr("Ne pas demander de confirmation, même quand le test est vu par le public.", "Do not ask for confirmation, even when the test is seen by the public."))) var yes = false
            @OptionGroup var global: GlobalOptions

            func run() throws {
                var failed = false
                var declined = false
                try runReporting(json: global.json) {
                    let client = try global.connect()
                    let accepted: IncidentStatus
                    do {
                        accepted = try client.call(AdminCall.channelTest, ChannelParams(channel: channel, recipient: recipient, publicPostConfirmed: yes ? true : nil))
                    } catch ClientError.refused(let error) where error.data?.reason == "needs-confirmation" {
                        // The daemon knows which channels are public and asks first; the operator confirms by typing the name.
                        for line in error.data?.problems ?? [] { Console.note(line) }
                        guard Console.ask("Tapez le nom du canal pour l'envoyer / Type the channel name to send it: ")?
                            .trimmingWhitespace() == channel else {
                            Console.note("Rien n'a été envoyé. / Nothing was sent.")
                            declined = true
                            return
                        }
                        accepted = try client.call(AdminCall.channelTest, ChannelParams(channel: channel, recipient: recipient, publicPostConfirmed: true))
                    }
                    let final = try client.stream(.watch, IncidentParams(incident: accepted.summary.incident), as: IncidentStatus.self) { _ in }
                    failed = !final.allDelivered
                    if global.json { Console.json(final); return }
                    print(tr("Message de test \(accepted.summary.incident) vers \(channel) :", "Test message \(accepted.summary.incident) to \(channel):"))
                    for delivery in final.deliveries { print(DeliveryText.text(delivery)) }
                    print(final.allDelivered
                        ? tr("Le canal fonctionne.", "The channel works.")
                        : tr("Le canal n'a PAS accepté le message de test. Voyez l'erreur ci-dessus ; `tocsinctl channels list` montre son point d'accès.",
                             "The channel did NOT accept the test message. See the error above; `tocsinctl channels list` shows its endpoint."))
                }
                if declined { throw Exit.usage }
                if failed { throw Exit.someFailed }
            }
        }
    }
}
