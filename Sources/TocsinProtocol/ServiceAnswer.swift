/// How a client names a service's answer and its acceptance, from the channel's type (``DeliveryStatus/channelType``).
public enum ServiceAnswer {
    /// "SMTP 250" for a mail server's reply, "HTTP 404" otherwise (and when the type is unknown, from older daemons).
    public static func label(_ code: Int, channelType: String?) -> String {
        channelType == "email" ? "SMTP \(code)" : "HTTP \(code)"
    }

    /// The column heading of answer codes for a set of deliveries: "SMTP" when all are e-mail, "HTTP/SMTP" when mixed.
    public static func heading(channelTypes: some Sequence<String?>) -> String {
        let mail = Set(channelTypes.map { $0 == "email" })
        return mail == [true] ? "SMTP" : mail.contains(true) ? "HTTP/SMTP" : "HTTP"
    }

    /// The acceptance in French, as TocsinChannels' `ProviderReceipt.acceptance(of:id:)` says it in English: starts
    /// with its verb, which says whether the service only queued the message (SMS, e-mail) or published it.
    public static func frenchAcceptance(channelType: String?, id: String?) -> String? {
        switch channelType {
        case "twilio-sms": return "accepté par Twilio (\(id ?? "aucun identifiant de message rendu"))"
        case "email": return "accepté par le serveur de courriel (\(id.map { "identifiant de file \($0)" } ?? "aucun identifiant de file rendu"))"
        default: break
        }
        guard let id, let channelType else { return nil }
        switch channelType {
        case "facebook-page": return "publié sur la page Facebook (publication \(id))"
        case "x": return "publié sur X (publication \(id))"
        case "telegram": return "publié sur Telegram (message \(id))"
        case "discord": return "publié sur Discord (message \(id))"
        case "google-chat": return "publié sur Google Chat (\(id))"
        case "ntfy": return "publié sur ntfy (message \(id))"
        default: return "livré (identifiant \(id))"
        }
    }
}
