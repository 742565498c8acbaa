import Testing
import TocsinCore

struct MessageTemplateTests {
    /// One change to a template's content, named for the test report.
    struct Change: Sendable, CustomTestStringConvertible {
        var name: String
        var apply: @Sendable (inout MessageTemplate.Content) -> Void
        var testDescription: String { name }
    }

    static let changes: [Change] = [
        Change(name: "id") { $0.id = "evacuation-2" },
        Change(name: "category") { $0.category = .safety },
        Change(name: "severity") { $0.severity = .severe },
        Change(name: "urgency") { $0.urgency = .expected },
        Change(name: "certainty") { $0.certainty = .likely },
        Change(name: "response") { $0.response = .shelter },
        Change(name: "response removed") { $0.response = nil },
        Change(name: "route") { $0.route = "staff" },
        Change(name: "drill route") { $0.drillRoute = "drill-2" },
        Change(name: "event fr") { $0.event["fr"] = "Évacuation immédiate" },
        Change(name: "title fr") { $0.title["fr"] = "ÉVACUATION : {{building}}" },
        Change(name: "title en, one character") { $0.title["en"] = "EVACUATION — {{building}}!" },
        Change(name: "body en") { $0.body["en"] = "Leave {{building}} at once. Assembly point: {{assembly_point}}." },
        Change(name: "instruction en") { $0.instruction?["en"] = "Do not come back inside." },
        Change(name: "new language") { $0.title["es"] = "EVACUACIÓN" },
        Change(name: "variable default") { $0.variables[1].defaultValue = "Stationnement P2" },
        Change(name: "variable required") { $0.variables[1].required = true },
        Change(name: "variable allowed values") { $0.variables[0].allowed?.append("Centre sportif") },
        Change(name: "variable renamed") { $0.variables[1].name = "meeting_point" },
        Change(name: "variable added") { $0.variables.append(VariableSpec(name: "floor")) },
        Change(name: "short text added") { $0.short = ["fr": "ÉVACUATION {{building}}", "en": "EVACUATE {{building}}"] },
        Change(name: "variable max_length declared") { $0.variables[1].maxLength = 30 },
    ]

    /// Short texts and `max_length` are encoded only when present: a template written before them hashes as it
    /// did, so every approval made before them still holds (the pinned value is the sample's hash before them;
    /// UpgradeTests checks the same on a previous release's database).
    static let pinnedSampleHash = "af6c9792f8c7fab22d136b23754419a2f7509bc680a9346b34e5bcf4423f7dba"

    @Test func aTemplateWithoutShortTextsHashesAsBefore() throws {
        let template = try SampleTemplate.template()
        #expect(template.content.short == nil)
        #expect(template.contentHash == Self.pinnedSampleHash)
    }

    @Test func contentHashIsStableAcrossConstruction() throws {
        let first = try SampleTemplate.template()
        // The same content built another way: dictionaries filled in another order and with other capacities.
        var content = SampleTemplate.content
        var title: [String: String] = [:]
        title.reserveCapacity(64)
        title["en"] = "EVACUATION — {{building}}"
        title["fr"] = "ÉVACUATION — {{building}}"
        content.title = title
        content.body = Dictionary(uniqueKeysWithValues: SampleTemplate.content.body.sorted { $0.key > $1.key })
        let second = try MessageTemplate(content: content, sourcePath: "/elsewhere/evacuation.yaml")

        #expect(first.contentHash == second.contentHash)
        #expect(first.contentHash.count == 64)
        #expect(first.contentHash.allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test(arguments: changes)
    func contentHashChangesWithAnyTextOrVariable(change: Change) throws {
        let original = try SampleTemplate.template()
        let changed = try SampleTemplate.template(change.apply)
        #expect(changed.contentHash != original.contentHash)
    }

    @Test func placeholdersCoverEveryLanguageAndText() throws {
        let template = try SampleTemplate.template {
            $0.instruction = ["fr": "Appelez le {{phone}}.", "en": "Call {{phone}}."]
        }
        #expect(template.placeholders == ["building", "assembly_point", "phone"])
        #expect(Set(template.texts.keys) == ["fr", "en"])
        #expect(template.variable(named: "building")?.required == true)
        #expect(template.variable(named: "nope") == nil)
    }

    @Test func syntaxErrorNamesTheTextAndLanguage() {
        #expect {
            _ = try SampleTemplate.template { $0.body["en"] = "Leave {{#building}} now." }
        } throws: { error in
            guard let error = error as? TemplateTextError else { return false }
            return error.message.hasPrefix("body.en:")
        }
    }
}
