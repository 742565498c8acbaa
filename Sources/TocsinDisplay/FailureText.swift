public import TocsinProtocol
import TocsinText

/// A delivery's failure in the operator's language, from its kind (``ErrorKind``, given by the daemon), never by
/// reading the English: "pas de réponse après 5 s" / "no answer after 5 s", "connexion refusée" / "connection
/// refused". The English detail the daemon recorded (already masked of secrets) stays where only it says what to
/// fix (TLS, a request that cannot be sent); without a kind (an older daemon) the text is shown as before.
public enum FailureText {
    /// Both languages, for the bilingual HTML report: "connexion refusée (…) / connection refused (…)"; the English
    /// alone when the French would only lead into it.
    public static func both(_ error: String, kind: ErrorKind?, status: Int?, channelType: String?, latencyMillis: Int64? = nil) -> String {
        let english = said(error, kind: kind, status: status, channelType: channelType, latencyMillis: latencyMillis, in: .en)
        let french = said(error, kind: kind, status: status, channelType: channelType, latencyMillis: latencyMillis, in: .fr)
        return french.hasSuffix(english) ? french : "\(french) / \(english)"
    }

    /// - Parameters:
    ///   - error: the daemon's English `lastError`.
    ///   - status: the answer's code, when the service answered.
    ///   - latencyMillis: how long the attempt took, for a timeout whose text does not say.
    public static func said(
        _ error: String, kind: ErrorKind?, status: Int?, channelType: String?, latencyMillis: Int64?, in language: OperatorLanguage
    ) -> String {
        let french = language == .fr
        func tr(_ fr: String, _ en: String) -> String { french ? fr : en }
        guard let kind else {
            return french ? ServiceAnswer.frenchError(error, status: status, channelType: channelType) : error
        }
        let gaveUp = ErrorKind.gaveUpAttempts(in: error).map { attempts in
            tr(
                " ; abandon après \(Plural.fr(attempts, "essai", "essais")) : le délai de livraison est passé",
                "; gave up after \(Plural.en(attempts, "attempt", "attempts")): the delivery deadline has passed"
            )
        } ?? ""
        switch kind {
        case .httpStatus:
            let code = status ?? ErrorKind.status(in: error)
            return french ? ServiceAnswer.frenchError(error, status: code, channelType: channelType) : error
        case .timeout:
            let seconds = ErrorKind.seconds(in: error) ?? latencyMillis.map { Int(($0 + 500) / 1000) }
            return (seconds.map { tr("pas de réponse après \($0) s", "no answer after \($0) s") }
                ?? tr("pas de réponse dans le délai", "no answer in time")) + gaveUp
        case .connectionRefused:
            return tr("connexion refusée (rien n'écoute à cette adresse)", "connection refused (nothing listens at that address)") + gaveUp
        case .connectionFailed:
            return tr("connexion impossible (hôte injoignable)", "could not connect (host unreachable)") + gaveUp
        case .dns:
            return tr("nom d'hôte introuvable (DNS)", "host name not found (DNS)") + gaveUp
        case .connectionBroken:
            return tr("connexion interrompue pendant l'échange", "connection broken during the exchange") + gaveUp
        case .deadline:
            return tr("le délai de livraison est passé avant le prochain essai", "the delivery deadline passed before the next try")
        case .tls:
            // What failed in TLS (an expired certificate, an unknown authority) is only in curl's words: kept.
            let cause = ErrorKind.cause(in: error)
            return tr("échec TLS (certificat ou chiffrement) — détail en anglais : \(cause)", cause) + gaveUp
        case .other:
            let cause = ErrorKind.cause(in: error)
            return tr("échec de l'envoi — détail en anglais : \(cause)", cause) + gaveUp
        }
    }

    /// Whether the service answered at all: only then does an attempt's duration read as "answer took".
    public static func answered(_ kind: ErrorKind?, status: Int?) -> Bool {
        status != nil || kind == .httpStatus
    }
}
