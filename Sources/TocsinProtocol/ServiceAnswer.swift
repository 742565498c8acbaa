import FoundationEssentials

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

    /// Between a delivery's error and what the service answered (its body, trimmed and masked), in `lastError`.
    public static let answeredSeparator = " — service answered: "

    /// A delivery's `lastError` in French, from the answer's code (the same classes as the retry policy's) and the
    /// service's own words kept as they came; an error without a code keeps its English detail behind a French lead.
    public static func frenchError(_ english: String, status: Int?, channelType: String?) -> String {
        let parts = english.components(separatedBy: answeredSeparator)
        let reason = parts[0]
        let answered = parts.count > 1 ? " — le service a répondu : " + parts.dropFirst().joined(separator: answeredSeparator) : ""
        guard let status else { return "détail en anglais : \(reason)" + answered }
        let label = label(status, channelType: channelType)
        if channelType == "email" { return "\(label) (détail en anglais : \(reason))" + answered }
        let said: String
        switch status {
        case 200..<300: said = "\(label), mais pas la réponse attendue du service (détail en anglais : \(reason))"
        case 408, 425, 429, 500..<600: said = reason == label ? label : "\(label) (détail en anglais : \(reason))"
        case 300..<400: said = "\(label) : le point d'accès redirige ; configurez son URL finale"
        case 401, 403: said = "\(label) : le service a refusé nos identifiants ; vérifiez le jeton ou le secret du canal"
        case 404, 410: said = "\(label) : le point d'accès n'existe pas (ou plus) ; vérifiez l'URL du canal"
        default: said = "\(label) : le service a rejeté la requête ; vérifiez la configuration du canal"
        }
        return said + answered
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
