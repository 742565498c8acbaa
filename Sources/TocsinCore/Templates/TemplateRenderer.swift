/// Renders a template once per language for one incident; channels then encode these texts, never re-render.
public enum TemplateRenderer {
    /// - Parameters:
    ///   - values: resolved variables (see `VariableResolver`).
    ///   - languages: the organisation's languages in display order; languages the template lacks are skipped.
    ///   - marking: a drill or test marking added to every title and body.
    public static func render(
        _ template: MessageTemplate, values: [String: String], languages: [String], marking: Marking? = nil
    ) -> [RenderedMessage] {
        languages.compactMap { language in
            guard let texts = template.texts[language] else { return nil }
            var message = RenderedMessage(
                language: language,
                event: texts.event.render(values),
                title: texts.title.render(values),
                body: texts.body.render(values),
                instruction: texts.instruction?.render(values),
                short: texts.short?.render(values)
            )
            if let marking { marking.apply(to: &message) }
            return message
        }
    }

    /// The words that make a drill or a test impossible to mistake for the real thing, in each language.
    public enum Marking: Sendable {
        case exercise, test, update

        public func apply(to messages: inout [RenderedMessage]) {
            for index in messages.indices { apply(to: &messages[index]) }
        }

        func apply(to message: inout RenderedMessage) {
            let (titlePrefix, bodyPrefix) = words(message.language)
            message.title = titlePrefix + message.title
            message.body = bodyPrefix + message.body
            // A short text has no title: it carries the title's word, so an SMS of a drill still says so first.
            message.short = message.short.map { titlePrefix + $0 }
        }

        private func words(_ language: String) -> (String, String) {
            let french = language.hasPrefix("fr")
            switch (self, french) {
            case (.update, true): return ("MISE À JOUR — ", "")
            case (.update, false): return ("UPDATE — ", "")
            case (.exercise, true): return ("EXERCICE — ", "Ceci est un exercice. ")
            case (.exercise, false): return ("EXERCISE — ", "This is a drill. ")
            case (.test, true): return ("TEST — ", "Ceci est un test technique. ")
            case (.test, false): return ("TEST — ", "This is a technical test. ")
            }
        }
    }
}
