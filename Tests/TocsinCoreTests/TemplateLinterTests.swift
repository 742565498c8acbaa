import Testing
import TocsinCore

struct TemplateLinterTests {
    static let routes: Set<String> = ["campus", "drill"]

    static func lint(_ change: (inout MessageTemplate.Content) -> Void = { _ in }) throws -> [Diagnostic] {
        TemplateLinter.lint(
            try SampleTemplate.template(change), languages: ["fr", "en"], routes: routes, file: "/etc/tocsin/templates/evacuation.yaml"
        )
    }

    @Test func aSoundTemplateHasNoProblem() throws {
        #expect(try Self.lint() == [])
    }

    @Test func undeclaredPlaceholderIsAnError() throws {
        let problems = try Self.lint { $0.body["en"] = "Leave {{building}} now. Go to {{assembly_point}} on {{floor}}." }
        #expect(problems.count == 1)
        let problem = try #require(problems.first)
        #expect(problem.severity == .error)
        #expect(problem.message.contains("{{floor}}"))
        #expect(problem.message.contains("'en'"))
        #expect(problem.file == "/etc/tocsin/templates/evacuation.yaml")
    }

    @Test func undeclaredPlaceholderInAnInvertedSectionIsAnError() throws {
        let problems = try Self.lint {
            $0.body["en"] = "Leave {{building}} now.{{^assembly_point}} Wait for {{instructons}}.{{/assembly_point}}"
        }
        #expect(problems.errors.count == 1)
        #expect(problems.first?.message.contains("{{instructons}}") == true)
    }

    @Test func unusedVariableIsAWarning() throws {
        let problems = try Self.lint { $0.variables.append(VariableSpec(name: "floor")) }
        #expect(problems.count == 1)
        #expect(problems.first?.severity == .warning)
        #expect(problems.first?.message.contains("variable 'floor' is declared but no text uses it") == true)
        #expect(!problems.hasErrors)
    }

    @Test(arguments: ["title", "body", "event"])
    func missingLanguageIsAnError(kind: String) throws {
        let problems = try Self.lint { content in
            switch kind {
            case "title": content.title["en"] = nil
            case "body": content.body["en"] = "   "
            default: content.event["en"] = nil
            }
        }
        #expect(problems.errors.count == 1)
        #expect(problems.first?.message.contains("no \(kind) in language 'en'") == true)
    }

    @Test func missingWholeLanguageReportsEachText() throws {
        let problems = try Self.lint {
            $0.title["en"] = nil
            $0.body["en"] = nil
            $0.event["en"] = nil
            $0.instruction?["en"] = nil
        }
        #expect(problems.errors.count == 3)
        #expect(problems.allSatisfy { $0.message.contains("language 'en'") })
    }

    @Test func unknownRouteIsAnError() throws {
        let problems = try Self.lint { $0.route = "everyone" }
        #expect(problems.map(\.severity) == [.error])
        #expect(problems.first?.message.contains("route 'everyone' is not defined under 'routes'") == true)
    }

    @Test func unknownDrillRouteIsAnError() throws {
        let problems = try Self.lint { $0.drillRoute = "exercise" }
        #expect(problems.map(\.severity) == [.error])
        #expect(problems.first?.message.contains("drill_route 'exercise' is not defined under 'routes'") == true)
    }

    @Test func defaultOutsideTheAllowedValuesIsAnError() throws {
        let problems = try Self.lint {
            $0.variables[1] = VariableSpec(name: "assembly_point", defaultValue: "P9", allowed: ["P1", "P2"])
        }
        #expect(problems.map(\.severity) == [.error])
        #expect(problems.first?.message.contains(#"the default of 'assembly_point' ("P9") is not one of its allowed values"#) == true)
    }

    @Test func requiredVariableWithADefaultIsAWarning() throws {
        let problems = try Self.lint { $0.variables[1].required = true }
        #expect(problems.map(\.severity) == [.warning])
    }

    @Test func diagnosticDescriptionHasFileAndLine() {
        #expect(Diagnostic.error("bad", file: "/a.yaml", line: 3).description == "/a.yaml:3: error: bad")
        #expect(Diagnostic.warning("meh", file: "/a.yaml").description == "/a.yaml: warning: meh")
        #expect(Diagnostic.error("bad").description == "error: bad")
    }
}
