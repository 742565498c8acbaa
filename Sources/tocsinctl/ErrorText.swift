import FoundationEssentials
import Glibc
import TocsinClient
import TocsinProtocol

extension ClientError {
    /// The error in the operator's language: the daemon's refusals through ``OperatorText`` (by key, else a French
    /// lead before the English details), the client's own failures here. `description` stays English (`--json`).
    var operatorText: String {
        switch self {
        case .unreachable(let path, let reason):
            tr("impossible de joindre tocsind à \(path) : \(Self.frenchReason(reason))", description)
        case .permissionDenied(let path):
            tr("permission refusée sur \(path) : vous n'êtes pas dans le groupe autorisé à utiliser le socket d'administration de tocsind (demandez-le à un administrateur)", description)
        case .connectionLost(let reason):
            tr("la connexion à tocsind a été perdue : \(reason)", description)
        case .noAnswer(let seconds):
            tr("tocsind n'a pas répondu en \(seconds) s : il est peut-être bloqué ou surchargé (journalctl -u tocsind). On ne sait pas si la demande a pris effet : après un envoi, vérifiez avec « tocsinctl status » avant de renvoyer", description)
        case .badAnswer(let reason):
            tr("tocsind a envoyé une réponse que ce tocsinctl ne comprend pas : \(reason)", description)
        case .refused(let error):
            OperatorText.describe(error, in: OperatorLanguage.current)
        }
    }

    /// The connection failures the client itself words (UnixSocketConnection), in French; others (strerror) with a
    /// French lead.
    private static func frenchReason(_ reason: String) -> String {
        let french: [Int32: String] = [
            ENOENT: "aucun socket à cet endroit ; tocsind est-il démarré ? (systemctl status tocsind)",
            ECONNREFUSED: "connexion refusée ; tocsind n'est pas démarré ou redémarre",
            EACCES: "permission refusée ; vous n'êtes pas dans le groupe autorisé à utiliser le socket d'administration",
        ]
        for (code, text) in french where UnixSocketConnection.describeConnectError(code) == reason { return text }
        return "détail en anglais : \(reason)"
    }
}
