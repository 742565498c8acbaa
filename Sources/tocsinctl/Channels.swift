import ArgumentParser
import Foundation
import TocsinProtocol

extension Tocsinctl {
    struct Channels: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "channels",
            abstract: "List channels with their health, and test one end to end.",
            subcommands: [List.self, Test.self]
        )

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List channels: type, endpoint (secrets masked), last success, last error.")
            @OptionGroup var global: GlobalOptions

            /// `2027-03-01T00:00:00.000Z (in 97 days)`, or `… (EXPIRED)`.
            static func expiry(_ iso: String) -> String {
                guard let date = try? Date(iso, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) else { return iso }
                let days = Int(date.timeIntervalSinceNow / 86_400)
                return date.timeIntervalSinceNow <= 0 ? "\(iso) (EXPIRED)" : "\(iso) (in \(days) days)"
            }

            func run() throws {
                try runReporting(json: global.json) {
                    let channels = try global.connect().call(.channelList, EmptyParams(), as: [ChannelInfo].self)
                    if global.json { Console.json(channels); return }
                    print("\(Console.pad("CHANNEL", 20)) \(Console.pad("TYPE", 13)) \(Console.pad("ENDPOINT", 34)) \(Console.pad("LAST DELIVERED", 25)) LAST ERROR")
                    for channel in channels {
                        let error = channel.unavailable.map { "CANNOT SEND: \($0)" }
                            ?? channel.lastError.map { "\(channel.lastErrorAt ?? "") \($0)" } ?? "-"
                        print("\(Console.pad(channel.name, 20)) \(Console.pad(channel.type, 13)) \(Console.pad(channel.endpoint, 34)) \(Console.pad(channel.lastDeliveredAt ?? "never", 25)) \(error)")
                        if let expires = channel.expires { print("    credential expires \(Self.expiry(expires))") }
                        if let expires = channel.certificateExpires { print("    TLS certificate expires \(Self.expiry(expires))") }
                    }
                }
            }
        }

        struct Test: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "test",
                abstract: "Send a CAP status Test message to one channel and show its answer.",
                discussion: "The message says plainly, in each language, that it is a technical check needing no action."
            )
            @Argument(help: "The channel name (see `tocsinctl channels list`).") var channel: String
            @Option(name: .customLong("to"), help: "For an SMS or e-mail channel: the one configured recipient to test (default: the first).")
            var recipient: String?
            @Flag(name: .long, help: "Do not ask for confirmation, even when the test is seen by the public.") var yes = false
            @OptionGroup var global: GlobalOptions

            /// Channel types whose messages the public can see: a test there is a public post.
            static let publicTypes: [String: (fr: String, en: String)] = [
                "facebook-page": ("publiée sur la page Facebook", "posted on the Facebook page"),
                "x": ("publiée sur le compte X", "posted on the X account"),
                "cap": ("publiée dans le flux CAP que lisent les afficheurs et les agrégateurs", "published in the CAP feed that signage and aggregators read"),
                "ntfy": ("vue par tous les abonnés du sujet ntfy, public s'il n'est pas protégé", "seen by every subscriber of the ntfy topic, public unless it is protected"),
            ]

            func run() throws {
                var failed = false
                var declined = false
                try runReporting(json: global.json) {
                    let client = try global.connect()
                    if !yes, let info = try client.call(AdminCall.channelList, EmptyParams()).first(where: { $0.name == channel }),
                        let seen = Self.publicTypes[info.type] {
                        Console.note("Le message de test de « \(channel) » sera \(seen.fr) : le public le verra.")
                        Console.note("The test message of '\(channel)' will be \(seen.en): the public will see it.")
                        guard Console.ask("Tapez le nom du canal pour l'envoyer / Type the channel name to send it: ")?
                            .trimmingCharacters(in: .whitespaces) == channel else {
                            Console.note("Rien n'a été envoyé. / Nothing was sent.")
                            declined = true
                            return
                        }
                    }
                    let accepted = try client.call(.channelTest, ChannelParams(channel: channel, recipient: recipient), as: IncidentStatus.self)
                    let final = try client.stream(.watch, IncidentParams(incident: accepted.summary.incident), as: IncidentStatus.self) { _ in }
                    failed = !final.allDelivered
                    if global.json { Console.json(final); return }
                    print("Test message \(accepted.summary.incident) to \(channel):")
                    for delivery in final.deliveries { print(ProgressLine.text(delivery)) }
                    print(final.allDelivered ? "The channel works." : "The channel did NOT accept the test message. See the error above; `tocsinctl channels list` shows its endpoint.")
                }
                if declined { throw Exit.usage }
                if failed { throw Exit.someFailed }
            }
        }
    }
}
