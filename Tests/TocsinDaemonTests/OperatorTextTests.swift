import Testing
import TocsinCore
import TocsinProtocol
import TocsinStore
@testable import TocsinDaemon

/// The daemon's refusals said in French by key (issue 16, item 2): every key has its French, every value problem
/// of a send travels with its key in order, English stays the daemon's own words, and an error without a key (or
/// with a key from a newer daemon) is still shown whole after a French lead.
struct OperatorTextTests {
    /// One instance of every key, with the arguments its call site gives.
    static let samples: [Said] = Said.Key.allCases.map { key in
        Said(key, ["template": "evacuation", "name": "building", "value": "Pavillon Z", "route": "campus", "channel": "sms", "incident": "20261204-K7QF2A",
                   "caller": "uid 1001 (marie)", "method": "incident.send", "roles": "operator", "count": "250", "limit": "200",
                   "measure": "characters", "character": "U+202E RIGHT-TO-LEFT OVERRIDE", "changed": "no", "doing": "l'envoi", "error": "disk full",
                   "end": "all-clear", "other": "20261204-M2D9XC", "reason": "no recipients", "required": "2",
                   "recipient": "+15145550100", "folder": "/var/lib/tocsin/backups", "free": "12", "needed": "300",
                   // health's checks
                   "at": "2026-12-04T14:26:15.862Z", "fingerprint": "3f2a9c0b1d4e", "channels": "6", "templates": "1", "allClear": "built-in",
                   "deliveries": "3", "for": "125000", "date": "2027-01-31T00:00:00Z", "what": "credential", "days": "12", "every": "3600000",
                   "problem": "hash mismatch", "seq": "42", "checked": "1", "signed": "40", "node": "campus-b", "pid": "4242",
                   "host": "tocsin-b", "since": "2026-12-04T14:20:00Z", "leases": "90000", "this": "campus-a", "seconds": "30",
                   // request keys
                   "key": "3F2504E0-4F89-11D3-9A0C-0305E82C3301", "min": "8", "max": "128"],
             lists: ["allowed": ["Pavillon A", "Pavillon B"], "known": ["evacuation", "confinement"], "failing": ["sms", "teams"],
                     "templates": ["evacuation (sms)"], "groups": ["campus-a 3f2a9c0b1d4e", "campus-b 77aa01bc9d3e"], "nodes": ["campus-a", "campus-b"]])
    }

    @Test func everyKeyHasFrenchWithItsArgumentsAndNoEnglishLeftOver() {
        for said in Self.samples {
            let text = OperatorText.french(said)
            #expect(text != nil && !(text ?? "").isEmpty, "\(said.key)")
            #expect(!(text ?? "").contains("\n"), "\(said.key): one line")
        }
        // Each key's own arguments are in its sentence (an argument named wrong at the call site would show as « »).
        for said in Self.samples {
            let text = OperatorText.french(said) ?? ""
            #expect(!text.contains("«  »") && !text.contains("  "), "\(said.key): an argument is missing in « \(text) »")
        }
        let allowed = OperatorText.french(Said(.valueNotAllowed, ["value": "Pavillon Z", "name": "building"], lists: ["allowed": ["Pavillon A", "Pavillon B"]]))
        #expect(allowed == "« Pavillon Z » n'est pas une valeur permise de « building » (valeurs permises : « Pavillon A », « Pavillon B »)")
    }

    @Test func aSendsValueProblemsTravelWithTheirKeysInOrder() throws {
        let template = try MessageTemplate(content: MessageTemplate.Content(
            id: "evacuation", category: .fire, severity: .extreme, urgency: .immediate, certainty: .observed,
            response: .evacuate, route: "campus", drillRoute: "drill",
            variables: [
                VariableSpec(name: "building", required: true, allowed: ["Pavillon A", "Pavillon B"]),
                VariableSpec(name: "what", maxLength: 5),
                VariableSpec(name: "note"),
            ],
            event: ["fr": "Évacuation", "en": "Evacuation"],
            title: ["fr": "Évacuez {{building}}", "en": "Evacuate {{building}}"],
            body: ["fr": "{{what}} {{note}}", "en": "{{what}} {{note}}"]
        ))
        do {
            _ = try VariableResolver.resolve(["what": "trop long", "note": "a\u{202E}b", "bogus": "x"], for: template)
            Issue.record("refused values were accepted")
        } catch {
            let keys = error.details.map(\.said.key)
            #expect(keys == ["unknown-variable", "missing-variable", "value-over-max-length", "value-bidirectional"], "\(error.problems)")
            // English is the daemon's own sentence; French is said from the key.
            #expect(error.problems[1] == #"missing required variable 'building': add --set building=… (allowed: "Pavillon A", "Pavillon B")"#)
            var refusal = DaemonError.validation("the values given for template 'evacuation' are not valid; nothing was sent", problems: error.problems)
                .said(.valuesInvalid, ["template": "evacuation"])
            refusal.problemsSaid = error.details.map(\.said)
            let rpc = RPCError(refusal)
            let french = OperatorText.describe(rpc, in: .fr)
            #expect(french.hasPrefix("les valeurs données pour le modèle « evacuation » ne sont pas valides ; rien n'a été envoyé\n"), "\(french)")
            #expect(french.contains("  - variable requise manquante « building » : ajoutez --set building=… (valeurs permises : « Pavillon A », « Pavillon B »)"), "\(french)")
            #expect(french.contains("  - la valeur de « what » compte 9 caractères ; ce modèle en permet au plus 5"), "\(french)")
            #expect(OperatorText.describe(rpc, in: .en) == rpc.description, "English is the daemon's message as it is")
        }
    }

    @Test func anErrorWithoutAKnownKeyKeepsItsEnglishAfterAFrenchLead() {
        var unknown = RPCError(code: RPCError.refusedCode, message: "something a newer daemon says", data: .init(reason: "refused"))
        var newer = Said(.notApproved)
        newer.key = "from-a-newer-daemon"
        unknown.data?.said = newer
        #expect(OperatorText.describe(unknown, in: .fr) == "Refusé, rien n'a été fait — détail en anglais : something a newer daemon says")
        let full = RPCError(DaemonError(.store, "the incident could not be stored, so nothing was sent: disk full", storeCode: .full))
        #expect(OperatorText.describe(full, in: .fr).hasPrefix("Disque plein, rien n'a été enregistré — détail en anglais : the incident"))
    }
}

/// A delivery's error in French: by the answer's code and the channel's type, the service's own words kept.
struct FrenchDeliveryErrorTests {
    @Test(arguments: [
        ("HTTP 500", 500, "webhook", "HTTP 500"),
        ("HTTP 404: the endpoint does not exist (any more); check the channel's URL — service answered: {\"error\":\"gone\"}", 404, "slack",
         "HTTP 404 : le point d'accès n'existe pas (ou plus) ; vérifiez l'URL du canal — le service a répondu : {\"error\":\"gone\"}"),
        ("HTTP 401: the service refused our credentials; check the channel's token or secret", 401, "twilio-sms",
         "HTTP 401 : le service a refusé nos identifiants ; vérifiez le jeton ou le secret du canal"),
        ("HTTP 301: the endpoint redirects; configure its final URL", 301, nil, "HTTP 301 : le point d'accès redirige ; configurez son URL finale"),
        ("HTTP 422: the service rejected the request; check the channel's configuration", 422, "teams",
         "HTTP 422 : le service a rejeté la requête ; vérifiez la configuration du canal"),
        ("HTTP 200 without Slack's 'ok': the URL does not look like a Slack incoming webhook; check the channel's url", 200, "slack",
         "HTTP 200, mais pas la réponse attendue du service (détail en anglais : HTTP 200 without Slack's 'ok': the URL does not look like a Slack incoming webhook; check the channel's url)"),
        ("554 5.7.1 relay denied", 554, "email", "SMTP 554 (détail en anglais : 554 5.7.1 relay denied)"),
        ("timed out after 10 s", nil, "webhook", "détail en anglais : timed out after 10 s"),
    ] as [(String, Int?, String?, String)])
    func saidByCode(english: String, status: Int?, type: String?, french: String) {
        #expect(ServiceAnswer.frenchError(english, status: status, channelType: type) == french)
    }

    @Test func anSMTPReplyIsNotHTTP() {
        #expect(ServiceAnswer.label(250, channelType: "email") == "SMTP 250")
        #expect(ServiceAnswer.label(250, channelType: nil) == "HTTP 250")
        #expect(ServiceAnswer.heading(channelTypes: ["email", "email"]) == "SMTP")
        #expect(ServiceAnswer.heading(channelTypes: ["email", "slack"]) == "HTTP/SMTP")
    }

    @Test func everyAcceptanceHasFrenchWordsStartingWithTheirVerb() {
        #expect(ServiceAnswer.frenchAcceptance(channelType: "twilio-sms", id: "SM1") == "accepté par Twilio (SM1)")
        #expect(ServiceAnswer.frenchAcceptance(channelType: "email", id: nil) == "accepté par le serveur de courriel (aucun identifiant de file rendu)")
        #expect(ServiceAnswer.frenchAcceptance(channelType: "webhook", id: nil) == nil)
        #expect(ServiceAnswer.frenchAcceptance(channelType: "x", id: "9") == "publié sur X (publication 9)")
    }

    /// `health`'s sentences in French with the plurals and durations a French reader writes (issue 16, item 2).
    @Test func healthChecksSayTheirNumbersInFrench() {
        #expect(OperatorText.french(Said(.healthConfigLoaded, ["fingerprint": "3f2a9c0b1d4e", "channels": "1", "templates": "2", "allClear": "template"]))
            == "chargée (3f2a9c0b1d4e) : 1 canal, 2 modèles ; le modèle de fin d'alerte")
        #expect(OperatorText.french(Said(.healthChannelFailing, ["for": "4500", "deliveries": "1"]))
            == "en échec depuis 4,5 s (1 envoi en reprise) : pas de réponse")
        #expect(OperatorText.french(Said(.healthAuditIntact, ["checked": "0"])) == "intacte (0 entrée)")
        #expect(OperatorText.frenchDuration(milliseconds: 125_000) == "2 min 5 s")
        #expect(OperatorText.frenchDuration(milliseconds: 3_000) == "3 s")
        #expect(OperatorText.frenchDuration(milliseconds: 300_000) == "5 min")
        #expect(OperatorText.frenchDuration(milliseconds: 3_600_000) == "1 h")
        #expect(OperatorText.french(Said(.healthChannelFailing, ["for": "4500", "deliveries": "0"]))
            == "en échec depuis 4,5 s (0 envoi en reprise) : pas de réponse")
        #expect(OperatorText.french(Said(.healthCredentialExpiring, ["what": "credential", "days": "0", "date": "2027-01-31T00:00:00Z"]))
            == "l'identifiant expire dans moins d'un jour (2027-01-31T00:00:00Z) : renouvelez-le (runbooks/rotating-a-secret.md) avant cette date")
        let check = HealthReport.Check(name: "nodes", state: .warning, message: "english one; english two",
                                       said: [Said(.healthNodesUnreadable, ["error": "x"]), Said(.healthAuditBroken, ["seq": "3", "problem": "y"])])
        #expect(check.text(in: .fr) == "impossible de lire les nœuds : x ; chaîne rompue à l'entrée 3 : y")
        #expect(check.text(in: .en) == "english one; english two")
        // A key from a newer daemon: the whole English sentence, never half of each.
        var newer = check
        var future = Said(.healthAuditBroken)
        future.key = "health-from-the-future"
        newer.said?.append(future)
        #expect(newer.text(in: .fr) == "english one; english two")
    }
}
