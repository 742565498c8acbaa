import Crypto
import FoundationEssentials
public import TocsinProtocol
import TocsinText

/// The incident report as one self-contained HTML page: inline CSS, inline SVG, no script, no external asset,
/// so it opens offline, archives as a single file and prints.
///
/// Labels stay bilingual (French / English) whatever the operator's language: the page is a record handed to
/// auditors and kept for years, read by people other than the one who produced it. Times are local with their
/// offset (``TimeDisplay``, `--utc` for UTC). The layout fits 1280 px without horizontal scrolling and turns its
/// tables into stacked cards on a phone; only the chart scrolls inside its own box there.
public enum ReportHTML {
    /// The language of the page's durations (a decimal comma in French), set by `render(_:language:)` for the
    /// building blocks below it rather than passed through each of them.
    @TaskLocal static var language: OperatorLanguage = .fr

    /// The page, its durations written as a reader of `language` writes them.
    public static func render(_ report: IncidentReport, language: OperatorLanguage) -> String {
        $language.withValue(language) { page(report) }
    }

    static func elapsed(_ millis: Int64?) -> String { Elapsed.text(millis, in: language) }

    private static func page(_ report: IncidentReport) -> String {
        let summary = report.trigger.summary
        var html = """
            <!DOCTYPE html>
            <html lang="fr">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Bilan d'incident / Incident report \(esc(summary.incident))</title>
            <style>\(css)</style>
            </head>
            <body>
            <header><h1>Bilan d'incident / Incident report <code>\(esc(summary.incident))</code></h1>
            <p class="kind \(summary.status == "Actual" ? "live" : "drill")">\(kindLabel(summary))</p></header>

            """
        html += section("approval", "Approbation / Approval", table(kv: approvalRows(report.trigger)))
        html += section("trigger", "Déclenchement / Trigger", table(kv: triggerRows(report.trigger)))
        html += section("instruction", "Message et consigne / Message and instruction", messages(summary.messages))
        html += section("timeline", "Chronologie / Timeline", TimelineSVG(report: report).render() + TimelineSVG.legend)
        html += section("scorecard", "Bilan par canal / Scorecard per channel", scorecard(report))
        html += section("deliveries", "Livraisons / Deliveries", deliveries(report.deliveries))
        html += section("retries", "Tentatives et reprises / Attempts and retries", retries(report.deliveries))
        html += section("follow-ups", "Suivis / Follow-ups", followUps(report))
        html += section("audit", "Journal d'audit / Audit log", audit(report))
        html += "<footer>Tocsin — généré le / generated on \(time(Date())) from the daemon's store; "
        html += "tête de chaîne / chain head <code>\(esc(report.chain.headHash))</code></footer>\n"
        html += "</body>\n</html>\n"
        return html
    }

    /// Escapes text for element content and quoted attribute values alike.
    static func esc(_ text: String) -> String { HTMLEscaping.escape(text) }

    // MARK: Building blocks

    static func section(_ id: String, _ title: String, _ content: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(title)</h2>\n\(content)</section>\n"
    }

    /// A label/value table: one row per pair, the label in its own cell (stacked above the value on a phone).
    static func table(kv rows: [(String, String)]) -> String {
        "<table class=\"kv\">\n" + rows.map { "<tr><th scope=\"row\">\($0.0)</th><td>\($0.1)</td></tr>\n" }.joined() + "</table>\n"
    }

    /// A table that becomes one card per row on a phone, each cell labelled by its column (`data-label`).
    /// - Parameter cellClass: a class for the cells of one column (by title), e.g. the errors, which may be one long
    ///   unbroken line.
    static func table(
        columns: [String], rows: [(cells: [String], classes: String?)], classes: String = "", cellClass: [String: String] = [:]
    ) -> String {
        var html = "<table class=\"cards \(classes)\">\n<thead><tr>" + columns.map { "<th scope=\"col\">\($0)</th>" }.joined()
        html += "</tr></thead>\n<tbody>\n"
        for row in rows {
            html += "<tr\(row.classes.map { " class=\"\($0)\"" } ?? "")>"
            // The label is the column title without markup, for CSS `attr()`.
            html += zip(columns, row.cells).map { column, cell in
                "<td\(cellClass[column].map { " class=\"\($0)\"" } ?? "") data-label=\"\(esc(plain(column)))\">\(cell)</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    private static func plain(_ html: String) -> String {
        html.replacing(/<[^>]+>/, with: "").replacing("&amp;", with: "&")
    }

    /// A local time with its offset, marked up with the machine-readable instant.
    static func time(_ date: Date) -> String {
        "<time datetime=\"\(TimeDisplay.format(date, style: .rfc3339))\">\(esc(TimeDisplay.format(date)))</time>"
    }

    static func time(millis: Int64) -> String { time(Date(timeIntervalSince1970: Double(millis) / 1000)) }

    /// A time as the daemon sends it (RFC 3339, UTC), shown locally; "—" when absent.
    static func time(_ rfc3339: String?) -> String {
        guard let rfc3339 else { return "—" }
        guard let date = TimeDisplay.parse(rfc3339) else { return esc(rfc3339) }
        return time(date)
    }

    static func verdict(_ met: Bool?) -> String {
        guard let met else { return "—" }
        return met ? "<span class=\"met\">Atteint / Met</span>" : "<span class=\"missed\">Manqué / Missed</span>"
    }

    static func kindLabel(_ summary: IncidentSummary) -> String {
        let base = summary.status == "Actual" ? "RÉEL / LIVE" : "EXERCICE / DRILL"
        // CAP's values with their French words: the page is bilingual, the CAP XML keeps CAP's own.
        return "<strong>\(base)</strong> — CAP \(esc(CAPWords.both(status: summary.status))), \(esc(CAPWords.both(msgType: summary.msgType)))"
    }

    /// What a follow-up is, in words: an update, the all-clear or a cancel.
    static func followUpKind(_ summary: IncidentSummary) -> String {
        switch summary.msgType {
        case "Update": return "Mise à jour / Update"
        case "Cancel": return summary.template == "all-clear" ? "Fin d'alerte / All clear" : "Annulation / Cancel"
        default: return esc(summary.msgType)
        }
    }

    // MARK: Who approved, who triggered, what was said

    /// The approvals in force at send time, with the very content hash each approver signed.
    static func approvalRows(_ trigger: ReportTrigger) -> [(String, String)] {
        let summary = trigger.summary
        var rows: [(String, String)] = [("Modèle / Template", "<code>\(esc(summary.template))</code>")]
        let approvals = trigger.approvals ?? []
        for approval in approvals {
            let who = [approval.approverName, "uid \(approval.approverUID)"].compactMap { $0 }.joined(separator: ", ")
            rows.append(("Approuvé par / Approved by", "<strong>\(esc(who))</strong> — \(time(millis: approval.approvedAtMillis))"))
            rows.append(("Contenu approuvé / Content approved", "<code>\(esc(approval.contentHash))</code>"))
        }
        if approvals.isEmpty {
            let state: String
            if !summary.approved {
                state = "<span class=\"missed\">Non approuvé / Not approved</span>"
                    + (summary.status == "Actual" ? "" : " — exercice permis sans approbation / a drill may use an unapproved template")
            } else if trigger.approvals == nil {
                state = "Oui / Yes (approbateurs non fournis par ce démon / approvers not reported by this daemon)"
            } else {
                state = "Oui, sans signature : texte fixé par Tocsin / Yes, no signature: wording fixed by Tocsin"
            }
            rows.append(("Approuvé / Approved", state))
            rows.append(("Contenu du modèle / Template content", "<code>\(esc(trigger.templateHash))</code>"))
        }
        rows.append(("Contenu envoyé / Content sent", "<code>\(esc(trigger.contentHash))</code>"))
        return rows
    }

    static func triggerRows(_ trigger: ReportTrigger) -> [(String, String)] {
        let summary = trigger.summary
        let who = [trigger.userName, trigger.uid.map { "uid \($0)" }, trigger.pid.map { "pid \($0)" }].compactMap { $0 }
        var rows: [(String, String)] = [
            ("Type", kindLabel(summary)),
            ("Déclenché par / Triggered by", who.isEmpty ? "—" : "<strong>\(esc(who.joined(separator: ", ")))</strong>"),
            ("Quand / When", time(millis: trigger.createdAtMillis)),
            ("Parcours / Route", esc(summary.route)),
        ]
        if let references = summary.references { rows.append(("Suite de / Follows up", "<code>\(esc(references))</code>")) }
        for (name, value) in summary.variables.sorted(by: { $0.key < $1.key }) {
            rows.append(("Variable <code>\(esc(name))</code>", esc(value)))
        }
        return rows
    }

    /// Each language's event, title, body and instruction, as sent.
    static func messages(_ messages: [RenderedText]) -> String {
        guard !messages.isEmpty else { return "<p>—</p>\n" }
        var html = ""
        for message in messages {
            html += "<article class=\"message\" lang=\"\(esc(message.language))\">\n"
            html += "<p class=\"event\">[\(esc(message.language))] \(esc(message.event))</p>\n"
            html += "<p class=\"title\"><strong>\(esc(message.title))</strong></p>\n<p>\(esc(message.body))</p>\n"
            html += "<p class=\"instruction\"><span class=\"label\">Consigne / Instruction :</span> "
            html += message.instruction.map(esc) ?? "<em>aucune / none</em>"
            html += "</p>\n"
            if let short = message.short {
                html += "<p class=\"short\"><span class=\"label\">Texte court / Short text :</span> \(esc(short))</p>\n"
            }
            html += "</article>\n"
        }
        return html
    }

    // MARK: Audit

    private static func audit(_ report: IncidentReport) -> String {
        let chain = report.chain
        var html = "<p>"
        html += chain.intact
            ? "<span class=\"met\">Chaîne intacte / Chain intact</span> — "
                + Plural.both(Int(chain.checked), fr: ("entrée", "entrées"), en: ("entry", "entries"))
                + ", tête / head <code>\(esc(chain.headHash))</code>"
            : "<span class=\"missed\">CHAÎNE ROMPUE / CHAIN BROKEN</span> — entrée / entry \(chain.brokenSeq ?? 0) : "
                + esc(chain.problem ?? "")
        html += "</p>\n"
        let rows = report.audit.map { entry in
            (cells: [
                "\(entry.seq)", entry.timeMillis.map { time(millis: $0) } ?? time(entry.time), esc(entry.kind), entry.uid.map { "\($0)" } ?? "—",
                "<code>\(esc(TimeDisplay.localizing(entry.detail)))</code>", "<code>\(esc(String(entry.hash.prefix(16))))…</code>",
            ], classes: String?.none)
        }
        return html + table(
            columns: ["N°", "Heure / Time", "Type / Kind", "uid", "Détail / Detail", "Empreinte / Hash"], rows: rows, classes: "audit"
        )
    }

    // Machine text (a service's answer, ids, hashes, recipients) breaks anywhere, so no table is wider than the page;
    // words and times do not, so columns never shrink to a letter. A last-error cell gets a fixed 30 % of its row, or a
    // 300-character answer would take the whole width. Below 700 px tables become one card per row. On paper every
    // folded attempt list is printed unfolded (a browser without ::details-content ignores that one rule).
    /// The Content-Security-Policy source that allows the page's one `<style>` element and nothing else inline
    /// (`'sha256-…'`): how the web console serves the report without `'unsafe-inline'`.
    public static let styleSource: String = "'sha256-" + Data(SHA256.hash(data: Data(css.utf8))).base64EncodedString() + "'"

    private static let css = """
        *{box-sizing:border-box}html{-webkit-text-size-adjust:100%}
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1b;margin:0 auto;max-width:1100px;padding:1em}
        h1{font-size:1.5em;border-bottom:3px solid #b00020;padding-bottom:.3em;margin-top:0}h2{font-size:1.25em;margin-top:1.8em}
        h3{font-size:1.1em;margin-top:1.4em}h4{font-size:1em;margin:1em 0 .3em}
        p,li,td,th,summary{overflow-wrap:break-word}code,td.error,td.id{overflow-wrap:anywhere}time{white-space:nowrap}code{font-size:max(.85em,12px)}
        table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
        thead th{background:#f0f0f0}table.kv th{width:28%;background:#f7f7f7}tr.fail td{background:#fdecea}
        td.error{font-family:ui-monospace,monospace;font-size:max(.85em,12px);width:30%}
        .met{color:#1b7f3b;font-weight:700}.missed{color:#b00020;font-weight:700}
        .kind{font-size:1.1em}.kind.live strong{color:#fff;background:#b00020;padding:.1em .4em}
        .kind.drill strong{background:#fff3cd;padding:.1em .4em}
        article.message{border-left:4px solid #1565c0;padding:.2em .8em;margin:.8em 0;background:#f7f9fc}
        article.message p{margin:.3em 0}.event,.label{font-weight:600;color:#444}
        .instruction{font-size:1.05em}
        .follow-up{border-top:2px solid #ddd;margin-top:1.5em}
        .chart{overflow-x:auto;border:1px solid #ddd}.chart svg{display:block;width:100%;max-width:860px;height:auto}
        ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4em 1.4em;margin:.6em 0}
        ul.legend li{display:flex;align-items:center;gap:.4em}ul.legend svg{flex:none}
        .retry{margin:.8em 0;padding:.4em .8em;border:1px solid #e0e0e0}.retry p{margin:.2em 0}
        details summary{cursor:pointer;color:#1565c0}
        footer{margin-top:2em;font-size:13px;color:#555}
        @media (max-width:700px){
        body{padding:.6em}.chart svg{min-width:560px}
        table.kv th,table.kv td{display:block;width:auto;border:none}table.kv tr{display:block;border-bottom:1px solid #ccc}
        table.kv th{padding-bottom:0;background:none}
        table.cards thead{display:none}table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:auto}
        table.cards tr{border:1px solid #ccc;margin:.6em 0}table.cards td{border:none;border-top:1px solid #eee}
        table.cards td:empty{display:none}
        table.cards td::before{content:attr(data-label);display:block;font:600 12px system-ui,sans-serif;color:#555}}
        @media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}tr,svg{break-inside:avoid}
        .chart{overflow:visible}tr.fail td{-webkit-print-color-adjust:exact;print-color-adjust:exact}
        details::details-content{content-visibility:visible;display:block}}
        """
}
