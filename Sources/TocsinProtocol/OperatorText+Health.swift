/// `health`'s checks in French, by key. What the daemon quotes from elsewhere (a store error, a refused reload's
/// reason, a receiver's answer) stays as it was said; times stay ISO 8601 for the client to show in local time.
extension OperatorText {
    static func frenchHealth(_ key: Said.Key, _ said: Said) -> String? {
        let a = said.arguments
        func v(_ name: String) -> String { a[name] ?? "" }
        func n(_ name: String) -> Int { Int(a[name] ?? "") ?? 0 }
        func plural(_ count: Int, _ one: String, _ many: String) -> String { "\(count) \(abs(count) < 2 ? one : many)" }
        func duration(_ name: String) -> String { frenchDuration(milliseconds: n(name)) }
        func items(_ name: String) -> String { (said.lists?[name] ?? []).joined(separator: " ; ") }
        let what = a["what"] == "certificate" ? "le certificat TLS du destinataire" : "l'identifiant"
        let renew = a["what"] == "certificate"
            ? "demandez à son propriétaire de le renouveler" : "renouvelez-le (runbooks/rotating-a-secret.md)"
        switch key {
        case .healthConfigRefused:
            return "le dernier rechargement (\(v("at"))) a été refusé : \(v("reason")) ; la configuration précédente tourne toujours"
        case .healthConfigLoaded:
            let allClear = a["allClear"] == "template" ? "le modèle de fin d'alerte" : "la fin d'alerte intégrée de Tocsin"
            return "chargée (\(v("fingerprint"))) : \(plural(n("channels"), "canal", "canaux")), \(plural(n("templates"), "modèle", "modèles")) ; \(allClear)"
        case .healthTemplatesCut:
            return "arriveraient raccourcis sur certains canaux : \(items("templates")) ; donnez-leur un texte « short: » (tocsinctl templates list montre chaque coupure)"
        case .healthDatabaseCannotWrite:
            return "écriture impossible : \(v("error"))"
        case .healthDatabaseLowSpace:
            return "inscriptible, mais seulement \(v("free")) Mo libres dans \(v("folder"))"
        case .healthDatabaseWritable:
            return "inscriptible"
        case .healthChannelCannotSend:
            return "ne peut pas envoyer : \(v("reason"))"
        case .healthChannelFailing:
            return "en échec depuis \(duration("for")) (\(plural(n("deliveries"), "envoi en reprise", "envois en reprise"))) : \(a["error"] ?? "pas de réponse")"
        case .healthChannelLastFailed:
            let when = a["at"].map { " le \($0)" } ?? ""
            return "le dernier envoi a échoué\(when) : \(a["error"] ?? "voir tocsinctl status") ; après correction, vérifiez avec « tocsinctl channels test \(v("channel")) »"
        case .healthChannelsFine:
            return "\(plural(n("count"), "canal", "canaux")), aucun en échec"
        case .healthCredentialExpired:
            return "\(what) a expiré le \(v("date")) : \(renew)"
        case .healthCredentialExpiring:
            let left = n("days") == 0 ? "moins d'un jour" : plural(n("days"), "jour", "jours")
            return "\(what) expire dans \(left) (\(v("date"))) : \(renew) avant cette date"
        case .healthHeartbeatFailed:
            return "le dernier signal de vie (\(a["incident"] ?? "non enregistré")) a échoué : \(a["error"] ?? "voir tocsinctl status")"
        case .healthHeartbeatMissing:
            return "aucun signal de vie livré depuis \(duration("for")) (toutes les \(duration("every")) par la route « \(v("route")) »)"
        case .healthHeartbeatLate:
            return "le signal de vie est en retard : le dernier a été livré il y a \(duration("for"))"
        case .healthHeartbeatFirst:
            return "premier signal de vie en cours"
        case .healthHeartbeatDelivered:
            return "dernier livré le \(v("at")) par la route « \(v("route")) »"
        case .healthAuditContradicts:
            return "la chaîne d'audit contredit son registre et plus rien n'est signé : \(v("problem")) ; après enquête, un approbateur lance « tocsinctl audit accept --reason … » (runbooks/audit-signing-key.md)"
        case .healthAuditBroken:
            return "chaîne rompue à l'entrée \(v("seq")) : \(v("problem"))"
        case .healthAuditIntact:
            let signed = a["signed"].map { " ; signée jusqu'à l'entrée \($0)" } ?? ""
            return "intacte (\(plural(n("checked"), "entrée", "entrées")))\(signed)"
        case .healthAuditCannotVerify:
            return "vérification impossible : \(v("error"))"
        case .healthNodesUnreadable:
            return "impossible de lire les nœuds : \(v("error"))"
        case .healthNodeSilent:
            return "le nœud « \(v("node")) » (pid \(v("pid")) sur \(v("host"))) est muet depuis \(v("since")), plus de 3 baux (\(duration("leases"))) : ses envois sont repris quand ses baux expirent ; relancez-le ou voyez runbooks/losing-a-node.md"
        case .healthNodesDiffer:
            return "les empreintes de configuration diffèrent (\(items("groups"))) : les nœuds n'enverraient pas de la même façon ; donnez à chaque nœud la même configuration et les mêmes modèles, puis rechargez chacun (runbooks/two-node-deployment.md)"
        case .healthNodesFine:
            let names = (said.lists?["nodes"] ?? []).map { $0 == a["this"] ? "\($0) (ce nœud)" : $0 }
            return "\(plural(n("count"), "nœud vu", "nœuds vus")) depuis moins de 3 baux, même configuration (\(v("fingerprint"))) : \(names.joined(separator: ", "))"
        default:
            return nil
        }
    }

    /// "4,5 s", "2 min 3 s", "5 min", "3 h 10 min": a duration as a French reader writes it.
    public static func frenchDuration(milliseconds: Int) -> String {
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds < 60_000 {
            let tenths = (milliseconds + 50) / 100
            return tenths % 10 == 0 ? "\(tenths / 10) s" : "\(tenths / 10),\(tenths % 10) s"
        }
        let seconds = milliseconds / 1000
        // A zero part is left out: "5 min", "1 h", not "5 min 0 s".
        let (large, small) = seconds < 3600 ? ((seconds / 60, "min"), (seconds % 60, "s")) : ((seconds / 3600, "h"), ((seconds % 3600) / 60, "min"))
        return small.0 == 0 ? "\(large.0) \(large.1)" : "\(large.0) \(large.1) \(small.0) \(small.1)"
    }
}
