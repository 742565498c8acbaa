import FoundationEssentials
import Glibc
import TocsinDisplay
import TocsinProtocol
import TocsinText

/// The screen shown before a send or drill is confirmed: impossible to mistake one for the other.
struct ConfirmationScreen {
    let preview: PreviewResult
    var references: String?
    /// `tocsinctl preview`: the same screen, but it must not claim that anything goes out.
    var previewOnly = false
    /// Standard error while asking (so `--json` output stays clean); standard output for a preview.
    var output: (String) -> Void = Console.note
    /// Whether `output` may carry ANSI colour: standard error is a terminal and `NO_COLOR` is unset.
    var colour = Console.colours(STDERR_FILENO)

    func show() {
        let drill = preview.status != "Actual"
        // Live and about to be confirmed: red on a terminal, so a drill screen can never look like this one.
        let alarm = !previewOnly && !drill && colour
        let rule = Console.alarm(String(repeating: drill ? "-" : "=", count: 64), on: alarm)
        let kind = ["Update": "UPDATE", "Cancel": "ALL-CLEAR"][preview.msgType] ?? "ALERT"
        output(rule)
        if previewOnly {
            output(tr(
                "  APERÇU — rien n'est envoyé. \(drill ? "En exercice (statut CAP \(CAPWords.french(status: preview.status)))" : "En \(Self.frenchKind(preview.msgType)) RÉELLE")\(preview.approved ? "" : " ; " + Self.frenchUnapproved(preview.approvalNote))",
                "  PREVIEW — nothing is sent. \(drill ? "As a drill (CAP status \(preview.status))" : "As a LIVE \(kind.lowercased())")\(preview.approved ? "" : "; " + Self.englishUnapproved(preview.approvalNote))"
            ))
        } else if drill {
            output("  EXERCICE / DRILL — " + tr("exercice (\(Self.frenchKind(preview.msgType))), statut CAP \(CAPWords.french(status: preview.status))", "drill \(kind.lowercased()), CAP status \(preview.status)"))
            output("  " + tr("Personne n'est alerté pour de vrai : chaque message est marqué EXERCICE.", "Nobody is alerted for real: every message is marked EXERCISE."))
            if !preview.approved {
                output(tr(
                    "  \(Self.frenchUnapproved(preview.approvalNote).capitalisedFirst) : permis pour un exercice seulement.",
                    "  \(Self.englishUnapproved(preview.approvalNote).capitalisedFirst): allowed for a drill only."
                ))
            }
        } else {
            // Both languages whatever the operator's: whoever stands behind her reads it too.
            output(Console.alarm("  *** \(Self.liveBanner(preview.msgType)) ***", on: alarm))
            output(Console.alarm("  Ceci part MAINTENANT vers de vraies personnes. / This goes to real people NOW.", on: alarm))
        }
        if preview.builtIn == true {
            output("  " + tr(
                "Fin d'alerte intégrée à Tocsin (texte fixe, sans consigne) : aucun modèle all-clear n'est configuré.",
                "Tocsin's built-in all-clear (fixed wording, no instruction): no all-clear template is configured."
            ))
        }
        output(rule)
        output(tr(
            "Modèle : \(preview.template)   Route : \(preview.route)   Type : \(CAPWords.french(msgType: preview.msgType))" + (references.map { "   Suite de : \($0)" } ?? ""),
            "Template: \(preview.template)   Route: \(preview.route)   Type: \(preview.msgType)" + (references.map { "   Follows up: \($0)" } ?? "")
        ))
        if preview.builtIn == true, preview.variables.keys.allSatisfy({ $0.hasPrefix("event_") || $0.hasPrefix("title_") }) {
            // Tocsin's built-in all-clear: its values are the followed message's event and title, already in the texts
            // below; its internal names (event_fr=…) would only puzzle.
            output(tr("Reprend l'événement et le titre du message suivi.", "Repeats the followed message's event and title."))
        } else if !preview.variables.isEmpty {
            output(tr("Valeurs : ", "Values:   ") + preview.variables.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: "  "))
        }
        // A follow-up: what moved since the last message people received, first thing to check before confirming.
        if let changes = preview.changes, let follows = preview.follows {
            if changes.isEmpty {
                output(tr(
                    "Changements : aucun depuis \(follows) (les mêmes valeurs que le dernier message)",
                    "Changed:  nothing since \(follows) (the same values as the last message)"
                ))
            } else {
                output(tr("Changé depuis \(follows) :", "Changed since \(follows):"))
                for change in changes { output("  \(change.name): \(change.before ?? tr("(aucune)", "(none)")) → \(change.after)") }
            }
        }
        for message in preview.messages {
            output("")
            output("[\(message.language)] \(message.title)")
            output("     \(message.body)")
            if let instruction = message.instruction { output("     \(instruction)") }
        }
        // Channels with a limit (SMS, X, ntfy, chat services): exactly what each will receive, measured.
        for text in preview.texts ?? [] {
            guard let body = text.text else { continue }
            var facts = [text.type]
            if let encoding = text.smsEncoding, let segments = text.segments {
                facts.append("\(encoding), " + Plural.tr(segments, fr: ("segment", "segments"), en: ("segment", "segments")))
            }
            if let length = text.length, let limit = text.limit, let unit = text.unit { facts.append("\(length)/\(limit) \(Self.unit(unit))") }
            if text.recipients > 1 { facts.append(tr("\(text.recipients) destinataires", "\(text.recipients) recipients")) }
            if let seconds = text.estimatedSeconds, text.recipients > 1 {
                facts.append(tr(
                    "environ \(Self.duration(seconds)) pour les joindre tous à son débit maximal",
                    "about \(Self.duration(seconds)) to reach all at its rate limit"
                ))
            }
            output("")
            output("\(text.channel) (\(facts.joined(separator: ", "))):")
            for line in body.split(separator: "\n", omittingEmptySubsequences: false) { output("     \(line)") }
        }
        if let shortened = preview.shortened, !shortened.isEmpty {
            output("")
            let names = preview.channels.map(\.name).filter { name in shortened.contains { $0.contains("channel '\(name)'") } }
            output(tr(
                "RACCOURCI SUR \(names.joined(separator: ", ").uppercased()) : UNE PARTIE DU TEXTE APPROUVÉ POURRAIT NE PAS ARRIVER PAR CES CANAUX",
                "SHORTENED ON \(names.joined(separator: ", ").uppercased()): PART OF THE APPROVED TEXT MAY NOT REACH THESE CHANNELS"
            ))
            // By key in French when the daemon gave them (the encoder's measure stays as it wrote it).
            let keyed = preview.shortenedSaid ?? []
            for (index, cut) in shortened.enumerated() {
                let french = OperatorLanguage.current == .fr && index < keyed.count ? OperatorText.french(keyed[index]) : nil
                output("  \(french ?? cut)")
            }
        }
        output("")
        let channels = preview.channels.map { $0.deliveries == 1 ? $0.name : "\($0.name) (\($0.deliveries))" }.joined(separator: ", ")
        output(tr(
            "\(Plural.fr(preview.deliveries, "envoi prévu", "envois prévus")) sur \(Plural.fr(preview.channels.count, "canal", "canaux")) : \(channels)",
            "Reaches \(Plural.en(preview.deliveries, "delivery", "deliveries")) on \(Plural.en(preview.channels.count, "channel", "channels")): \(channels)"
        ))
        output(rule)
    }
}

extension ConfirmationScreen {
    /// The live banner, in both languages: `ALERTE RÉELLE — LIVE ALERT`.
    static func liveBanner(_ msgType: String) -> String {
        switch msgType {
        case "Update": "MISE À JOUR RÉELLE — LIVE UPDATE"
        case "Cancel": "FIN D'ALERTE RÉELLE — LIVE ALL CLEAR"
        default: "ALERTE RÉELLE — LIVE ALERT"
        }
    }

    static func frenchKind(_ msgType: String) -> String {
        ["Update": "mise à jour", "Cancel": "fin d'alerte"][msgType] ?? "alerte"
    }

    /// "modèle NON approuvé", or "modèle MODIFIÉ depuis son approbation" for the daemon's "changed since approval".
    /// "template NOT approved", "template NOT approved (partial 1/2)", or "template CHANGED since its approval":
    /// the daemon's note once, never "NOT approved (unapproved)".
    static func englishUnapproved(_ note: String?) -> String {
        switch note {
        case "changed since approval": "template CHANGED since its approval"
        case nil, "unapproved", "not approved": "template NOT approved"
        case let note?: "template NOT approved (\(note))"
        }
    }

    static func frenchUnapproved(_ note: String?) -> String {
        note == "changed since approval" ? "modèle MODIFIÉ depuis son approbation" : "modèle NON approuvé"
    }

    /// A length's unit as the daemon names it ("characters", "bytes", "GSM-7 septets"), in the operator's language.
    static func unit(_ unit: String) -> String {
        guard OperatorLanguage.current == .fr else { return unit }
        return [
            "characters": "caractères", "bytes": "octets", "weighted characters": "caractères pondérés",
            "GSM-7 septets": "septets GSM-7", "UCS-2 characters": "caractères UCS-2",
        ][unit] ?? unit
    }
    /// "40 s", "3 min", "1 h 5 min": an estimate, rounded up.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 120 { return "\(max(whole, 1)) s" }
        let minutes = (whole + 59) / 60
        return minutes < 60 ? "\(minutes) min" : "\(minutes / 60) h \(minutes % 60) min"
    }
}

extension String {
    /// The first letter in capitals: a phrase that also ends a sentence, used to start one.
    var capitalisedFirst: String { prefix(1).uppercased() + dropFirst() }
}

enum SummaryText {
    static func text(_ status: IncidentStatus) -> String {
        let delivered = status.deliveries.filter { $0.state == "delivered" }.count
        let failed = status.deliveries.filter { $0.state == "failed" }.count
        let total = status.deliveries.count
        let incident = status.summary.incident
        if delivered == total {
            return tr(
                total == 1 ? "L'envoi a été livré (incident \(incident))." : "Les \(total) envois ont tous été livrés (incident \(incident)).",
                "All \(total) deliveries delivered (incident \(incident))."
            )
        }
        let cancelled = status.deliveries.filter { $0.state == "cancelled" }.count
        // Cancelled deliveries were stopped on purpose: counted apart, never as failures to resend.
        var text = tr(
            "\(delivered) sur \(total) livrés, \(Plural.fr(failed, "échec", "échecs"))"
                + (cancelled > 0 ? ", \(Plural.fr(cancelled, "annulé", "annulés"))" : "") + " (incident \(incident)). Voir : tocsinctl status \(incident)",
            "\(delivered) of \(total) delivered, \(failed) failed" + (cancelled > 0 ? ", \(cancelled) cancelled" : "")
                + " (incident \(incident)). See: tocsinctl status \(incident)"
        )
        // The next step for what failed: once a channel is fixed, its failed deliveries go again with the same ids.
        var channels: [String] = []
        for delivery in status.deliveries where delivery.state == "failed" && !channels.contains(delivery.channel) {
            channels.append(delivery.channel)
        }
        if !channels.isEmpty {
            text += "\n" + tr(
                "Une fois le canal réparé, renvoyez ses envois en échec :",
                "Once the channel is fixed, send its failed deliveries again:"
            )
            for channel in channels { text += "\n  tocsinctl resend \(incident) --channel \(ShellWords.quote(channel))" }
        }
        return text
    }
}

/// Which all-clear `tocsinctl all-clear` sends, for `status`.
enum AllClearText {
    static func line(_ kind: String) -> String {
        kind == "built-in"
            ? tr(
                "Fin d'alerte : celle de Tocsin (texte fixe, comptée comme approuvée) ; aucun modèle all-clear n'est configuré",
                "All-clear: Tocsin's built-in one (fixed wording, counted as approved); no all-clear template is configured"
            )
            : tr("Fin d'alerte : le modèle all-clear configuré (à approuver comme les autres)", "All-clear: the configured all-clear template (approved like any other)")
    }
}
