import Foundation

/// Runs the reference tools the channel tests check against: Python's `email` package and `xmllint` with the CAP
/// 1.2 schema. (This target depends on TocsinChannels only, so it carries its own small process runner.)
enum ExternalTools {
    /// The package root, from this file's place (Tests/TocsinChannelsTests/…).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `shared/schemas/cap-v1.2.xsd`, held by the folder that holds the package.
    static var capSchema: String {
        packageRoot.deletingLastPathComponent().appendingPathComponent("shared/schemas/cap-v1.2.xsd").path
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], input: [UInt8] = []) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Inputs and outputs here are a few kilobytes: well under a pipe's buffer, so no reader thread is needed.
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// A fresh folder under the temp directory; the caller removes it.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-channels-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `xmllint --noout --schema cap-v1.2.xsd` on `document`; nil when it validates, the complaint otherwise.
    static func capSchemaProblems(_ document: [UInt8]) throws -> String? {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("alert.xml")
        try Data(document).write(to: file)
        let result = try run(["xmllint", "--noout", "--schema", capSchema, file.path])
        return result.status == 0 ? nil : result.stderr
    }
}
