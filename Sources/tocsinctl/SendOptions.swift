import ArgumentParser

/// What every sending verb shares.
struct SendOptions: ParsableArguments {
    @Option(name: .customLong("set"), help: ArgumentHelp(tr("Une variable du modèle, nom=valeur ; une fois par variable.", "A template variable, name=value; repeat for each."), valueName: "name=value"), completion: .assignments)
    var assignments: [String] = []

    @Option(name: .long, help: ArgumentHelp(tr("Envoyer par cette route plutôt que par celle du modèle (ou de l'incident, pour un suivi).", "Send over this route instead of the template's own (or the incident's, for follow-ups).")), completion: .routeNames)
    var route: String?

    @Flag(name: .long, help: ArgumentHelp(tr("Ne pas demander de confirmation.", "Do not ask for confirmation.")))
    var yes = false

    @Flag(name: .long, help: ArgumentHelp(tr("Rendre la main dès que l'incident est enregistré, sans suivre les envois.", "Return once the incident is stored, without following delivery.")))
    var noWait = false

    @Option(name: .long, help: ArgumentHelp(tr(
        "Une clé à vous pour cet envoi (un UUID, par exemple) : relancée avec la même clé, la même commande ne renvoie jamais l'alerte une deuxième fois. Par défaut, une nouvelle clé à chaque commande.",
        "A key of your own for this send (a UUID, say): run again with the same key, the same command never sends the alert a second time. By default, a new key for each command."
    ), valueName: "key"))
    var requestKey: String?
}
