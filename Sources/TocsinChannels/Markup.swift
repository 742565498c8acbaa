import Foundation

/// How a medium reads text, and how plain text is made inert there.
///
/// Rendered messages are plain text that already holds the variables' values (the template author's words are
/// plain too), so the whole text is escaped for the medium: a value such as `<!channel>`, `@everyone`, `*bold*`,
/// `](http://evil)` or `</script>` shows as itself and never becomes markup, a link or a mention.
public enum Markup: Sendable, Hashable {
    /// Nothing is interpreted (SMS, ntfy without its Markdown option).
    case plain
    /// Plain text where `@name` at the start of a word notifies that account (X, Telegram's auto-detection).
    case plainWithMentions
    /// A Facebook page post: plain text, but `@[page-id]` tags a page.
    case facebook
    /// Slack mrkdwn: `&`, `<` and `>` are entities, so `<!channel>`, `<@U…>` and `<url|text>` cannot form.
    case slackMrkdwn
    /// Discord Markdown: formatting characters backslash-escaped, mentions defused (and refused by
    /// `allowed_mentions` besides).
    case discordMarkdown
    /// Mattermost Markdown: formatting characters backslash-escaped (`\<` also breaks the `<!channel>` form that
    /// Mattermost's incoming webhooks turn into `@channel`), mentions defused.
    case mattermostMarkdown
    /// Telegram's HTML parse mode: `&`, `<`, `>` as entities; mentions defused.
    case telegramHTML
    /// The HTML subset of Google Chat card text: entities, and line breaks as `<br>`.
    case cardHTML
    /// An Adaptive Card `TextRun`, which does not interpret Markdown; only the `{{DATE(…)}}` / `{{TIME(…)}}`
    /// functions are defused.
    case adaptiveCardTextRun

    /// Invisible, and ends a mention or a `{{` function without changing what a reader sees.
    static let breaker: Character = "\u{200B}"

    /// `text` made inert for this medium.
    public func escape(_ text: String) -> String {
        switch self {
        case .plain:
            return text
        case .plainWithMentions:
            return Self.defuseMentions(text)
        case .facebook:
            return text.replacingOccurrences(of: "@[", with: "@\(Self.breaker)[")
        case .slackMrkdwn:
            return Self.entities(text, quotes: false)
        case .discordMarkdown, .mattermostMarkdown:
            return Self.defuseMentions(Self.backslashEscaped(text))
        case .telegramHTML:
            return Self.defuseMentions(Self.entities(text, quotes: false))
        case .cardHTML:
            return Self.entities(text, quotes: true).replacingOccurrences(of: "\n", with: "<br>")
        case .adaptiveCardTextRun:
            return Self.defuseDoubleBraces(text)
        }
    }

    /// Characters that start or end Markdown constructs in Discord and Mattermost: emphasis, code, spoilers,
    /// quotes, headings, links and images, and the `<…>` forms of mentions, channels, timestamps and autolinks.
    private static let markdownSpecials: Set<Character> = ["\\", "*", "_", "~", "`", "|", ">", "<", "#", "[", "]"]

    private static func backslashEscaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            if markdownSpecials.contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }

    private static func entities(_ text: String, quotes: Bool) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"" where quotes: result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }

    /// A breaker between every two consecutive `{`. Replacing the string "{{" is not enough (fault suite,
    /// HostileValueTests): its matches do not overlap, so "{{{" became "{\u{200B}{{", which still holds "{{" and
    /// let a value such as `{{{DATE(…)}}}` reach Teams as a live `{{DATE(…)}}` function.
    private static func defuseDoubleBraces(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var previous: Character?
        for character in text {
            if character == "{", previous == "{" { result.append(breaker) }
            result.append(character)
            previous = character
        }
        return result
    }

    /// `@name` at the start of a word becomes `@\u{200B}name`: it reads the same but names nobody. An `@` inside a
    /// word (an e-mail address) or a URL path is left alone.
    private static func defuseMentions(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var previous: Character?
        for character in text {
            result.append(character)
            if character == "@", !(previous.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "/" } ?? false) {
                result.append(breaker)
            }
            previous = character
        }
        return result
    }
}
