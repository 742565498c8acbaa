import ArgumentParser
import FoundationEssentials
import Glibc
import TocsinClient
import TocsinDisplay
import TocsinProtocol
import TocsinText

extension Tocsinctl {
    struct Send: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "send",
            abstract: tr("Envoyer une alerte RÉELLE à partir d'un modèle approuvé, vers sa route.", "Send a LIVE alert from an approved template to its route."),
            discussion: tr(
                "Montre ce qui va partir et demande de taper ENVOYER (ou SEND), sauf avec --yes. Dans un terminal, demande chaque valeur obligatoire qui n'a pas été donnée avec --set.",
                "Shows what will go out and asks you to type SEND (or ENVOYER), unless --yes. On a terminal, asks for any required value not given with --set."
            )
        )

        @Argument(help: ArgumentHelp(tr("L'identifiant du modèle (voir « tocsinctl templates list »).", "The template id (see `tocsinctl templates list`).")), completion: .templateIDs) var template: String
        @OptionGroup var options: SendOptions
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let params = SendParams(template: template, variables: try parseAssignments(options.assignments), route: options.route)
            try SendFlow(params: params, options: options, global: global).run()
        }
    }

    struct Drill: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drill",
            abstract: tr(
                "Lancer un exercice : le modèle part vers sa route d'exercice, marqué EXERCICE / EXERCISE, statut CAP Exercise.",
                "Run a drill: the template goes to its drill route, marked EXERCICE / EXERCISE, CAP status Exercise."
            ),
            discussion: tr(
                "Un exercice peut utiliser un modèle pas encore approuvé ; le résultat le dit. Demande de taper EXERCICE (ou DRILL), sauf avec --yes.",
                "Drills may use templates that are not approved yet; the result says so. Asks you to type DRILL (or EXERCICE), unless --yes."
            )
        )

        @Argument(help: ArgumentHelp(tr("L'identifiant du modèle.", "The template id.")), completion: .templateIDs) var template: String
        @OptionGroup var options: SendOptions
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let params = SendParams(template: template, variables: try parseAssignments(options.assignments), route: options.route, drill: true)
            try SendFlow(params: params, options: options, global: global).run()
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: tr(
                "Envoyer une mise à jour (CAP msgType Update) d'un incident, par les mêmes canaux.",
                "Send an update (CAP msgType Update) about an incident, over the same channels."
            ),
            discussion: tr(
                "La mise à jour renvoie au premier message de l'incident ; ses valeurs sont reprises sauf si --set les change. La mise à jour d'un exercice est un exercice. Demande de taper MISE À JOUR (ou UPDATE), sauf avec --yes.",
                "The update references the incident's first message; its values carry over unless --set changes them. A drill's update is a drill. Asks you to type UPDATE (or MISE À JOUR), unless --yes."
            )
        )

        @Argument(help: ArgumentHelp(tr("L'identifiant de l'incident.", "The incident id.")), completion: .incidentIDs) var incident: String
        @Argument(help: ArgumentHelp(tr("Le modèle de la mise à jour.", "The template of the update.")), completion: .templateIDs) var template: String
        @OptionGroup var options: SendOptions
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let params = SendParams(
                template: template, variables: try parseAssignments(options.assignments), route: options.route,
                msgType: "Update", references: incident
            )
            try SendFlow(params: params, options: options, global: global).run()
        }
    }

    struct AllClear: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "all-clear",
            abstract: tr(
                "Envoyer la fin d'alerte (CAP msgType Cancel) d'un incident, par les mêmes canaux.",
                "Send the all-clear (CAP msgType Cancel) for an incident, over the same channels."
            ),
            discussion: tr(
                """
                Utilise le modèle « all-clear », sauf si --template en nomme un autre ; les valeurs de l'incident sont \
                reprises. Sans modèle « all-clear » configuré, la fin d'alerte intégrée de Tocsin (l'événement et le titre \
                de l'incident, « FIN DE L'ALERTE / ALL CLEAR », texte fixe, comptée comme approuvée). Demande de taper FIN \
                (ou ALL CLEAR), sauf avec --yes.
                """,
                """
                Uses the 'all-clear' template unless --template names another; the incident's values carry over. With no \
                'all-clear' template configured, Tocsin's built-in one (the incident's event and title, "FIN DE L'ALERTE / \
                ALL CLEAR", fixed wording, counted as approved). Asks you to type ALL CLEAR (or FIN), unless --yes.
                """
            )
        )

        @Argument(help: ArgumentHelp(tr("L'identifiant de l'incident.", "The incident id.")), completion: .incidentIDs) var incident: String
        @Option(name: .long, help: ArgumentHelp(tr("Le modèle de fin d'alerte (par défaut : all-clear).", "The all-clear template (default: all-clear).")), completion: .templateIDs) var template = "all-clear"
        @OptionGroup var options: SendOptions
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let params = SendParams(
                template: template, variables: try parseAssignments(options.assignments), route: options.route,
                msgType: "Cancel", references: incident
            )
            try SendFlow(params: params, options: options, global: global).run()
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel",
            abstract: tr(
                "Arrêter toutes les nouvelles tentatives en attente d'un incident ; ses envois inachevés sont annulés.",
                "Stop every pending retry of an incident; its unfinished deliveries become cancelled."
            ),
            discussion: tr(
                "Ce qui a déjà été livré le reste : pour corriger un message, envoyez une mise à jour ou une fin d'alerte.",
                "What was already delivered stays delivered: to correct a message, send an update or an all-clear."
            )
        )

        @Argument(help: ArgumentHelp(tr("L'identifiant de l'incident.", "The incident id.")), completion: .incidentIDs) var incident: String
        @Flag(name: .long, help: ArgumentHelp(tr("Ne pas demander de confirmation.", "Do not ask for confirmation."))) var yes = false
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try runReporting(json: global.json) {
                let client = try global.connect()
                if !yes {
                    let status = try client.call(.incidentStatus, IncidentParams(incident: incident), as: IncidentStatus.self)
                    let open = status.deliveries.filter { !$0.isFinal }.count
                    Console.note(tr(
                        "Incident \(incident) (\(CAPWords.french(status: status.summary.status)), \(status.summary.template)) : \(Plural.fr(open, "envoi inachevé sera annulé", "envois inachevés seront annulés")).",
                        "Incident \(incident) (\(status.summary.status), \(status.summary.template)): \(Plural.en(open, "unfinished delivery", "unfinished deliveries")) will be cancelled."
                    ))
                    let keep = tr("Rien n'a été annulé : les envois continuent.", "Nothing was cancelled: deliveries go on.")
                    try Confirmation(word: .cancel, nothingDone: keep, ids: [incident]).ask()
                }
                let status = try client.call(.cancel, IncidentParams(incident: incident), as: IncidentStatus.self)
                if global.json { Console.json(status) } else {
                    let cancelled = status.deliveries.filter { $0.state == "cancelled" }.count
                    let inFlight = status.deliveries.filter { !$0.isFinal }.count
                    print(tr(
                        "Incident \(incident) : \(Plural.fr(cancelled, "envoi annulé", "envois annulés"))"
                            + (inFlight > 0 ? ", \(Plural.fr(inFlight, "envoi en cours sera annulé s'il ne réussit pas", "envois en cours seront annulés s'ils ne réussissent pas"))." : "."),
                        "Incident \(incident): \(Plural.en(cancelled, "delivery", "deliveries")) cancelled" + (inFlight > 0 ? ", \(Plural.en(inFlight, "delivery in flight will be cancelled unless it succeeds", "deliveries in flight will be cancelled unless they succeed"))." : ".")
                    ))
                }
            }
        }
    }
}

/// Confirm, send, then follow delivery until every delivery is final.
struct SendFlow {
    let params: SendParams
    let options: SendOptions
    let global: GlobalOptions

    func run() throws {
        var exit = Exit.ok
        try runReporting(json: global.json) {
            // Confirming shows a screen first; with --yes the first thing said follows the daemon's answer.
            var client = try global.connect(askLanguageNow: !options.yes)
            var prompter = MissingValues(client: client)
            var params = params
            if !options.yes {
                let preview = try prompter.retrying(&params) { try client.call(.preview, $0, as: PreviewResult.self) }
                if preview.status == "Actual", !preview.approved {
                    // Refuse before asking: confirming something that cannot be sent wastes the operator's time.
                    Console.error(Self.notApproved(preview.template, note: preview.approvalNote))
                    throw Exit.refused
                }
                ConfirmationScreen(preview: preview, references: params.references).show()
                let word = Self.word(of: preview)
                var confirmation = Confirmation(
                    word: word, ids: [preview.template] + [params.references].compactMap { $0 }, drill: preview.status != "Actual"
                )
                // The other of live and drill: typing its word says what the operator meant; name its command.
                let other: ConfirmationWord? = word == .send ? .drill : word == .drill ? .send : nil
                if let other {
                    let verb = other == .drill ? "drill" : "send"
                    confirmation.otherCommand = (other, ShellWords.command(verb, template: preview.template, variables: params.variables))
                }
                try confirmation.ask()
            }
            // Not following: the counts are enough, and the daemon need not encode (nor this process parse) a line
            // per delivery.
            var request = params
            if options.noWait { request.brief = true }
            // One key for everything this command sends: asking again after a lost answer can only find the
            // incident the first request made, never make a second one.
            request.requestKey = options.requestKey ?? UUID().uuidString
            let accepted = try prompter.retrying(&request) { params in
                do {
                    return try send(params, client: &client)
                } catch {
                    // A refusal, or a value to ask for, comes from a daemon that answers: its language is asked (once
                    // per run) to say it in. No answer or a lost connection: nothing to ask; said in both languages.
                    if let error = error as? ClientError, error.isRefusal { OperatorLanguage.fromDaemon(client) }
                    throw error
                }
            }
            OperatorLanguage.fromAnswer(accepted.languages, else: client)
            let incident = accepted.summary.incident
            let count = accepted.summary.counts.values.reduce(0, +)
            let drill = accepted.summary.status != "Actual"
            let repeated = accepted.repeated == true
            if global.json {
                Console.jsonLine(SendLine(
                    incident: incident, event: "accepted", status: accepted.summary.status, deliveries: count, repeated: repeated ? true : nil
                ))
            } else {
                if repeated {
                    print(tr(
                        "Cet envoi avait déjà été enregistré (même clé de requête) : rien n'est reparti.",
                        "This send was already stored (same request key): nothing went out again."
                    ))
                }
                print(tr(
                    "Incident \(incident) enregistré : \(Plural.fr(count, "envoi", "envois")) (\(CAPWords.french(status: accepted.summary.status))\(accepted.summary.approved ? "" : ", modèle NON approuvé")).",
                    "Incident \(incident) stored: \(Plural.en(count, "delivery", "deliveries")) (\(accepted.summary.status)\(accepted.summary.approved ? "" : ", template NOT approved"))."
                ))
                Console.flush()
            }
            if options.noWait {
                if global.json { Console.jsonLine(SummaryLine(incident: incident, status: accepted)) }
                if drill, !global.json { print(Self.drillLastLine) }
                return
            }
            let view = global.json ? nil : ProgressView(incident: incident, deliveries: accepted.deliveries)
            let final = try follow(incident, client: client) { event in
                if global.json {
                    Console.jsonLine(DeliveryLine(incident: incident, delivery: event.delivery))
                } else {
                    view?.update(event.delivery)
                }
            }
            if global.json {
                Console.jsonLine(SummaryLine(incident: incident, status: final))
            } else {
                print(SummaryText.text(final))
                // Whatever the outcome, a drill's last word says it was one: "All 2 deliveries delivered" read alone
                // after a drill typed by mistake during a real fire reads like the alert went out.
                if drill { print(Self.drillLastLine) }
            }
            if !final.allDelivered { exit = Exit.someFailed }
        }
        if exit != Exit.ok { throw exit }
    }

    /// The last line of every drill, in both languages whatever the operator's.
    static let drillLastLine = "EXERCICE — personne n'a été alerté pour de vrai. / DRILL — nobody was alerted for real."

    /// The word that confirms what `preview` would send: live, drill, update or all-clear.
    static func word(of preview: PreviewResult) -> ConfirmationWord {
        switch preview.msgType {
        case "Update": .update
        case "Cancel": .allClear
        default: preview.status == "Actual" ? .send : .drill
        }
    }

    /// A live send refused for want of approval: the next step is the approval, said first.
    static func notApproved(_ template: String, note: String?) -> String {
        let changed = note == "changed since approval"
        return tr(
            "le modèle « \(template) » \(changed ? "a changé depuis son approbation" : "n'est pas approuvé") : l'envoi réel est refusé, rien n'a été envoyé. Un approbateur doit le relire puis lancer : tocsinctl templates approve \(template)",
            "template '\(template)' is \(note ?? "not approved"); a live send is refused and nothing was sent. An approver must review it and run: tocsinctl templates approve \(template)"
        )
    }
}

extension SendFlow {
    /// Sends `params`, asking again with the same request key when the answer is lost (the daemon restarted, the
    /// connection broke): the daemon answers a repeat with the incident the first request made, so asking again
    /// can never send twice. When tocsind stays out of reach, says how to ask again safely.
    func send(_ params: SendParams, client: inout AdminClient) throws -> IncidentStatus {
        var lost: ClientError?
        for _ in 0..<6 {
            if lost != nil {
                sleep(1)
                guard let fresh = try? global.connect(askLanguageNow: false) else { continue }
                client = fresh
            }
            do {
                return try client.call(.send, params, as: IncidentStatus.self)
            } catch {
                // Before any loss, only a failure the request may have outlived is asked again; after one, anything
                // but a definite answer about this send (a daemon still starting, busy, failing) leaves the first
                // request's fate unknown.
                if lost == nil ? !Self.mayHaveArrived(error) : Self.isDefinite(error) { throw error }
                lost = error
                // A daemon that did not answer in time would not answer a second request sooner.
                if case .noAnswer = error { break }
            }
        }
        // What went wrong, as for any failure, then the way to ask again without sending twice.
        if let lost { report(lost, json: global.json, requestKey: params.requestKey) }
        let key = params.requestKey ?? ""
        let again = {
            tr(
                "L'envoi a peut-être été enregistré. Pour redemander sans risque de doublon, relancez la même commande en ajoutant --request-key \(key) : s'il a été enregistré, rien ne repartira ; sinon, il partira.",
                "The send may have been stored. To ask again without sending twice, run the same command adding --request-key \(key): if it was stored, nothing goes out again; if not, it goes out."
            )
        }
        for text in OperatorLanguage.isLeftToOrganisation ? OperatorLanguage.inBoth(again) : [again()] { Console.error(text) }
        throw Exit.unreachable
    }

    /// The daemon's own answer about this send: a refusal (values, approval, roles, a key reused), not a failure to
    /// answer it.
    private static func isDefinite(_ error: ClientError) -> Bool {
        guard case .refused(let rpc) = error else { return false }
        return ![RPCError.busyCode, RPCError.unavailableCode, RPCError.internalErrorCode, RPCError.timeoutCode].contains(rpc.code)
    }

    /// A failure after which the request may have reached the daemon, and been stored.
    private static func mayHaveArrived(_ error: ClientError) -> Bool {
        switch error {
        case .connectionLost, .noAnswer: true
        // The database did not confirm the commit (PostgreSQL lost its primary): stored or not, asking again says.
        case .refused(let rpc): rpc.data?.reason == "store.open"
        case .unreachable, .permissionDenied, .badAnswer: false
        }
    }

    /// Follows an accepted incident until every delivery is final. The alert is already stored, so losing the
    /// daemon here must never read as "nothing was sent": reconnect a few times, then say plainly what happened.
    func follow(_ incident: String, client first: AdminClient, onEvent: (DeliveryEvent) -> Void) throws -> IncidentStatus {
        var client: AdminClient? = first
        for _ in 0..<6 {
            if let current = client {
                do {
                    return try current.stream(.watch, IncidentParams(incident: incident), as: IncidentStatus.self) { data in
                        if let event = try? JSONDecoder().decode(JSONRPC.ParamsOnly<DeliveryEvent>.self, from: data).params {
                            onEvent(event)
                        }
                    }
                } catch {
                    guard Self.isLostContact(error) else { throw error }
                }
            }
            sleep(1)
            client = try? global.connect()
        }
        Console.error(tr(
            """
            contact perdu avec tocsind pendant le suivi de l'incident \(incident). L'alerte A BIEN été acceptée et \
            enregistrée : ne l'envoyez pas de nouveau. Suivez-la avec : tocsinctl status \(incident)
            """,
            """
            lost contact with tocsind while following incident \(incident). The alert WAS accepted and stored: \
            do not send it again. Follow it with: tocsinctl status \(incident)
            """
        ))
        throw Exit.unreachable
    }

    private static func isLostContact(_ error: ClientError) -> Bool {
        switch error {
        case .connectionLost, .unreachable: true
        // Refused for load while following an accepted alert: the alert is stored; say so, never "try again".
        case .refused(let error) where error.code == RPCError.busyCode: true
        // Following is a stream, which waits without a limit: no `noAnswer` comes from it.
        case .permissionDenied, .badAnswer, .refused, .noAnswer: false
        }
    }
}

struct SendLine: Encodable {
    var incident: String
    var event: String
    var status: String
    var deliveries: Int
    /// True when the request key had already made this incident: nothing went out again.
    var repeated: Bool?
}

struct DeliveryLine: Encodable {
    var incident: String
    var event = "delivery"
    var delivery: DeliveryStatus
}

struct SummaryLine: Encodable {
    var incident: String
    var event = "summary"
    var finished: Bool
    var delivered: Int
    var failed: Int
    var pending: Int
    var deliveries: [DeliveryStatus]

    /// From the summary's counts, so a brief answer (no per-delivery list, `--no-wait`) gives the same figures.
    init(incident: String, status: IncidentStatus) {
        self.incident = incident
        let counts = status.summary.counts
        delivered = counts["delivered", default: 0]
        failed = counts["failed", default: 0] + counts["cancelled", default: 0]
        pending = counts.values.reduce(0, +) - delivered - failed
        finished = pending == 0
        deliveries = status.deliveries
    }
}
