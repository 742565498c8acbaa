import Foundation
import Testing
import TocsinConfig
import TocsinCore
import TocsinTestSupport

/// `cap: { signing_key_file, certificate_file }` (issue 19, item 2): loaded once per configuration, and any
/// problem with either file is a config error that names the file and shows nothing of the key.
@Suite(.enabled(if: required(FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")), "needs openssl"))
struct CAPSigningConfigTests {
    static let capChannel = "  alertes:\n    type: cap\n    feed_dir: feed\n"

    static func config(key: String?, certificate: String?, channels: String = capChannel) -> String {
        var text = Samples.config(channels: channels)
        if key != nil || certificate != nil { text += "cap:\n" }
        if let key { text += "  signing_key_file: \(key)\n" }
        if let certificate { text += "  certificate_file: \(certificate)\n" }
        return text
    }

    /// The key given as a systemd credential (`$CREDENTIALS_DIRECTORY`), the certificate relative to the config.
    @Test(arguments: CAPSigningTools.KeyKind.allCases)
    func aKeyAndItsCertificateSignEveryCAPChannel(kind: CAPSigningTools.KeyKind) async throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let keys = try TemporaryDirectory()
        defer { keys.remove() }
        let (key, certificate) = try await CAPSigningTools.makeKey(kind, in: keys)
        try FileManager.default.copyItem(atPath: certificate, toPath: folder.file("cap.crt"))
        let (configuration, diagnostics) = try folder.load(
            config: Self.config(key: "$CREDENTIALS_DIRECTORY/cap.key", certificate: "cap.crt"), environment: ["CREDENTIALS_DIRECTORY": keys.path]
        )
        let cap = try #require(configuration?.cap, "\(diagnostics.listing)")
        #expect(cap.keyFile == key)
        #expect(cap.certificateFile == folder.file("cap.crt"))
        #expect(cap.signer.algorithm == (kind == .rsa ? "RSA-SHA256" : "ECDSA-SHA256"))
        let lines = try #require(configuration?.capSignatureLines)
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasPrefix("cap channel 'alertes': alerts are signed with \(cap.signer.algorithm) (certificate \(folder.file("cap.crt")): "), "\(line)")
        #expect(line.contains("CN=Alertes CAP (\(kind))") && line.contains("; valid until 20"), "\(line)")
        #expect(!"\(cap)".contains("PRIVATE") && !String(reflecting: cap.signer).contains("PRIVATE"))
        // The fingerprint receivers pin, as openssl prints it.
        let openssl = try await runCommand("/usr/bin/openssl", ["x509", "-in", certificate, "-noout", "-fingerprint", "-sha256"])
        #expect(openssl.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "sha256 Fingerprint=\(cap.signer.certificateFingerprint)", "\(openssl)")
    }

    @Test func withoutAKeyCheckConfigSaysAlertsAreNotSigned() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Self.config(key: nil, certificate: nil, channels: Self.capChannel + "  autre:\n    type: cap\n    url: https://cap.example.org/\n"))
        let loaded = try #require(configuration, "\(diagnostics.listing)")
        #expect(loaded.cap == nil)
        #expect(loaded.capSignatureLines == [
            "cap channel 'alertes': alerts are not signed (no cap.signing_key_file)",
            "cap channel 'autre': alerts are not signed (no cap.signing_key_file)",
        ])
    }

    @Test func aKeyWithoutACAPChannelIsAWarning() async throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let keys = try TemporaryDirectory()
        defer { keys.remove() }
        let (key, certificate) = try await CAPSigningTools.makeKey(.ecdsa, in: keys)
        let (configuration, diagnostics) = try folder.load(config: Self.config(key: key, certificate: certificate, channels: ""))
        #expect(configuration?.cap != nil, "\(diagnostics.listing)")
        #expect(diagnostics.contains { $0.severity == .warning && $0.message.contains("no channel is of type cap") }, "\(diagnostics.listing)")
        #expect(configuration?.capSignatureLines == [])
    }

    enum Problem: String, CaseIterable, CustomStringConvertible {
        case keyMissing, certificateMissing, keyReadableByEveryone, keyNotPEM, keyIsTheCertificate, keyIsPublic, keyEncrypted
        case certificateNotPEM, certificateOfAnotherKey, onlyTheKey, onlyTheCertificate
        var description: String { rawValue }
    }

    /// Each problem: no configuration, one error naming the file (or the missing key), and no trace of the key's PEM.
    @Test(arguments: Problem.allCases)
    func aBadKeyOrCertificateIsAConfigErrorNamingTheFile(problem: Problem) async throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let keys = try TemporaryDirectory()
        defer { keys.remove() }
        var (key, certificate) = try await CAPSigningTools.makeKey(.rsa, in: keys)
        let keyText = try String(contentsOfFile: key, encoding: .utf8)
        func openssl(_ arguments: String...) async throws {
            let result = try await runCommand("/usr/bin/openssl", arguments)
            #expect(result.status == 0, "\(result)")
        }
        var expected: String
        var given: (key: String?, certificate: String?) = (key, certificate)
        switch problem {
        case .keyMissing:
            key = keys.file("absent.key")
            given.key = key
            expected = "cannot read 'cap.signing_key_file': \(key) does not exist"
        case .certificateMissing:
            certificate = keys.file("absent.crt")
            given.certificate = certificate
            expected = "cannot read 'cap.certificate_file': \(certificate) does not exist"
        case .keyReadableByEveryone:
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
            expected = "the CAP signing key \(key) can be read by every user of the machine"
        case .keyNotPEM:
            try "not a key\n".write(toFile: key, atomically: false, encoding: .utf8)
            expected = "'cap.signing_key_file' (\(key)) is not a PEM private key"
        case .keyIsTheCertificate:
            let copy = keys.file("certificate-as-key.pem")
            try FileManager.default.copyItem(atPath: certificate, toPath: copy)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: copy)
            given.key = copy
            expected = "'cap.signing_key_file' (\(copy)) is not a PEM private key"
        case .keyIsPublic:
            let publicKey = keys.file("public.pem")
            try await openssl("pkey", "-in", key, "-pubout", "-out", publicKey)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: publicKey)
            given.key = publicKey
            expected = "'cap.signing_key_file' (\(publicKey)) is not a private key"
        case .keyEncrypted:
            // A password is never asked for (the daemon has no terminal): the key is refused.
            let encrypted = keys.file("encrypted.key")
            try await openssl("pkey", "-in", key, "-aes256", "-passout", "pass:secret", "-out", encrypted)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: encrypted)
            given.key = encrypted
            expected = "'cap.signing_key_file' (\(encrypted)) is not a PEM private key"
        case .certificateNotPEM:
            try "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".write(toFile: certificate, atomically: false, encoding: .utf8)
            expected = "'cap.certificate_file' (\(certificate)) is not a PEM X.509 certificate"
        case .certificateOfAnotherKey:
            let other = try await CAPSigningTools.makeKey(.rsa, named: "other", in: keys)
            given.certificate = other.certificate
            expected = "'cap.certificate_file' (\(other.certificate)) does not match 'cap.signing_key_file' (\(key))"
        case .onlyTheKey:
            given.certificate = nil
            expected = "'cap.signing_key_file' needs 'cap.certificate_file'"
        case .onlyTheCertificate:
            given.key = nil
            expected = "'cap.certificate_file' needs 'cap.signing_key_file'"
        }
        let (configuration, diagnostics) = try folder.load(config: Self.config(key: given.key, certificate: given.certificate))
        #expect(configuration == nil)
        let errors = diagnostics.errors.map(\.message)
        #expect(errors.count == 1 && errors.allSatisfy { $0.contains(expected) }, "\(diagnostics.listing)")
        let keyLines = keyText.split(separator: "\n").filter { !$0.hasPrefix("-----") }
        #expect(!diagnostics.listing.contains("PRIVATE KEY") && !keyLines.contains { diagnostics.listing.contains($0) }, "\(diagnostics.listing)")
    }
}
