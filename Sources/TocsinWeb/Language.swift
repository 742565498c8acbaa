import Foundation
import Hummingbird
import TocsinProtocol

/// The person's language, French first: from the `lang` switch (kept in a cookie), else the browser's
/// `Accept-Language`, else French.
extension OperatorLanguage {
    static let cookie = "tocsin_lang"

    static func of(_ request: Request) -> OperatorLanguage {
        if let asked = request.uri.queryParameters.get("lang").flatMap(OperatorLanguage.init(rawValue:)) { return asked }
        if let kept = request.cookies[cookie].flatMap({ OperatorLanguage(rawValue: $0.value) }) { return kept }
        let accepted = (request.headers[.acceptLanguage] ?? "").lowercased().split(separator: ",").compactMap { item -> (OperatorLanguage, Double)? in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first, let language = OperatorLanguage(rawValue: String(tag.prefix(2))) else { return nil }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return (language, quality)
        }
        // The first of the highest quality, as the browser listed them.
        var best: (OperatorLanguage, Double)?
        for candidate in accepted where candidate.1 > (best?.1 ?? 0) { best = candidate }
        return best?.0 ?? .fr
    }

    var other: OperatorLanguage { self == .fr ? .en : .fr }
}
