import Testing
import TocsinConfig
import TocsinCore

/// `access` entries for the web console (issue 18): web users named in role lists, one system user as the gateway.
struct WebAccessConfigTests {
    static func config(access: String) -> String {
        Samples.header + "access:\n" + access + Samples.channelsAndRoutes
    }

    @Test func webUsersAndTheGatewayAreRead() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Self.config(access: """
              operators: [group:tocsin-ops, web:marie]
              approvers: [user:mtremblay, web:directrice]
              web_gateways: [user:tocsin-web]

            """))
        let loaded = try #require(configuration, "\(diagnostics.listing)")
        #expect(diagnostics.isEmpty, "\(diagnostics.listing)")
        #expect(loaded.access.operators == [.group("tocsin-ops"), .web("marie")])
        #expect(loaded.access.webGateways == [.user("tocsin-web")])
        #expect(loaded.access.roles(webUser: "directrice") == [.approver])
    }

    /// A gateway named in a role too would be able to act without any web user: refused, with the way out.
    @Test func aGatewayHoldsNoRoleOfItsOwn() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Self.config(access: """
              operators: [web:marie, user:tocsin-web]
              web_gateways: [user:tocsin-web]

            """))
        #expect(configuration == nil)
        let error = try #require(diagnostics.errors.first, "\(diagnostics.listing)")
        #expect(error.message.contains("'user:tocsin-web' is both a web gateway and one of access.operators"), "\(error.message)")
    }

    @Test(arguments: ["group:tocsin-web", "web:marie"])
    func aGatewayIsOneSystemUserNeverAGroupOrAWebUser(entry: String) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Self.config(access: """
              operators: [web:marie]
              web_gateways: [\(entry)]

            """))
        #expect(configuration == nil)
        let error = try #require(diagnostics.errors.first, "\(diagnostics.listing)")
        #expect(error.message.contains("'access.web_gateways' entry '\(entry)' must be user:NAME or uid:NUMBER"), "\(error.message)")
        #expect(error.line == 11)
    }

    @Test(arguments: ["web:Marie", "web:marie tremblay", "web:2marie"])
    func aMalformedWebUserNameIsExplained(entry: String) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Self.config(access: "  operators: [\"\(entry)\"]\n\n"))
        #expect(configuration == nil)
        let error = try #require(diagnostics.errors.first, "\(diagnostics.listing)")
        #expect(error.message.contains("a web user name is 1 to 64 lowercase letters"), "\(error.message)")
    }

    @Test func webUsersWithoutAGatewayAreAWarningNotAnError() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Self.config(access: "  operators: [web:marie]\n\n"))
        #expect(configuration != nil, "a console not yet installed must not stop the daemon from sending")
        #expect(diagnostics.errors.isEmpty)
        #expect(diagnostics.contains { $0.message.contains("lists no gateway") }, "\(diagnostics.listing)")
    }
}
