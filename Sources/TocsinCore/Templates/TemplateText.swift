import Mustache

/// One Mustache text of a template (a title, body, event or instruction in one language), parsed once at load.
public struct TemplateText: Sendable {
    public let source: String
    /// The names the text asks for, found by rendering against a recorder: the library's own parser decides.
    public let placeholders: Set<String>
    private let template: MustacheTemplate

    /// Parses `source` as plain text: values are inserted as they are and escaped later for each channel's format.
    public init(_ source: String) throws(TemplateTextError) {
        do {
            // The pragma turns off Mustache's default HTML escaping; escaping belongs to each channel's encoder.
            template = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + source)
        } catch let error as MustacheTemplate.ParserError {
            throw TemplateTextError(
                message: "cannot parse Mustache (\(error.error)) at line \(error.context.lineNumber), column \(error.context.columnNumber)",
                line: error.context.lineNumber
            )
        } catch {
            throw TemplateTextError(message: "cannot parse Mustache (\(error))", line: nil)
        }
        self.source = source
        // Two passes: names answering "" reach normal sections; names answering nil reach inverted ones ({{^x}}).
        var names = Set<String>()
        for answer in [PlaceholderRecorder.Answer.empty, .missing] {
            let recorder = PlaceholderRecorder(answer: answer)
            _ = template.render(recorder)
            names.formUnion(recorder.names)
        }
        placeholders = names
    }

    public func render(_ values: [String: String]) -> String {
        template.render(values)
    }
}

public struct TemplateTextError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var line: Int?
    public var description: String { message }
}

/// Answers every lookup the same way and remembers the name asked for.
private final class PlaceholderRecorder: MustacheParent {
    enum Answer { case empty, missing }

    let answer: Answer
    var names = Set<String>()

    init(answer: Answer) { self.answer = answer }

    func child(named name: String) -> Any? {
        names.insert(name)
        return answer == .empty ? "" : nil
    }
}
