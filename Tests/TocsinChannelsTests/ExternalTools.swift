import Foundation
import TocsinTestSupport

/// The reference tools the channel tests check against: Python's `email` package and `xmllint` with the CAP 1.2
/// schema, run through the shared test support.
enum ExternalTools {
    /// `shared/schemas/cap-v1.2.xsd`, held by the folder that holds the package.
    static var capSchema: String {
        PackagePaths.root.deletingLastPathComponent().appendingPathComponent("shared/schemas/cap-v1.2.xsd").path
    }

    static func run(_ arguments: [String], input: [UInt8] = []) async throws -> CommandResult {
        try await runCommand("/usr/bin/env", arguments, bytes: input)
    }

    /// A fresh folder under the temp directory; the caller removes it.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-channels-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `xmllint --noout --schema cap-v1.2.xsd` on `document`; nil when it validates, the complaint otherwise.
    static func capSchemaProblems(_ document: [UInt8]) async throws -> String? {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("alert.xml")
        try Data(document).write(to: file)
        let result = try await run(["xmllint", "--noout", "--schema", capSchema, file.path])
        return result.status == 0 ? nil : result.stderr
    }
}
