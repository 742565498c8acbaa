import TocsinProtocol

/// CAP's status and msgType values as a French screen shows them (Réel, Exercice, Annulation); English screens
/// and `--json` keep CAP's own words, and the CAP XML always does (issue 16, item 4).
public enum CAPWords {
    public static func french(status value: String) -> String {
        ["Actual": "Réel", "Exercise": "Exercice", "System": "Système", "Test": "Test", "Draft": "Brouillon"][value] ?? value
    }

    public static func french(msgType value: String) -> String {
        ["Alert": "Alerte", "Update": "Mise à jour", "Cancel": "Annulation", "Ack": "Accusé de réception", "Error": "Erreur"][value] ?? value
    }

    /// Both, for the bilingual HTML report: "Réel / Actual"; one word when the languages agree ("Test").
    public static func both(status value: String) -> String {
        let french = french(status: value)
        return french == value ? value : "\(french) / \(value)"
    }

    public static func both(msgType value: String) -> String {
        let french = french(msgType: value)
        return french == value ? value : "\(french) / \(value)"
    }
}
