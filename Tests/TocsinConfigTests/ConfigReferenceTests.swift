import Foundation
import Testing
import TocsinConfig
import TocsinCore
import TocsinTestSupport

/// docs/configuration.md documents exactly the keys the parser accepts (`ConfigKeys`), and the parser takes its
/// keys from `ConfigKeys` only.
///
/// How to fix a failure:
/// - "not documented": you added a key to `ConfigKeys` (or to `ChannelType` for a channel type): document the key
///   in docs/configuration.md, as a heading with its dotted path in backticks in the right section (see below),
///   with its default (or "Required") and an example.
/// - "documented but not accepted": the doc names a key the parser does not take: fix its spelling, or remove it.
///
/// How the doc is read: a key is a heading (`###` or `####`) made only of backticked dotted paths separated by
/// commas (`` #### `channels.<name>.url`, `channels.<name>.url_file` ``). Keys before `## Template files` are
/// `tocsin.yaml` keys, after it template keys. Under a `### Type `x`` / `### Types `x`, `y`` heading, channel keys
/// belong to those types; elsewhere (`### Every channel`) to every type.
struct ConfigReferenceTests {
    struct Entry {
        var keys: [String]
        var types: [String]?
        var template: Bool
        var text: String
    }

    static let docPath = PackagePaths.root.appendingPathComponent("docs/configuration.md").path

    static func backticked(_ text: Substring) -> [String] {
        text.matches(of: /`([^`]+)`/).map { String($0.output.1) }
    }

    /// The key entries of the doc, in order, with the text under each heading.
    static func entries(_ markdown: String) -> [Entry] {
        var entries: [Entry] = []
        var template = false
        var types: [String]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#") {
                let level = line.prefix { $0 == "#" }.count
                let title = line.dropFirst(level).trimmingCharacters(in: .whitespaces)
                let isKeyList = title.wholeMatch(of: /`[^`]+`(, `[^`]+`)*/) != nil
                if level == 2 {
                    template = title == "Template files"
                    types = nil
                } else if level == 3, title.hasPrefix("Type `") || title.hasPrefix("Types `") {
                    types = backticked(Substring(title))
                    continue
                } else if level == 3, !isKeyList {
                    types = nil
                }
                if isKeyList, level >= 3 {
                    entries.append(Entry(keys: backticked(Substring(title)), types: types, template: template, text: ""))
                    continue
                }
            }
            if !entries.isEmpty, !line.hasPrefix("#") { entries[entries.count - 1].text += line + "\n" }
        }
        return entries
    }

    static func compare(documented: Set<String>, accepted: Set<String>, _ what: String) {
        let missing = accepted.subtracting(documented).sorted()
        let unknown = documented.subtracting(accepted).sorted()
        #expect(missing.isEmpty, "\(what): not documented in docs/configuration.md: \(missing.joined(separator: ", ")); document the key in docs/configuration.md")
        #expect(unknown.isEmpty, "\(what): documented in docs/configuration.md but not accepted by the parser: \(unknown.joined(separator: ", "))")
    }

    @Test func everyConfigKeyIsDocumentedAndNothingElse() throws {
        let entries = Self.entries(try String(contentsOfFile: Self.docPath, encoding: .utf8))
        #expect(entries.count > 50, "the doc's key headings were found")
        let general = entries.filter { !$0.template && $0.types == nil }.flatMap(\.keys)
        let common = Set(ChannelType.commonKeys.map { ConfigKeys.channelPrefix + $0 })
        Self.compare(documented: Set(general), accepted: Set(ConfigKeys.configFile).union(common), "tocsin.yaml")
        #expect(general.count == Set(general).count, "a key is documented twice")

        let typeNames = Set(entries.compactMap(\.types).flatMap { $0 })
        Self.compare(documented: typeNames, accepted: Set(ChannelType.allCases.map(\.rawValue)), "channel types")
        for type in ChannelType.allCases {
            let documented = entries.filter { $0.types?.contains(type.rawValue) == true }.flatMap(\.keys)
            let accepted = ConfigKeys.channel(type).subtracting(ChannelType.commonKeys).map { ConfigKeys.channelPrefix + $0 }
            Self.compare(documented: Set(documented), accepted: Set(accepted), "channel type \(type.rawValue)")
        }
    }

    @Test func everyTemplateKeyIsDocumentedAndNothingElse() throws {
        let entries = Self.entries(try String(contentsOfFile: Self.docPath, encoding: .utf8))
        Self.compare(documented: Set(entries.filter(\.template).flatMap(\.keys)), accepted: Set(ConfigKeys.templateFile), "template files")
    }

    /// Each entry says its default (or that it is required) and shows an example.
    @Test func everyEntryHasADefaultAndAnExample() throws {
        for entry in Self.entries(try String(contentsOfFile: Self.docPath, encoding: .utf8)) {
            let key = entry.keys.joined(separator: ", ")
            #expect(entry.text.contains("Default") || entry.text.contains("Required") || entry.text.contains("required"), "\(key): say its default, or that it is required")
            #expect(entry.text.contains("Example"), "\(key): give an example")
        }
    }

    /// The reader of the doc itself can fail: a key missing from the doc, or one the parser does not know, is seen.
    @Test func theDocReaderSeesMissingAndUnknownKeys() {
        let markdown = """
            ## `tocsin.yaml`
            ### `paths.state`
            Default: x. Example: y
            ### `paths.sate`
            Default: x. Example: y
            ## Channels
            ### Type `webhook`
            #### `channels.<name>.url`, `channels.<name>.url_file`
            Required. Example: z
            ## Template files
            ### `id`
            Required. Example: `id: x`
            """
        let entries = Self.entries(markdown)
        #expect(entries.map(\.keys) == [["paths.state"], ["paths.sate"], ["channels.<name>.url", "channels.<name>.url_file"], ["id"]])
        #expect(entries.map(\.types) == [nil, nil, ["webhook"], nil])
        #expect(entries.map(\.template) == [false, false, false, true])
        let general = Set(entries.filter { !$0.template && $0.types == nil }.flatMap(\.keys))
        #expect(!Set(ConfigKeys.configFile).isSubset(of: general), "keys missing from this doc are noticed")
        #expect(!general.isSubset(of: Set(ConfigKeys.configFile)), "'paths.sate' is noticed as unknown")
    }

    /// The registry gives the parser at least the keys it always took (sections only grow), under their names:
    /// errors and suggestions read as before.
    @Test func registryGivesTheParserItsKeys() {
        #expect(ConfigKeys.allowed(under: "").isSuperset(of: [
            "organization", "paths", "access", "delivery", "channels", "routes", "metrics_file", "approval", "objectives", "audit",
        ]))
        #expect(ConfigKeys.allowed(under: "organization").isSuperset(of: ["name", "sender", "languages"]))
        #expect(ConfigKeys.allowed(under: "paths").isSuperset(of: ["state", "socket", "templates", "socket_mode"]))
        #expect(ConfigKeys.allowed(under: "delivery").isSuperset(of: ["timeout", "deadline", "retry"]))
        #expect(ConfigKeys.allowed(under: "delivery.retry").isSuperset(of: ["initial", "max", "max_retry_after"]))
        #expect(ConfigKeys.allowed(under: "audit").isSuperset(of: ["signing_key_file", "trusted_keys", "checkpoint_interval"]))
        #expect(ConfigKeys.allowedInTemplate(under: "").isSuperset(of: [
            "id", "category", "severity", "urgency", "certainty", "response", "route", "drill_route", "variables", "event", "title", "body", "instruction",
        ]))
        #expect(ConfigKeys.allowedInTemplate(under: "variables.<variable>").isSuperset(of: ["required", "default", "allowed", "description"]))
        #expect(ConfigKeys.channel(.webhook).isSuperset(of: ["type", "languages", "timeout", "rate_limit", "max_concurrency", "url", "url_file", "secret", "secret_file", "headers"]))
        #expect(!ConfigKeys.channel(.slack).contains("secret"), "each type takes its own keys only")
        // Sections are fixed names; only `routes`, `channels` and template texts are keyed by the user's names.
        let placeholders = ConfigKeys.allConfigPaths.union(ConfigKeys.templateFile).filter { $0.contains("<") }
        #expect(placeholders.allSatisfy { $0.hasPrefix("routes.<route>") || $0.hasPrefix(ConfigKeys.channelPrefix) || $0.contains(".<language>") || $0.hasPrefix("variables.<variable>.") })
    }

    /// Every `allowed:` set of the parser comes from `ConfigKeys`: a key accepted through a literal list would escape
    /// the reference check. Fix: add the key to ConfigKeys.swift and pass `ConfigKeys.allowed(under:)`.
    @Test func theParserTakesItsKeysFromTheRegistryOnly() throws {
        let folder = PackagePaths.root.appendingPathComponent("Sources/TocsinConfig")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        #expect(files.contains("ConfigParser.swift"))
        var checked = 0
        for file in files where file != "ConfigKeys.swift" {
            let source = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for line in source.split(separator: "\n") where line.contains("reader.mapping(") && line.contains("allowed:") {
                checked += 1
                let argument = line.split(separator: "allowed:", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? ""
                #expect(argument.hasPrefix("ConfigKeys."), "\(file): '\(line.trimmingCharacters(in: .whitespaces))' must take its keys from ConfigKeys")
            }
        }
        #expect(checked >= 11)
    }
}
