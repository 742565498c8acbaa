import Foundation
import Hummingbird

/// A submitted `application/x-www-form-urlencoded` form (what every page posts; pages work without JavaScript).
struct Form: Sendable {
    private(set) var fields: [(String, String)] = []

    init(_ text: String) {
        var components = URLComponents()
        // `+` is a space in forms, not in URL queries.
        components.percentEncodedQuery = text.replacingOccurrences(of: "+", with: "%20")
        fields = (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }
    }

    static func read(_ request: Request, context: WebContext) async throws -> Form {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        return Form(String(decoding: body.readableBytesView, as: UTF8.self))
    }

    subscript(name: String) -> String? { fields.first { $0.0 == name }?.1 }

    /// The template's values: fields named `var.NAME`, blank ones left out (the template's default applies).
    var variables: [String: String] {
        var values: [String: String] = [:]
        for (name, value) in fields where name.hasPrefix("var.") {
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { values[String(name.dropFirst(4))] = trimmed }
        }
        return values
    }
}
