import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// A read-only role and a local user against the daemon's files (issue 13, finding 4): an auditor once wrote a
/// root-owned 26 MB file into the templates folder through `backup PATH`, and any user could copy a 0644 database.
@Suite(.serialized, .integration, .timeLimit(.minutes(5)))
struct StateAccessTests {
    static let runningAsRoot = getuid() == 0

    private func bed(auditorsMayBackup: Bool) async throws -> TestBed {
        let bed = try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.socketMode = "0666"
            config.auditors = ["group:root", "user:nobody"]
            config.auditorsMayBackup = auditorsMayBackup
            return config
        }
        // Only so `nobody` reaches the socket in this test layout (production puts it in /run/tocsin).
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))
        return bed
    }

    static func json(_ result: CommandResult) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any]
    }

    @Test(.enabled(if: required(runningAsRoot), "needs root to act as 'nobody' with setpriv"))
    func anAuditorCannotWriteBackupsAnywhereNorAtAllUnlessAllowed() async throws {
        let bed = try await bed(auditorsMayBackup: false)
        defer { bed.tearDown() }
        let refused = try await bed.daemon.ctl(arguments: ["backup"], as: "nobody")
        #expect(refused.status == 4, "\(refused)")
        #expect(refused.stderr.contains("auditors_may_backup"), "the refusal says how to allow it\n\(refused)")

        // The attack of the review, as a raw request: a path of the caller's choosing is refused for everyone.
        let victim = bed.directory.file("templates/stolen.yaml")
        await #expect(throws: ClientError.self) {
            _ = try await bed.daemon.withClient { try $0.call(.backup, BackupParams(path: victim), as: BackupResult.self) }
        }
        #expect(!FileManager.default.fileExists(atPath: victim), "nothing written where the caller pointed")
        #expect(try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", bed.daemon.configPath]).status == 0)
    }

    @Test(.enabled(if: required(runningAsRoot), "needs root to act as 'nobody' with setpriv"))
    func anAllowedAuditorGetsAPrivateCopyInTheBackupsFolder() async throws {
        let bed = try await bed(auditorsMayBackup: true)
        defer { bed.tearDown() }
        let backup = try await bed.daemon.ctl(arguments: ["backup", "--json"], as: "nobody")
        #expect(backup.status == 0, "\(backup)")
        let path = try #require(Self.json(backup)?["path"] as? String)
        #expect((path as NSString).deletingLastPathComponent == bed.directory.file("state/backups"))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.posixPermissions] as? Int == 0o600, "only the daemon's user reads a backup")
        let folder = try FileManager.default.attributesOfItem(atPath: bed.directory.file("state/backups"))
        #expect(folder[.posixPermissions] as? Int == 0o750)
        let audit = try await bed.daemon.ctl("audit", "log", "--subject", "daemon", "--json").jsonLines
        #expect(audit.contains { $0["kind"] as? String == "daemon.backup" && $0["uid"] as? Int == 65534 }, "audited with the caller")
    }

    /// A database left 0644 in a 0777 folder by an earlier release or a lax umask is closed at start; a new one is
    /// created 0640, and SQLite gives its WAL and shared-memory files the same mode.
    @Test(.enabled(if: required(runningAsRoot), "needs root to read as 'nobody' with setpriv"))
    func theStateFolderAndDatabaseAreNeverOpenToOtherUsers() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = try await offPool { try LoopbackReceiver(in: directory) }
        defer { receiver.stop() }
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        chmod(state, 0o777)
        let config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
        let daemon = DaemonProcess(directory: directory, configPath: try config.write(to: directory))
        try await daemon.start()
        defer { daemon.signal(SIGKILL) }
        _ = try await daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes")
        func mode(_ path: String) throws -> Int? { try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int }
        #expect(try mode(state) == 0o750)
        for suffix in ["", "-wal", "-shm"] {
            #expect(try mode(daemon.databasePath + suffix) == 0o640, "tocsin.db\(suffix)")
        }
        await daemon.stop()

        // An older release left the database world-readable: the next start closes it.
        chmod(state, 0o755)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: daemon.databasePath + suffix) {
            chmod(daemon.databasePath + suffix, 0o644)
        }
        try await daemon.start()
        #expect(try mode(state) == 0o750)
        #expect(try mode(daemon.databasePath) == 0o640)
        #expect(daemon.log().contains("permissions for others removed"), "the journal says what was changed")
        let copy = try await runCommand("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/bin/cat", daemon.databasePath])
        #expect(copy.status != 0, "another local user cannot copy the database")
    }
}
