import Foundation

/// Keys and outside checks for signed CAP alerts: keys made by `openssl`, signatures checked by `xmlsec1`, the
/// WMO's `capvalidator` (strict) and `xmllint` against the OASIS schema, feeds read by `feedparser`. None of them
/// shares code with Tocsin's signer.
public enum CAPSigningTools {
    public enum KeyKind: String, Sendable, CaseIterable, CustomStringConvertible {
        case rsa, ecdsa
        public var description: String { rawValue }
    }

    /// Whether every outside tool is installed (scripts/install-deps.sh installs them; CI fails without them).
    /// Use as `.enabled("…") { await required { await CAPSigningTools.available() } }`.
    public static func available() async -> Bool {
        guard ["/usr/bin/openssl", "/usr/bin/xmlsec1", "/usr/bin/xmllint"].allSatisfy(FileManager.default.isExecutableFile(atPath:)),
            FileManager.default.fileExists(atPath: capSchema)
        else { return false }
        let python = try? await runCommand("/usr/bin/env", ["python3", "-c", "import capvalidator, feedparser"])
        return python?.status == 0
    }

    /// The OASIS CAP 1.2 schema kept beside the project (shared/schemas).
    public static var capSchema: String {
        PackagePaths.root.deletingLastPathComponent().appendingPathComponent("shared/schemas/cap-v1.2.xsd").path
    }

    /// A private key (RSA 2048 or EC P-256, PEM, mode 0600) and a self-signed certificate for it, as the runbook
    /// makes them: `NAME.key` and `NAME.crt` in `directory`.
    public static func makeKey(
        _ kind: KeyKind, named name: String = "cap", in directory: TemporaryDirectory
    ) async throws -> (key: String, certificate: String) {
        let key = directory.file("\(name).key"), certificate = directory.file("\(name).crt")
        let algorithm = kind == .rsa ? ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"] : ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
        try check(await runCommand("/usr/bin/openssl", ["genpkey"] + algorithm + ["-out", key]))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
        try check(await runCommand("/usr/bin/openssl", [
            "req", "-new", "-x509", "-key", key, "-out", certificate, "-days", "30", "-subj", "/C=CA/O=Cegep de l'Exemple/CN=Alertes CAP (\(kind))",
        ]))
        return (key, certificate)
    }

    /// `xmlsec1 --verify` against the certificate (trusted as is: it is self-signed).
    public static func xmlsec(_ alert: String, certificate: String) async throws -> CommandResult {
        try await runCommand("/usr/bin/xmlsec1", ["--verify", "--trusted-pem", certificate, alert])
    }

    /// The WMO's validator in strict mode: the schema, then the signature with the certificate the alert carries.
    /// Exit 0 when it says the alert passed; its message on stdout.
    public static func capvalidator(_ alert: String) async throws -> CommandResult {
        try await runCommand("/usr/bin/env", ["python3", "-c", """
            import sys
            from capvalidator import validate_cap_message
            result = validate_cap_message(open(sys.argv[1], "rb").read(), strict=True)
            print(result.message)
            sys.exit(0 if result.passed else 1)
            """, alert])
    }

    /// `xmllint --noout --schema` with the OASIS CAP 1.2 schema.
    public static func schema(_ alert: String) async throws -> CommandResult {
        try await runCommand("/usr/bin/xmllint", ["--noout", "--schema", capSchema, alert])
    }

    /// The feed read by `feedparser`: a JSON object with `bozo`, `bozo_exception` and each entry's alternate links.
    public static func feed(_ path: String) async throws -> [String: Any] {
        let result = try await runCommand("/usr/bin/env", ["python3", "-c", """
            import json, sys
            import feedparser
            feed = feedparser.parse(sys.argv[1])
            print(json.dumps({
                "bozo": bool(feed.bozo),
                "bozo_exception": str(feed.get("bozo_exception", "")),
                "entries": [[link.get("href") for link in entry.get("links", []) if link.get("rel") == "alternate"] for entry in feed.entries],
            }))
            """, path])
        try check(result)
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    /// `document` with one byte replaced: the first `find` (which must occur) becomes `replacement`, same length.
    public static func tampered(_ document: [UInt8], _ find: String, _ replacement: String) -> [UInt8]? {
        let needle = Array(find.utf8), change = Array(replacement.utf8)
        guard needle.count == change.count, zip(needle, change).filter({ $0 != $1 }).count == 1,
            let start = (0...(document.count - needle.count)).first(where: { Array(document[$0..<$0 + needle.count]) == needle })
        else { return nil }
        var copy = document
        copy.replaceSubrange(start..<start + needle.count, with: change)
        return copy
    }

    private static func check(_ result: CommandResult) throws {
        guard result.status == 0 else { throw ToolFailure(description: "\(result)") }
    }

    struct ToolFailure: Error, CustomStringConvertible {
        var description: String
    }
}
