import Foundation
import Hummingbird
import TocsinProtocol
import Mustache

/// Renders the pages: a page's body, then the layout around it, in the person's language.
struct Pages: Sendable {
    private let library: MustacheLibrary

    init() {
        var library = MustacheLibrary()
        for (name, text) in PageTemplates.all {
            // The templates are part of the program: one that does not parse is a bug caught by every test.
            try! library.register(text, named: name)
        }
        self.library = library
    }

    /// What every page needs besides its own values.
    struct Frame {
        var language: OperatorLanguage
        var title: String
        /// `drill`, `live` or empty: the banner and colours of the page.
        var kind: String = ""
        var session: WebSession?
        /// The path the language switch returns to.
        var here: String = "/"
        var liveUpdates = false
    }

    func render(_ page: String, _ values: [String: Any], frame: Frame, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html(page, values, frame: frame)))
        )
    }

    /// The page in its layout, as text.
    func html(_ page: String, _ values: [String: Any], frame: Frame) -> String {
        let words = Words.of(frame.language)
        var values = values
        values["w"] = words
        values["csrf"] = frame.session?.csrf ?? ""
        values["is_live"] = values["is_live"] ?? (frame.kind == "live")
        let body = library.render(values, withTemplate: page) ?? ""
        var layout: [String: Any] = [
            "w": words, "lang": frame.language.rawValue, "other_lang": frame.language.other.rawValue, "title": frame.title,
            "kind": frame.kind, "is_drill": frame.kind == "drill", "is_live": frame.kind == "live", "here": frame.here, "body": body,
            "live_updates": frame.liveUpdates,
        ]
        if let session = frame.session {
            layout["user"] = session.user
            layout["csrf"] = session.csrf
        }
        return library.render(layout, withTemplate: "layout") ?? ""
    }

    /// A page with one message (an error, a refusal).
    func message(_ heading: String, _ text: String, hint: String? = nil, frame: Frame, status: HTTPResponse.Status) -> Response {
        var values: [String: Any] = ["heading": heading, "text": text]
        values["hint"] = hint
        return render("message", values, frame: frame, status: status)
    }
}
