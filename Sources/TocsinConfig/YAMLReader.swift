import Foundation
import TocsinCore
import Yams

/// Walks a composed YAML tree and collects every problem with its file and line, instead of stopping at the first.
///
/// Codable decoding would lose line numbers and stop at the first error; an operator fixing a config at 3 a.m.
/// wants the whole list at once.
struct YAMLReader {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    mutating func error(_ message: String, at node: Node?) {
        diagnostics.append(.error(message, file: file, line: node?.mark?.line))
    }

    mutating func warning(_ message: String, at node: Node?) {
        diagnostics.append(.warning(message, file: file, line: node?.mark?.line))
    }

    /// Parses the text; a syntax error becomes one diagnostic with the parser's line.
    ///
    /// With Yams' basic resolver, every scalar stays a string: the default one tags each scalar by matching it
    /// against seven NSRegularExpression rules, which compiled ICU's regex engine and Unicode sets at start-up
    /// (~25 M instructions, and ICU's code and tables kept in memory) for the one tag read here, `bool` (see `bool`).
    mutating func compose(_ text: String) -> Node? {
        do {
            return try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            diagnostics.append(.error("YAML syntax: \(Self.describe(error))", file: file, line: Self.line(of: error)))
        } catch {
            diagnostics.append(.error("YAML syntax: \(error)", file: file))
        }
        return nil
    }

    /// The mapping's entries by key; reports keys outside `allowed` (with a suggestion) and duplicate keys.
    mutating func mapping(_ node: Node?, _ path: String, allowed: Set<String>? = nil) -> [String: Node] {
        guard let node else { return [:] }
        guard let mapping = node.mapping else {
            error("'\(path)' must be a mapping of keys to values", at: node)
            return [:]
        }
        var entries: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                error("'\(path)' has a key that is not a plain name", at: keyNode)
                continue
            }
            if entries[key] != nil { error("'\(path).\(key)' is given twice", at: keyNode) }
            if let allowed, !allowed.contains(key) {
                let hint = Self.closest(to: key, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
                error("unknown key '\(key)' in '\(path)'\(hint)", at: keyNode)
                continue
            }
            entries[key] = value
        }
        return entries
    }

    /// The mapping's entries in file order, for sections where order matters or keys are names.
    mutating func orderedMapping(_ node: Node?, _ path: String) -> [(key: String, keyNode: Node, value: Node)] {
        guard let node else { return [] }
        guard let mapping = node.mapping else {
            error("'\(path)' must be a mapping", at: node)
            return []
        }
        var seen = Set<String>()
        var result: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                error("'\(path)' has a key that is not a plain name", at: keyNode)
                continue
            }
            if !seen.insert(key).inserted {
                error("'\(path).\(key)' is defined twice", at: keyNode)
                continue
            }
            result.append((key, keyNode, value))
        }
        return result
    }

    mutating func string(_ node: Node?, _ path: String, required: Bool = false, parent: Node? = nil) -> String? {
        guard let node else {
            if required { error("'\(path)' is required", at: parent) }
            return nil
        }
        guard let scalar = node.scalar else {
            error("'\(path)' must be a single value, not a list or mapping", at: node)
            return nil
        }
        if required, scalar.string.trimmingCharacters(in: .whitespaces).isEmpty {
            error("'\(path)' must not be empty", at: node)
            return nil
        }
        return scalar.string
    }

    mutating func strings(_ node: Node?, _ path: String) -> [String]? {
        guard let node else { return nil }
        if let scalar = node.scalar { return [scalar.string] }
        guard let sequence = node.sequence else {
            error("'\(path)' must be a list", at: node)
            return nil
        }
        var values: [String] = []
        for item in sequence {
            if let text = item.scalar?.string { values.append(text) } else { error("'\(path)' must list plain values", at: item) }
        }
        return values
    }

    mutating func bool(_ node: Node?, _ path: String) -> Bool? {
        guard let node else { return nil }
        // A plain word, or any word tagged `!!bool` (quoted or not), as Yams' default resolver read them.
        guard let scalar = node.scalar, let value = Self.booleans[scalar.string],
              scalar.style == .plain || scalar.style == .any || scalar.tag.description == Tag.Name.bool.rawValue
        else {
            error("'\(path)' must be true or false", at: node)
            return nil
        }
        return value
    }

    mutating func duration(_ node: Node?, _ path: String) -> Duration? {
        guard let text = string(node, path) else { return nil }
        guard let value = DurationParser.parse(text) else {
            error("'\(path)' is not a duration: '\(text)' (write e.g. 500ms, 10s, 15m, 1h)", at: node)
            return nil
        }
        return value
    }

    mutating func number(_ node: Node?, _ path: String, minimum: Double) -> Double? {
        guard let text = string(node, path) else { return nil }
        guard let value = Double(text), value >= minimum, value.isFinite else {
            error("'\(path)' must be a number of at least \(minimum.formatted()), not '\(text)'", at: node)
            return nil
        }
        return value
    }

    mutating func enumValue<E: RawRepresentable & CaseIterable>(
        _ node: Node?, _ path: String, _ type: E.Type, required: Bool, parent: Node?
    ) -> E? where E.RawValue == String {
        guard let text = string(node, path, required: required, parent: parent) else { return nil }
        guard let value = E(rawValue: text) else {
            let choices = E.allCases.map(\.rawValue).joined(separator: ", ")
            error("'\(path)' is '\(text)'; it must be one of: \(choices)", at: node)
            return nil
        }
        return value
    }

    /// YAML 1.1's booleans, as Yams' default resolver matches them (plain scalars only: `"yes"` stays text).
    static let booleans: [String: Bool] = {
        var words: [String: Bool] = [:]
        for (word, value) in [("true", true), ("yes", true), ("on", true), ("false", false), ("no", false), ("off", false)] {
            for spelling in [word, word.prefix(1).uppercased() + word.dropFirst(), word.uppercased()] { words[spelling] = value }
        }
        return words
    }()

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        case .duplicatedKeysInMapping(let duplicates, _):
            // Untagged, `yes:` and `'yes':` are the same key to Yams (both text): said here with the line.
            return "a key is given twice in one mapping: \(duplicates.joined(separator: ", "))"
        default:
            return "\(error)"
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        case .duplicatedKeysInMapping(_, let context): context.mark.line
        default: nil
        }
    }

    /// The allowed key nearest to a typo, if it is close enough to be what was meant.
    static func closest(to key: String, in allowed: Set<String>) -> String? {
        var best: (name: String, distance: Int)?
        for name in allowed.sorted() {
            let distance = editDistance(key, name)
            if best == nil || distance < best!.distance { best = (name, distance) }
        }
        guard let best, best.distance <= max(2, key.count / 3) else { return nil }
        return best.name
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitution: Int = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                let insertion: Int = current[j - 1] + 1
                let deletion: Int = previous[j] + 1
                current[j] = Swift.min(substitution, insertion, deletion)
            }
            previous = current
        }
        return previous[b.count]
    }
}
