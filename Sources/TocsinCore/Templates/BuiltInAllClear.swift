/// The all-clear Tocsin sends when no template `all-clear` is configured, so that ending an alert never fails for want
/// of one (issue 16, item 10).
///
/// It repeats the followed message's event and title under "FIN DE L'ALERTE" / "ALL CLEAR" and gives no instruction.
/// Its wording is fixed by Tocsin, so it counts as approved (DESIGN.md's one exception to the approval rule); a
/// configured `all-clear` template replaces it and is approved like any other. Each language's event and title are
/// variables (`event_fr`, `title_fr`, …): the followed message's texts are inserted as values, never parsed as
/// Mustache.
public enum BuiltInAllClear {
    public static let id = "all-clear"

    /// The template for an organisation's languages: French words for `fr*`, English for any other.
    public static func template(languages: [String]) -> MessageTemplate {
        var event: [String: String] = [:], title: [String: String] = [:], body: [String: String] = [:], short: [String: String] = [:]
        var variables: [VariableSpec] = []
        for language in languages {
            let (eventName, titleName) = names(language)
            variables += [VariableSpec(name: eventName, required: true), VariableSpec(name: titleName, required: true)]
            event[language] = "{{\(eventName)}}"
            if language.hasPrefix("fr") {
                title[language] = "FIN DE L'ALERTE — {{\(titleName)}}"
                body[language] = "L'alerte « {{\(titleName)}} » est terminée."
                short[language] = "FIN DE L'ALERTE : {{\(titleName)}}"
            } else {
                title[language] = "ALL CLEAR — {{\(titleName)}}"
                body[language] = "The alert \u{201C}{{\(titleName)}}\u{201D} is over."
                short[language] = "ALL CLEAR: {{\(titleName)}}"
            }
        }
        let content = MessageTemplate.Content(
            id: id, category: .safety, severity: .minor, urgency: .past, certainty: .observed, response: .allClear,
            route: "(the incident's route)", variables: variables, event: event, title: title, body: body, short: short
        )
        // Fixed, known-good text: a failure here is a programming error the tests catch.
        return try! MessageTemplate(content: content)
    }

    /// The values for `template(languages:)` from the followed message's texts: each language's event and title,
    /// without the words Tocsin put in front of them (a drill's `EXERCICE — `, an update's `MISE À JOUR — `), which
    /// the all-clear's own marking adds again where they apply. A language the followed message lacks takes the
    /// first one it has.
    public static func values(following messages: [RenderedMessage], languages: [String]) -> [String: String] {
        var values: [String: String] = [:]
        for language in languages {
            guard let message = messages.first(where: { $0.language == language }) ?? messages.first else { continue }
            let (eventName, titleName) = names(language)
            values[eventName] = message.event
            values[titleName] = unmarked(message.title, language: message.language)
        }
        return values
    }

    /// `title` without the marking words Tocsin puts in front (several for a drill's update).
    static func unmarked(_ title: String, language: String) -> String {
        let prefixes = [TemplateRenderer.Marking.exercise, .update, .test].map { marking in
            var probe = [RenderedMessage(language: language, event: "", title: "", body: "", instruction: nil, short: nil)]
            marking.apply(to: &probe)
            return probe[0].title
        }
        var text = Substring(title)
        while let prefix = prefixes.first(where: { !$0.isEmpty && text.hasPrefix($0) }) { text = text.dropFirst(prefix.count) }
        return String(text)
    }

    /// The variable names of one language; a code such as `fr-CA` becomes `fr_CA`.
    static func names(_ language: String) -> (event: String, title: String) {
        let code = String(language.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        return ("event_\(code)", "title_\(code)")
    }
}
