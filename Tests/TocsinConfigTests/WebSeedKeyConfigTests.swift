import Foundation
import Testing
import TocsinConfig
import TocsinCore

/// `web.seed_key_file` and the systemd credential `web-seed-key` (issue 18, item 2): the key web users' TOTP seeds
/// are sealed with. A bad one is a config error naming the file, never showing the key.
struct WebSeedKeyConfigTests {
    static let key = Data((0..<32).map { UInt8($0 * 5 % 256) }).base64EncodedString()

    private static func writeKey(_ folder: ConfigFolder, _ text: String, mode: Int = 0o600) throws -> String {
        let path = try folder.write("web-seed-key", text)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test func theKeyIsReadFromTheConfigOrFromTheCredentialsFolder() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        _ = try Self.writeKey(folder, Self.key + "\n")
        let (named, namedDiagnostics) = try folder.load(config: Samples.config + "web: { seed_key_file: web-seed-key }\n")
        let sealer = try #require(named?.web?.sealer, "\(namedDiagnostics.listing)")
        #expect(named?.web?.seedKeyFile == folder.file("web-seed-key"))
        let (credential, _) = try folder.load(config: Samples.config, environment: ["CREDENTIALS_DIRECTORY": folder.path])
        #expect(credential?.web?.sealer.keyID == sealer.keyID, "LoadCredential=web-seed-key:… needs no config key")
        let (none, noneDiagnostics) = try folder.load(config: Samples.config)
        #expect(none != nil && none?.web == nil && noneDiagnostics.isEmpty, "no key: the daemon starts as before")
        let shown = String(describing: named?.web)
        #expect(!shown.contains(Self.key) && shown.contains(sealer.keyID))
    }

    @Test(arguments: [
        ("c2hvcnQ=", 0o600, "must be 32 random bytes, raw or in base64 (make one with: openssl rand -base64 32)"),
        (key, 0o644, "can be read by every user of the machine: run `chmod 600"),
    ])
    func aKeyThatCannotBeUsedIsAConfigErrorNamingTheFile(text: String, mode: Int, expected: String) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let path = try Self.writeKey(folder, text, mode: mode)
        let (configuration, diagnostics) = try folder.load(config: Samples.config + "web: { seed_key_file: web-seed-key }\n")
        #expect(configuration == nil)
        let message = diagnostics.errors.map(\.message).joined(separator: "\n")
        #expect(message.contains(expected) && message.contains(path), "\(message)")
        #expect(!message.contains(Self.key))
    }

    @Test func aMissingKeyFileIsNamed() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Samples.config + "web: { seed_key_file: /nonexistent/web-seed-key }\n")
        #expect(configuration == nil)
        #expect(diagnostics.errors.first?.message == "cannot read the web users' seed key: /nonexistent/web-seed-key does not exist")
    }
}
