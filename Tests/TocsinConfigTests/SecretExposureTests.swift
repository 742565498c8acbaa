import Foundation
import Testing
import TocsinConfig
import TocsinCore

/// Fault finding 6: a world-readable config with `headers: {Authorization: Bearer …}` passed (an inline `token:`
/// was refused), and `*_file` secrets anyone could read or rewrite were taken without a word.
struct SecretExposureTests {
    /// Loads `config` written with `mode` (the shared helper always writes 0640).
    static func load(_ folder: ConfigFolder, _ config: String, mode: Int) throws -> (configuration: Configuration?, diagnostics: [Diagnostic]) {
        let path = try folder.write("tocsin.yaml", config)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        try folder.write("templates/evacuation.yaml", Samples.template)
        return ConfigLoader.load(path: path)
    }

    static func webhook(_ lines: String) -> String {
        Samples.config(channels: "  ops:\n    type: webhook\n    url: https://a.example/x\n" + lines)
    }

    @Test(arguments: [
        ("Authorization", "Bearer tk_9f8e7d6c"), ("authorization", "tk_9f8e7d6c"), ("X-Api-Key", "k_123"),
        ("X-Auth-Token", "abc"), ("Cookie", "session=abc"), ("X-Custom", "Basic dXNlcjpwYXNz"), ("X-Custom", "bearer abc"),
    ])
    func aCredentialHeaderInAWorldReadableConfigIsRefused(name: String, value: String) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try Self.load(folder, Self.webhook("    headers: { \(name): \"\(value)\" }\n"), mode: 0o644)
        #expect(configuration == nil)
        let error = try #require(diagnostics.errors.first, "\(diagnostics.listing)")
        #expect(error.message.contains("'channels.ops.headers.\(name)' is written in this file, which every user of the machine can read"))
        #expect(error.message.contains("chmod o-r") && error.message.contains("'headers_file:'"), "\(error.message)")
        #expect(!error.message.contains(value), "the secret is not echoed")
        #expect(error.line == 16)
    }

    @Test func theSameHeaderInAProtectedConfigAndAPlainHeaderAnywhereAreAccepted() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let protected = try Self.load(folder, Self.webhook("    headers: { Authorization: \"Bearer tk_1\" }\n"), mode: 0o640)
        #expect(protected.configuration?.channels["ops"]?.headers.first?.value.reveal() == "Bearer tk_1", "\(protected.diagnostics.listing)")
        let plain = try Self.load(folder, Self.webhook("    headers: { X-Tocsin-Site: cegep-exemple, Accept-Language: fr-CA }\n"), mode: 0o644)
        #expect(plain.configuration?.channels["ops"]?.headers.count == 2, "\(plain.diagnostics.listing)")
    }

    @Test func headersFileAddsItsHeadersAfterTheInlineOnes() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let file = try folder.write("creds/ops-headers", "# for the security desk\nAuthorization: Bearer tk_9f8e7d6c\n\nX-Desk:  north \n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        let (configuration, diagnostics) = try Self.load(
            folder, Self.webhook("    headers: { X-Tocsin-Site: cegep }\n    headers_file: creds/ops-headers\n"), mode: 0o644
        )
        let headers = try #require(configuration?.channels["ops"]?.headers, "\(diagnostics.listing)")
        #expect(headers.map(\.name) == ["X-Tocsin-Site", "Authorization", "X-Desk"])
        #expect(headers.map { $0.value.reveal() } == ["cegep", "Bearer tk_9f8e7d6c", "north"])
        #expect(diagnostics.isEmpty, "\(diagnostics.listing)")
    }

    @Test func aHeadersFileLineThatIsNotAHeaderIsNamedByNumberNotText() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let file = try folder.write("creds/ops-headers", "Authorization: Bearer ok\nBearer tk_leaked_if_echoed\nX-A: 1\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        let (configuration, diagnostics) = try Self.load(folder, Self.webhook("    headers_file: creds/ops-headers\n"), mode: 0o640)
        #expect(configuration == nil)
        #expect(diagnostics.errors.map(\.message) == ["line 2 of 'channels.ops.headers_file' (\(file)) is not 'Name: value'"])
    }

    @Test func aHeaderGivenInlineAndInTheFileIsRefused() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let file = try folder.write("creds/ops-headers", "x-site: b\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        let (configuration, diagnostics) = try Self.load(
            folder, Self.webhook("    headers: { X-Site: a }\n    headers_file: creds/ops-headers\n"), mode: 0o640
        )
        #expect(configuration == nil)
        #expect(diagnostics.errors.first?.message.contains("gives header 'x-site' twice") == true, "\(diagnostics.listing)")
    }

    @Test(arguments: ["secret_file", "headers_file"])
    func aWorldReadableSecretFileLoadsWithAWarning(key: String) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let file = try folder.write("creds/ops", key == "secret_file" ? Samples.webhookSecret : "Authorization: Bearer x\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        let (configuration, diagnostics) = try Self.load(folder, Self.webhook("    \(key): creds/ops\n"), mode: 0o640)
        #expect(configuration != nil, "\(diagnostics.listing)")
        #expect(diagnostics.map(\.severity) == [.warning])
        #expect(diagnostics.first?.message == "'channels.ops.\(key)': \(file) holds a secret that every user of the machine can read: run `chmod o-r \(file)` (or pass it with systemd LoadCredential=)")
    }

    @Test(arguments: [0o664, 0o646, 0o622, 0o602])
    func aSecretFileOthersCanChangeIsRefused(mode: Int) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let file = try folder.write("creds/ops", Samples.webhookSecret)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
        let (configuration, diagnostics) = try Self.load(folder, Self.webhook("    secret_file: creds/ops\n"), mode: 0o640)
        #expect(configuration == nil)
        #expect(diagnostics.errors.map(\.message) == ["'channels.ops.secret_file': \(file) can be changed by users other than its owner: run `chmod go-w \(file)`"])
    }

    @Test func aNonSecretFileKeyIsCheckedForWritersButNotForReaders() throws {
        // A webhook's url_file is not secret (its url is not), but whoever rewrites it redirects the alerts.
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let file = try folder.write("creds/url", "https://a.example/x")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        let config = Samples.config(channels: "  ops:\n    type: webhook\n    url_file: creds/url\n")
        let readable = try Self.load(folder, config, mode: 0o640)
        #expect(readable.configuration != nil && readable.diagnostics.isEmpty, "\(readable.diagnostics.listing)")
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: file)
        #expect(try Self.load(folder, config, mode: 0o640).configuration == nil)
    }
}

/// `delivery.proxy`: none unless configured, whatever the environment says (fault finding 7).
struct DeliveryProxyConfigTests {
    static func config(_ delivery: String) -> String {
        Samples.config.replacingOccurrences(of: "channels:\n", with: "delivery:\n" + delivery + "channels:\n")
    }

    @Test func noProxyByDefault() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Samples.config, environment: ["http_proxy": "http://127.0.0.1:9"])
        #expect(try #require(configuration, "\(diagnostics.listing)").delivery.proxy == DeliveryProxy.none)
    }

    @Test(arguments: [
        ("  proxy: none\n", DeliveryProxy.none), ("  proxy: environment\n", .environment),
        ("  proxy: http://proxy.cegep.example:3128\n", .url(Secret("http://proxy.cegep.example:3128"))),
        ("  proxy: socks5h://127.0.0.1:1080\n", .url(Secret("socks5h://127.0.0.1:1080"))),
    ])
    func proxyChoices(yaml: String, expected: DeliveryProxy) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Self.config(yaml))
        #expect(configuration?.delivery.proxy == expected, "\(diagnostics.listing)")
    }

    @Test(arguments: ["ftp://proxy:21", "proxy.example:3128", "http://", "http://a b:1"])
    func aProxyThatIsNotAURLIsRefused(value: String) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Self.config("  proxy: \"\(value)\"\n"))
        #expect(configuration == nil)
        #expect(diagnostics.errors.first?.message.hasPrefix("'delivery.proxy' must be none, environment, or a proxy URL") == true, "\(diagnostics.listing)")
    }

    @Test func aProxyPasswordIsASecret() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let inline = Self.config("  proxy: http://tocsin:s3cret@proxy.cegep.example:3128\n")
        let path = try folder.write("tocsin.yaml", inline)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try folder.write("templates/evacuation.yaml", Samples.template)
        let (configuration, diagnostics) = ConfigLoader.load(path: path)
        #expect(configuration == nil)
        let message = try #require(diagnostics.errors.first?.message)
        #expect(message.contains("'delivery.proxy' is written in this file") && message.contains("'proxy_file:'") && !message.contains("s3cret"))

        let file = try folder.write("creds/proxy", "http://tocsin:s3cret@proxy.cegep.example:3128\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        let fromFile = try folder.load(config: Self.config("  proxy_file: creds/proxy\n"))
        #expect(fromFile.configuration?.delivery.proxy == .url(Secret("http://tocsin:s3cret@proxy.cegep.example:3128")), "\(fromFile.diagnostics.listing)")
        #expect(fromFile.diagnostics.isEmpty)
    }
}
