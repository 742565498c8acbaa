import Foundation
import Testing
import TocsinConfig
import TocsinCore

struct ConfigLoaderTests {
    @Test func minimalConfigAndTemplateLoad() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Samples.config)

        #expect(diagnostics.errors.isEmpty, "\(diagnostics.listing)")
        let config = try #require(configuration)
        #expect(config.organization == .init(name: "Cégep de l'Exemple", sender: "alertes@cegep.example", languages: ["fr", "en"]))
        // Relative paths resolve against the config file's folder.
        #expect(config.paths.state == folder.file("state"))
        #expect(config.paths.database == folder.file("state/tocsin.db"))
        #expect(config.paths.socket == folder.file("run/admin.sock"))
        #expect(config.paths.templates == folder.file("templates"))
        #expect(config.paths.socketMode == 0o660)
        let hook = try #require(config.channels["hook"])
        #expect(hook.type == .webhook)
        #expect(hook.value("url") == "https://hooks.example.org/tocsin")
        #expect(hook.languages == ["fr", "en"])
        #expect(hook.maxConcurrency == 8)
        #expect(config.routes == ["campus": ["hook"]])
        let template = try #require(config.templates["evacuation"])
        #expect(template.sourcePath == folder.file("templates/evacuation.yaml"))
        #expect(template.content.variables == [VariableSpec(name: "building", required: true, allowed: ["Pavillon A", "Pavillon des sciences"])])
        #expect(config.delivery.timeout == .seconds(10))
        #expect(config.delivery.retry == RetryPolicy())
        #expect(config.fingerprint.count == 64)
    }

    @Test func deliveryAccessAndChannelLimitsAreRead() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.header + """
            access:
              operators: [group:tocsin-ops, uid:1500]
              approvers: [user:mtremblay]
            delivery:
              timeout: 5s
              deadline: 20m
              retry: { initial: 1s, max: 1m, max_retry_after: 2m }
            channels:
              hook:
                type: webhook
                url: https://hooks.example.org/tocsin
                languages: [en]
                timeout: 3s
                rate_limit: 0.5
                max_concurrency: 2
                headers:
                  X-Site: cegep
            routes:
              campus: [hook]

            """
        let (configuration, diagnostics) = try folder.load(config: config)
        let loaded = try #require(configuration, "\(diagnostics.listing)")
        #expect(loaded.access.operators == [.group("tocsin-ops"), .uid(1500)])
        #expect(loaded.access.approvers == [.user("mtremblay")])
        #expect(loaded.delivery.timeout == .seconds(5))
        #expect(loaded.delivery.retry == RetryPolicy(initial: .seconds(1), maximum: .seconds(60), deadline: .seconds(1200), maximumRetryAfter: .seconds(120)))
        let hook = try #require(loaded.channels["hook"])
        #expect(hook.languages == ["en"])
        #expect(hook.timeout == .seconds(3))
        #expect(hook.rateLimit == 0.5)
        #expect(hook.maxConcurrency == 2)
        #expect(hook.headers.map(\.name) == ["X-Site"])
        #expect(hook.headers.map { $0.value.reveal() } == ["cegep"])
    }

    @Test func fingerprintChangesWithATemplate() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let first = try #require(try folder.load(config: Samples.config).configuration)
        let again = try #require(try folder.load(config: Samples.config).configuration)
        let changed = try #require(
            try folder.load(config: Samples.config, templates: ["evacuation.yaml": Samples.template + "# edited\n"]).configuration
        )
        #expect(first.fingerprint == again.fingerprint)
        #expect(first.fingerprint != changed.fingerprint)
    }

    @Test func missingConfigFileIsNamed() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = ConfigLoader.load(path: folder.file("absent.yaml"), environment: [:])
        #expect(configuration == nil)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.message.contains(folder.file("absent.yaml") + " does not exist") == true)
    }

    @Test func everyProblemIsListedAtOnceWithFileAndLine() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = """
            organization:
              name: Test
              sender: alertes@cegep.example
              languages: [fr, en]
            paths:
              templates: templates
            delivery:
              timeout: fast
            channels:
              hook:
                type: webhook
                url: https://hooks.example.org/tocsin
              pager:
                type: pager
            routes:
              campus: [hook, nope]

            """
        let (configuration, diagnostics) = try folder.load(config: config)
        #expect(configuration == nil)
        let errors = diagnostics.errors
        #expect(errors.count == 3, "\(diagnostics.listing)")
        #expect(errors.compactMap(\.line).sorted() == [8, 14, 16], "\(diagnostics.listing)")
        #expect(errors.allSatisfy { $0.file == folder.file("tocsin.yaml") })
        #expect(errors.contains { $0.line == 8 && $0.message.contains("'delivery.timeout' is not a duration: 'fast'") })
        #expect(errors.contains { $0.line == 14 && $0.message.contains("'channels.pager.type' is 'pager'") })
        #expect(errors.contains { $0.line == 16 && $0.message.contains("channel 'nope'") })
        #expect(errors.contains { $0.description.hasPrefix(folder.file("tocsin.yaml") + ":8: error: ") })
    }

    @Test func unknownKeySuggestsTheCloseOne() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config.replacingOccurrences(of: "channels:", with: "chanels:")
        let (configuration, diagnostics) = try folder.load(config: config)
        #expect(configuration == nil)
        let problem = try #require(diagnostics.first { $0.message.contains("'chanels'") }, "\(diagnostics.listing)")
        #expect(problem.message == "unknown key 'chanels' in 'config' (did you mean 'channels'?)")
        #expect(problem.line == 9)
    }

    @Test func unknownChannelKeySuggestsTheCloseOne() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config(channels: "  ops:\n    type: webhook\n    url: https://a.example/x\n    secert_file: s\n")
        let (_, diagnostics) = try folder.load(config: config)
        #expect(diagnostics.contains { $0.message.contains("unknown key 'secert_file' in 'channels.ops' (did you mean 'secret_file'?)") && $0.line == 16 },
                "\(diagnostics.listing)")
    }

    @Test func farOffKeyHasNoSuggestion() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (_, diagnostics) = try folder.load(config: Samples.config + "xylophone: true\n")
        #expect(diagnostics.contains { $0.message == "unknown key 'xylophone' in 'config'" }, "\(diagnostics.listing)")
    }

    @Test func yamlSyntaxErrorHasALine() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = """
            organization:
              name: Test
              sender: alertes@cegep.example
              languages: [fr, en
            channels:
              hook: { type: webhook }

            """
        let (configuration, diagnostics) = try folder.load(config: config)
        #expect(configuration == nil)
        #expect(diagnostics.count == 1, "\(diagnostics.listing)")
        let problem = try #require(diagnostics.first)
        #expect(problem.message.hasPrefix("YAML syntax: "))
        #expect(problem.file == folder.file("tocsin.yaml"))
        #expect(problem.line == 5, "\(diagnostics.listing)")
    }

    @Test func badIndentationHasItsLine() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = "organization:\n  name: Test\n sender: x\n"
        let (_, diagnostics) = try folder.load(config: config)
        #expect(diagnostics.count == 1, "\(diagnostics.listing)")
        #expect(diagnostics.first?.line == 3, "\(diagnostics.listing)")
    }

    @Test func routeNamingAnUnknownChannel() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config.replacingOccurrences(of: "campus: [hook]", with: "campus: [hok]")
        let (configuration, diagnostics) = try folder.load(config: config)
        #expect(configuration == nil)
        #expect(diagnostics.errors.count == 1, "\(diagnostics.listing)")
        let problem = try #require(diagnostics.errors.first)
        #expect(problem.message == "route 'campus' names channel 'hok', which is not defined under 'channels' (did you mean 'hook'?)")
        #expect(problem.line == 14)
    }

    @Test func templateFolderMissingIsAnError() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        try folder.write("tocsin.yaml", Samples.config.replacingOccurrences(of: "templates: templates", with: "templates: nowhere"))
        let (configuration, diagnostics) = ConfigLoader.load(path: folder.file("tocsin.yaml"), environment: [:])
        #expect(configuration == nil)
        #expect(diagnostics.contains { $0.message.contains(folder.file("nowhere")) && $0.message.contains("does not exist") })
    }

    @Test func emptyTemplateFolderIsAWarning() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: [:])
        #expect(configuration != nil)
        #expect(diagnostics.map(\.severity) == [.warning])
        #expect(diagnostics.first?.message.contains("no templates") == true)
    }
}
