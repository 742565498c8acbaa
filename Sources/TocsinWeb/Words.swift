import TocsinProtocol
/// What the pages say, in French and English. French is written first: it is the language of most of the people
/// the console serves, and the one that must never be missing.
enum Words {
    static func of(_ language: OperatorLanguage) -> [String: String] {
        language == .fr ? french : english
    }

    static let french: [String: String] = [
        "signInTitle": "Connexion", "name": "Nom d'utilisateur", "password": "Mot de passe",
        "code": "Code de l'application d'authentification (6 chiffres)", "signIn": "Se connecter", "signOut": "Se déconnecter",
        "newAlert": "Nouvelle alerte", "incidents": "Incidents récents", "noIncidents": "Aucun incident.",
        "chooseTemplate": "Choisir le message", "notApproved": "non approuvé : exercice seulement",
        "previewDrill": "Aperçu de l'EXERCICE", "previewLive": "Aperçu de l'envoi RÉEL",
        "previewTitle": "Vérifiez avant d'envoyer", "channel": "Canal", "text": "Texte", "length": "Longueur",
        "freshCode": "Nouveau code de l'application (envoi réel)", "drillBanner": "EXERCICE — aucune alerte réelle",
        "liveBanner": "ALERTE RÉELLE", "drillTag": "EXERCICE", "liveTag": "RÉEL", "testTag": "TEST",
        "typeWord": "Tapez « {word} » pour confirmer", "confirmDrill": "Envoyer l'EXERCICE", "confirmLive": "ENVOYER L'ALERTE RÉELLE",
        "allClear": "Fin d'alerte", "allClearButton": "Envoyer la fin d'alerte", "cancel": "Annuler les envois en cours",
        "cancelButton": "Annuler les envois", "delivered": "reçu", "failed": "échec", "cancelled": "annulé",
        "pending": "en attente", "retrying": "nouvel essai", "inFlight": "en cours", "progress": "{done} sur {total} envois reçus",
        "finished": "Terminé.", "inProgress": "Envoi en cours — la page se met à jour.", "back": "Retour à l'accueil",
        "wrongWord": "Ce n'est pas le mot demandé ; rien n'a été envoyé.", "alreadySent": "Cet envoi avait déjà été enregistré (deuxième appui, ou formulaire envoyé de nouveau) : rien n'est reparti.", "signedOut": "Vous êtes déconnecté.",
        "sessionEnded": "Votre session a pris fin ; reconnectez-vous.", "error": "Erreur", "refresh": "Actualiser",
        "unreachable": "tocsind ne répond pas ; rien n'a été fait. Prévenez l'administrateur.",
        "lost": "La connexion à tocsind s'est coupée avant sa réponse : on ne sait pas si c'est fait. Regardez la liste des incidents avant de recommencer.",
        "report": "Rapport d'incident", "state": "État", "update": "Mise à jour de l'incident",
        "previewUpdate": "Aperçu de la mise à jour", "confirmUpdate": "Envoyer la mise à jour",
        "resend": "Renvoyer les envois en échec", "resendButton": "Renvoyer", "by": "par", "switchLanguage": "English",
        "notFound": "Cette page n'existe pas.", "forbidden": "Requête refusée : elle ne vient pas de cette console.",
    ]

    static let english: [String: String] = [
        "signInTitle": "Sign in", "name": "User name", "password": "Password",
        "code": "Authenticator app code (6 digits)", "signIn": "Sign in", "signOut": "Sign out",
        "newAlert": "New alert", "incidents": "Recent incidents", "noIncidents": "No incidents.",
        "chooseTemplate": "Choose the message", "notApproved": "not approved: drill only",
        "previewDrill": "Preview the DRILL", "previewLive": "Preview the LIVE send",
        "previewTitle": "Check before sending", "channel": "Channel", "text": "Text", "length": "Length",
        "freshCode": "New code from the app (live send)", "drillBanner": "DRILL — not a real alert",
        "liveBanner": "LIVE ALERT", "drillTag": "DRILL", "liveTag": "LIVE", "testTag": "TEST",
        "typeWord": "Type “{word}” to confirm", "confirmDrill": "Send the DRILL", "confirmLive": "SEND THE LIVE ALERT",
        "allClear": "All clear", "allClearButton": "Send the all-clear", "cancel": "Cancel the sends in progress",
        "cancelButton": "Cancel the sends", "delivered": "delivered", "failed": "failed", "cancelled": "cancelled",
        "pending": "pending", "retrying": "retrying", "inFlight": "sending", "progress": "{done} of {total} deliveries received",
        "finished": "Finished.", "inProgress": "Sending — this page updates itself.", "back": "Back to the start",
        "wrongWord": "That is not the word asked for; nothing was sent.", "alreadySent": "This send was already stored (a second tap, or the form sent again): nothing went out again.", "signedOut": "You are signed out.",
        "sessionEnded": "Your session ended; sign in again.", "error": "Error", "refresh": "Refresh",
        "unreachable": "tocsind does not answer; nothing was done. Tell the administrator.",
        "lost": "The connection to tocsind broke before its answer: whether it was done is unknown. Check the incident list before trying again.",
        "report": "Incident report", "state": "State", "update": "Update the incident",
        "previewUpdate": "Preview the update", "confirmUpdate": "Send the update",
        "resend": "Re-send the failed deliveries", "resendButton": "Re-send", "by": "by", "switchLanguage": "Français",
        "notFound": "There is no such page.", "forbidden": "Request refused: it does not come from this console.",
    ]
}
