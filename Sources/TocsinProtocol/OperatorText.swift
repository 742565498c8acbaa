/// The languages an operator reads (French first: DESIGN.md's organisations are francophone colleges).
public enum OperatorLanguage: String, Sendable, CaseIterable {
    case fr, en
}

/// The daemon's words in the operator's language, by key (``Said``) and, for an error without one, by its code.
///
/// English is the daemon's own message, unchanged: it is written once, where the error is made, so the two cannot
/// drift. French is written here, for every ``Said/Key`` (the switch is exhaustive, so a new key does not build
/// without its French). Shared by every client: the CLI now, the web console next.
public enum OperatorText {
    /// The error as a person should read it: message, problems (one per line, indented) and hint.
    public static func describe(_ error: RPCError, in language: OperatorLanguage) -> String {
        guard language == .fr else { return error.description }
        let said = parts(of: error, in: language)
        var text = said.message
        if !said.problems.isEmpty { text += "\n" + said.problems.map { "  - \($0)" }.joined(separator: "\n") }
        if let hint = said.hint { text += "\n" + hint }
        return text
    }

    /// An error's message, each of its problems and its hint, in `language`, for a client that lays them out
    /// itself (the web console): French by key where the daemon gave one, else a French lead before the English.
    public struct Parts: Sendable {
        public var message: String
        public var problems: [String]
        public var hint: String?
    }

    public static func parts(of error: RPCError, in language: OperatorLanguage) -> Parts {
        let data = error.data
        guard language == .fr else { return Parts(message: error.message, problems: data?.problems ?? [], hint: data?.hint) }
        let keyed = data?.problemsSaid ?? []
        return Parts(
            message: data?.said.flatMap { french($0) } ?? (headline(for: error) + error.message),
            problems: (data?.problems ?? []).enumerated().map { index, problem in index < keyed.count ? french(keyed[index]) ?? problem : problem },
            hint: data?.said.flatMap({ frenchHint($0) }) ?? data?.hint
        )
    }

    /// A short French lead for an error the daemon said without a key, so the operator knows at once what kind of
    /// refusal it is; the English details follow it.
    static func headline(for error: RPCError) -> String {
        let reason = error.data?.reason ?? ""
        if reason.hasPrefix("store.full") { return "Disque plein, rien n'a été enregistré — détail en anglais : " }
        if reason.hasPrefix("store") { return "La base d'état a échoué — détail en anglais : " }
        switch error.code {
        case RPCError.validationCode, RPCError.invalidParamsCode: return "Demande refusée — détail en anglais : "
        case RPCError.notAuthorisedCode: return "Non autorisé — détail en anglais : "
        case RPCError.notApprovedCode: return "Modèle non approuvé — détail en anglais : "
        case RPCError.notFoundCode: return "Introuvable — détail en anglais : "
        case RPCError.busyCode: return "tocsind est surchargé, rien n'a été fait — détail en anglais : "
        case RPCError.refusedCode: return "Refusé, rien n'a été fait — détail en anglais : "
        case RPCError.unavailableCode, RPCError.timeoutCode: return "tocsind n'a pas pu le faire — détail en anglais : "
        default: return "Erreur — détail en anglais : "
        }
    }

    /// The French sentence for `said`; nil for a key this client does not know.
    public static func french(_ said: Said) -> String? {
        guard let key = Said.Key(rawValue: said.key) else { return nil }
        let a = said.arguments
        func q(_ name: String) -> String { "« \(a[name] ?? "") »" }
        func list(_ name: String, none: String) -> String {
            let items = said.lists?[name] ?? []
            return items.isEmpty ? none : items.joined(separator: ", ")
        }
        func allowed() -> String {
            let items = said.lists?["allowed"] ?? []
            return items.isEmpty ? "" : " (valeurs permises : " + items.map { "« \($0) »" }.joined(separator: ", ") + ")"
        }
        switch key {
        case .notAuthorised:
            return "\(a["caller"] ?? "") n'a pas le droit de faire \(a["method"] ?? "") : il faut le rôle \(a["roles"] ?? "")."
                + " Un administrateur peut vous ajouter sous « access » dans tocsin.yaml."
        case .noTemplate:
            return "aucun modèle \(q("template")) (modèles : \(list("known", none: "aucun")))"
                + (a["builtIn"] == "yes" ? " ; la fin d'alerte intégrée de Tocsin termine un incident : tocsinctl all-clear INCIDENT" : "")
        case .notApproved:
            return "le modèle \(q("template")) "
                + (a["changed"] == "yes" ? "a changé depuis son approbation" : "n'est pas approuvé")
                + " ; un envoi réel est refusé et rien n'a été envoyé"
        case .approvalChanged:
            return "le modèle \(q("template")) a changé depuis que vous l'avez relu ; relisez-le (tocsinctl templates show \(a["template"] ?? ""))"
        case .valuesInvalid:
            return "les valeurs données pour le modèle \(q("template")) ne sont pas valides ; rien n'a été envoyé"
        case .sendCut:
            return "cet envoi n'arriverait pas en entier sur chaque canal, donc rien n'a été envoyé"
        case .requestKeyInvalid:
            return "la clé de requête doit avoir de \(a["min"] ?? "") à \(a["max"] ?? "") lettres, chiffres, « - », « _ », « . » ou « : » (un UUID convient) ; rien n'a été envoyé"
        case .requestKeyReused:
            return "la clé de requête \(q("key")) a déjà servi à un autre envoi (incident \(a["incident"] ?? "")) ; rien n'a été envoyé"
        case .requestKeyExpired:
            return "la clé de requête \(q("key")) a créé l'incident \(a["incident"] ?? "") il y a plus de 24 heures : ce n'est donc pas une répétition ; rien n'a été envoyé"
        case .noDrillRoute:
            return "le modèle \(q("template")) n'a pas de drill_route ; nommez une route avec --route"
        case .noRoute:
            return "aucune route \(q("route")) (routes : \(list("known", none: "aucune")))"
        case .noChannel:
            return "aucun canal \(q("channel")) (canaux : \(list("known", none: "aucun")))"
        case .noIncident:
            return "aucun incident \(q("incident")) ; « tocsinctl status » liste les incidents récents"
        case .storeFailed:
            return "\(a["doing"] ?? "l'opération a échoué") : la base d'état a répondu « \(a["error"] ?? "") »"
        case .alreadyApproved:
            return "vous avez déjà approuvé ce contenu de \(q("template")) ; il faut \(a["required"] ?? "") approbateurs différents (\(a["count"] ?? "") jusqu'ici), donc un autre approbateur doit l'approuver"
        case .resendRaced:
            return "les envois en échec de \(q("channel")) ont changé entre-temps (un autre renvoi ?) ; ce renvoi-ci n'a rien renvoyé"
        case .resendHeartbeat:
            return "l'incident \(a["incident"] ?? "") est un signal de vie : il n'est pas renvoyé (le prochain part à l'heure prévue)"
        case .resendOver:
            let how = a["end"] == "cancel"
                ? "l'incident \(a["other"] ?? "") de son fil a été annulé (tocsinctl cancel)"
                : "son fil a reçu la fin d'alerte \(a["other"] ?? "")"
            return "l'incident \(a["incident"] ?? "") est terminé : \(how) ; une alerte ne doit jamais arriver après sa fin, donc rien n'a été renvoyé"
        case .resendChannelGone:
            return "le canal \(q("channel")) n'est plus configuré ; rien n'a été renvoyé"
        case .resendChannelCannotSend:
            return "le canal \(q("channel")) ne peut pas envoyer (\(a["reason"] ?? "")) ; rien n'a été renvoyé"
        case .resendNothingFailed:
            return "l'incident \(a["incident"] ?? "") n'a aucun envoi en échec sur le canal \(q("channel")) ; rien n'a été renvoyé"
        case .resendNoStoredMessage:
            return "le canal \(q("channel")) ne pouvait pas envoyer à la création de l'incident \(a["incident"] ?? ""), donc aucun message n'a été gardé pour lui ; rien n'a été renvoyé"
        case .builtInAllClearNoValues:
            return "la fin d'alerte intégrée de Tocsin ne prend aucune valeur (son texte est fixe) ; rien n'a été envoyé"
        case .channelTestPublic:
            return "le test du canal \(q("channel")) serait une publication publique ; rien n'a été envoyé"
        case .notARecipient:
            return "\(q("recipient")) n'est pas un destinataire du canal \(q("channel")) ; nommez avec --to l'un de ses \(a["count"] ?? "") destinataires configurés"
        case .approvalCuts:
            let count = Int(a["count"] ?? "") ?? 0
            return "le modèle \(q("template")) arriverait raccourci sur \(count < 2 ? "un canal" : "\(count) canaux"), donc il ne peut pas être approuvé tel quel ; rien n'a été approuvé"
        case .backupPath:
            return "tocsind nomme lui-même les sauvegardes et les écrit seulement dans \(a["folder"] ?? "") (paths.backups) : lancez « tocsinctl backup » sans chemin, puis copiez le fichier qu'il nomme"
        case .backupNotAuthorised:
            return "\(a["caller"] ?? "") ne peut pas demander de sauvegarde : il faut le rôle operator, ou le rôle auditor avec « access.auditors_may_backup: true » dans tocsin.yaml"
        case .backupNoRoom:
            return "pas assez d'espace libre dans \(a["folder"] ?? "") pour une sauvegarde : \(a["free"] ?? "") Mo libres, la base demande \(a["needed"] ?? "") Mo et 64 Mo sont gardés en réserve ; libérez de l'espace ou placez paths.backups sur un disque plus grand"
        case .backupFolderNotFolder:
            return "\(a["folder"] ?? "") (paths.backups) n'est pas un dossier (un lien symbolique ou un fichier n'est jamais suivi) ; retirez-le ou changez paths.backups"
        case .auditReasonShort:
            return "dites dans --reason pourquoi l'écart est légitime (au moins 10 caractères) : la raison est gardée dans le journal d'audit pour la revue"
        case .webUserName:
            return "\(q("name")) n'est pas un nom d'utilisateur web : de 1 à 64 lettres minuscules, chiffres, « . », « _ » ou « - », en commençant par une lettre"
        case .webUserPassword:
            return a["problem"] == "long"
                ? "le mot de passe dépasse 72 octets (bcrypt n'en lit pas plus) ; choisissez-en un plus court"
                : a["problem"] == "control"
                ? "le mot de passe ne peut pas contenir de caractères de contrôle (NUL, tabulation, saut de ligne)"
                : a["problem"] == "name"
                ? "le mot de passe ne peut pas être le nom de l'utilisateur"
                : "le mot de passe doit avoir au moins 12 caractères (quelques mots sont faciles à taper sur un téléphone)"
        case .webUserExists:
            return "l'utilisateur web \(q("name")) existe déjà ; tocsinctl web-users reset \(a["name"] ?? "") lui donne un nouveau mot de passe et un nouveau code"
        case .webUserUnknown:
            return "aucun utilisateur web \(q("name")) (tocsinctl web-users list les montre)"
        case .webSeedKeyMissing:
            return "tocsind n'a pas de clé pour sceller les codes TOTP des utilisateurs web ; rien n'a été fait"
        case .webSignInWrong:
            return "le nom, le mot de passe ou le code est erroné ; rien n'a été fait"
        case .webSignInWait:
            return "trop d'échecs de connexion : attendez \(a["seconds"] ?? "") s avant de réessayer"
        case .webSignInLockedOut:
            return "trop d'échecs de connexion : ce compte est bloqué pour l'instant"
        case .webStepUpNeeded:
            return "un envoi réel depuis la console web demande un nouveau code de l'application d'authentification ; rien n'a été envoyé"
        case .webGatewayNotListed:
            return "\(a["caller"] ?? "") ne peut pas agir pour des utilisateurs web : il n'est pas listé sous access.web_gateways dans tocsin.yaml"
        case .webUserGone:
            return "il n'y a pas d'utilisateur web \(q("name")) (supprimé, ou jamais ajouté) : reconnectez-vous"
        case .webNotServed:
            return "la console web ne fait pas \(a["method"] ?? "") : cela se fait avec tocsinctl sur le serveur"
        case .webCodeUsed:
            return "ce code a déjà servi : attendez le suivant dans l'application (30 secondes au plus)"
        case .busy:
            return "tocsind est occupé ; réessayez dans un moment"
        case .reloadBusy:
            return "un rechargement est déjà en cours ; réessayez dans un moment"
        case .reloadInvalid:
            let count = Int(a["count"] ?? "") ?? 0
            return "la nouvelle configuration a \(count) erreur\(count < 2 ? "" : "s") ; la configuration en cours est gardée et rien n'a changé"
        case .reloadUnreadable:
            return "la configuration n'a pas pu être lue (détail en anglais : \(a["error"] ?? "")) ; la configuration en cours est gardée"
        case .templateCut:
            let values = a["values"].flatMap { $0.isEmpty ? nil : ", \($0)" } ?? ""
            // The note is the channel encoder's measure ("text shortened from 5 to 4 SMS segments"): kept as it is.
            return "le modèle \(q("template")) ne tient pas sur le canal \(q("channel")) (\(frenchCutKind(a["kind"] ?? ""))\(values)) : \(a["note"] ?? "")"
        case .unknownVariable:
            let known = list("known", none: "")
            return "variable inconnue \(q("name")) pour le modèle \(q("template"))"
                + (known.isEmpty ? " (il n'en prend aucune)" : " (il prend : \(known))")
        case .missingVariable:
            return "variable requise manquante \(q("name")) : ajoutez --set \(a["name"] ?? "")=…" + allowed()
        case .valueTooLong:
            let measure = switch a["measure"] {
            case "bytes": "occupe \(a["count"] ?? "") octets en UTF-8"
            case "scalars": "compte \(a["count"] ?? "") points de code (les accents empilés comptent)"
            default: "compte \(a["count"] ?? "") caractères"
            }
            return "la valeur de \(q("name")) \(measure) ; au plus \(a["limit"] ?? "") caractères sont acceptés"
        case .valueControl:
            return "la valeur de \(q("name")) contient un caractère de contrôle (saut de ligne, tabulation, échappement…) ; écrivez-la sur une seule ligne"
        case .valueBidirectional:
            return "la valeur de \(q("name")) contient un caractère de contrôle bidirectionnel (\(a["character"] ?? "")), qui peut faire lire l'alerte autrement qu'elle a été tapée ; retirez-le"
        case .valueInvisible:
            return "la valeur de \(q("name")) contient un caractère invisible (\(a["character"] ?? "")) : caractères de largeur nulle, marques d'ordre et étiquettes peuvent cacher du texte ; retirez-le"
        case .valueOverMaxLength:
            return "la valeur de \(q("name")) compte \(a["count"] ?? "") caractères ; ce modèle en permet au plus \(a["limit"] ?? "") (max_length), pour que ses textes tiennent sur chaque canal : raccourcissez-la"
        case .valueNotAllowed:
            return "\(q("value")) n'est pas une valeur permise de \(q("name"))" + allowed()
        case .valueEmpty:
            return "la valeur de \(q("name")) est vide"
        case .healthConfigRefused, .healthConfigLoaded, .healthTemplatesCut, .healthDatabaseCannotWrite,
             .healthDatabaseLowSpace, .healthDatabaseWritable, .healthChannelCannotSend, .healthChannelFailing,
             .healthChannelLastFailed, .healthChannelsFine, .healthCredentialExpired, .healthCredentialExpiring,
             .healthHeartbeatFailed, .healthHeartbeatMissing, .healthHeartbeatLate, .healthHeartbeatFirst,
             .healthHeartbeatDelivered, .healthAuditContradicts, .healthAuditBroken, .healthAuditIntact,
             .healthAuditCannotVerify, .healthNodesUnreadable, .healthNodeSilent, .healthNodesDiffer, .healthNodesFine:
            return frenchHealth(key, said)
        }
    }

    /// A cut's kind (`live`, `update`, `drill`, `drill update`, `all-clear after T`, `drill all-clear after T`) in French.
    static func frenchCutKind(_ kind: String) -> String {
        var rest = Substring(kind)
        let drill = rest.hasPrefix("drill ") || rest == "drill"
        if drill { rest = rest.dropFirst("drill".count).drop { $0 == " " } }
        let what: String
        if rest.hasPrefix("all-clear after ") {
            what = "fin d'alerte après \(rest.dropFirst("all-clear after ".count))"
        } else {
            what = ["live": "réel", "update": "mise à jour", "": ""][String(rest)] ?? String(rest)
        }
        switch (drill, what.isEmpty) {
        case (true, true): return "exercice"
        case (true, false): return "exercice, \(what)"
        default: return what
        }
    }

    /// The French hint that goes with `said`, when its key has one.
    public static func frenchHint(_ said: Said) -> String? {
        guard let key = Said.Key(rawValue: said.key) else { return nil }
        let template = said.arguments["template"] ?? ""
        switch key {
        case .notApproved:
            return "Un approbateur doit le relire (tocsinctl templates show \(template)) puis lancer : tocsinctl templates approve \(template)"
        case .sendCut:
            return "Modifiez les valeurs ci-dessus et envoyez de nouveau ; le texte approuvé lui-même tient."
        case .requestKeyReused:
            return "Donnez à chaque envoi sa propre clé ; ne répétez une clé que pour redemander le même envoi."
        case .requestKeyExpired:
            return "Donnez une nouvelle clé à cet envoi (un script doit en créer une par envoi voulu)."
        case .resendRaced:
            return "Voir : tocsinctl status \(said.arguments["incident"] ?? "")"
        case .resendOver:
            return "Pour joindre les gens de nouveau, envoyez une nouvelle alerte (tocsinctl send …)."
        case .resendChannelGone:
            return "Remettez-le dans la configuration et lancez tocsinctl reload, ou envoyez une nouvelle alerte."
        case .resendChannelCannotSend:
            return "Corrigez sa configuration et lancez d'abord tocsinctl reload."
        case .resendNothingFailed:
            let failing = said.lists?["failing"] ?? []
            return failing.isEmpty ? "Rien n'a échoué dans cet incident." : "Canaux avec des envois en échec : \(failing.joined(separator: ", "))."
        case .builtInAllClearNoValues:
            return "Envoyez-la sans --set, ou configurez un modèle all-clear (runbooks/template-change-and-approval.md)."
        case .channelTestPublic:
            let channel = said.arguments["channel"] ?? ""
            return "Lancez tocsinctl channels test \(channel) et tapez le nom du canal pour confirmer, ou ajoutez --yes."
        case .approvalCuts:
            return "Donnez au modèle un texte « short: » par langue qui tient, déclarez « max_length » pour les variables libres, ou mettez « allow_shortening: true » sur un canal qui peut raccourcir (docs/configuration.md), puis lancez tocsinctl reload."
        case .webSignInLockedOut:
            return "Un approbateur peut le débloquer tout de suite : tocsinctl web-users unlock \(said.arguments["name"] ?? "")"
        case .webSeedKeyMissing:
            return "Créez-en une (openssl rand -base64 32 > /etc/tocsin/web-seed-key ; chmod 600 /etc/tocsin/web-seed-key),"
                + " donnez-la à tocsind (web.seed_key_file, ou LoadCredential=web-seed-key:/etc/tocsin/web-seed-key), puis lancez tocsinctl reload."
        case .resendNoStoredMessage:
            return "Envoyez plutôt une mise à jour par ce canal (tocsinctl update \(said.arguments["incident"] ?? "") \(template) --route …)."
        default:
            return nil
        }
    }
}
