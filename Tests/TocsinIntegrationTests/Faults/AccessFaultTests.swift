import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// Access under attack: callers in the wrong role or in none, and an admin socket path tampered with before
/// start. Extends AccessTests (a caller kept out by the socket mode; a caller in no role sending and verifying).
@Suite(.serialized, .integration, .timeLimit(.minutes(5)))
struct AccessFaultTests {
    static let runningAsRoot = getuid() == 0
    static let nobodyUID = 65534

    /// A daemon whose socket `nobody` can reach (0666), so the daemon's role check — not the file mode — decides.
    private func bed(nobodyIn role: String?) async throws -> TestBed {
        let bed = try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.socketMode = "0666"
            switch role {
            case "auditor": config.auditors = ["group:root", "user:nobody"]
            case "operator": config.operators = ["group:root", "user:nobody"]
            default: break
            }
            return config
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))
        return bed
    }

    /// The `admin.request` audit entries of `nobody` refused as not authorised, by method.
    private func refusals(_ bed: TestBed) async throws -> [String] {
        let log = try await bed.daemon.ctl("audit", "log", "--subject", "admin", "--limit", "1000", "--json")
        return log.jsonLines.compactMap { entry -> String? in
            guard entry["uid"] as? Int == Self.nobodyUID, let detail = entry["detail"] as? String, detail.contains("not authorised"),
                let object = (try? JSONSerialization.jsonObject(with: Data(detail.utf8))) as? [String: Any]
            else { return nil }
            return object["method"] as? String
        }.sorted()
    }

    @Test(.enabled(if: required(runningAsRoot), "needs root to run the CLI as 'nobody' with setpriv; run `make test` as root to include it"))
    func anAuditorTryingToSendApproveCancelOrReloadIsRefusedAndAudited() async throws {
        let bed = try await bed(nobodyIn: "auditor")
        defer { bed.tearDown() }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        let incident = try #require(drill.jsonLines.first?["incident"] as? String)
        let before = bed.receiver.requests().count

        let attempts: [(arguments: [String], method: String)] = [
            (["send", "evacuation", "--set", "building=Pavillon A", "--yes"], "incident.send"),
            (["drill", "evacuation", "--set", "building=Pavillon A", "--yes"], "incident.send"),
            (["all-clear", incident, "--yes"], "incident.send"),
            (["cancel", incident, "--yes"], "incident.cancel"),
            (["templates", "approve", "all-clear", "--yes"], "template.approve"),
            (["reload"], "daemon.reload"),
            (["channels", "test", "ops"], "channel.test"),
        ]
        for attempt in attempts {
            let result = try await bed.daemon.ctl(arguments: attempt.arguments, as: "nobody")
            #expect(result.status == 4, "an auditor may not \(attempt.arguments.prefix(2).joined(separator: " "))\n\(result)")
            #expect(result.stderr.contains("may not call \(attempt.method)"), "\(result)")
        }
        // What an auditor may do still works for them.
        #expect(try await bed.daemon.ctl(arguments: ["audit", "verify"], as: "nobody").status == 0)
        #expect(try await bed.daemon.ctl(arguments: ["status"], as: "nobody").status == 0)

        #expect(bed.receiver.requests().count == before, "nothing was sent by a refused caller")
        #expect(try await refusals(bed) == attempts.map(\.method).sorted(), "every refusal is audited with the caller's uid")
        let templates = try await bed.daemon.withClient { try $0.call(.templateList, EmptyParams(), as: [TemplateSummary].self) }
        #expect(templates.first { $0.id == "all-clear" }?.approval == "unapproved")
    }

    @Test(.enabled(if: required(runningAsRoot), "needs root to run the CLI as 'nobody' with setpriv; run `make test` as root to include it"))
    func anOperatorTryingToApproveOrReadTheAuditIsRefusedAndAudited() async throws {
        let bed = try await bed(nobodyIn: "operator")
        defer { bed.tearDown() }
        let attempts: [(arguments: [String], method: String)] = [
            (["templates", "approve", "evacuation", "--yes"], "template.approve"),
            (["audit", "verify"], "audit.verify"),
            (["audit", "log"], "audit.log"),
            (["audit", "export"], "audit.export"),
        ]
        for attempt in attempts {
            let result = try await bed.daemon.ctl(arguments: attempt.arguments, as: "nobody")
            #expect(result.status == 4, "an operator may not \(attempt.arguments.prefix(2).joined(separator: " "))\n\(result)")
            #expect(result.stderr.contains("may not call \(attempt.method)"), "\(result)")
        }
        // The operator cannot approve their own send into existence: a live send stays refused until an approver acts.
        let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes"], as: "nobody")
        #expect(send.status == 4, "unapproved\n\(send)")
        #expect(try await refusals(bed) == attempts.map(\.method).sorted())
        #expect(bed.receiver.requests().isEmpty)
    }

    @Test(.enabled(if: required(runningAsRoot), "needs root to run the CLI as 'nobody' with setpriv; run `make test` as root to include it"))
    func aCallerInNoRoleIsRefusedOnEveryMethod() async throws {
        let bed = try await bed(nobodyIn: nil)
        defer { bed.tearDown() }
        // AccessTests covers send and audit verify; here every other verb, reads included.
        let attempts: [(arguments: [String], method: String)] = [
            (["status"], "daemon.status"),
            (["templates", "list"], "template.list"),
            // `approve` first reads the template (to sign its content hash): refused at that first call.
            (["templates", "approve", "evacuation", "--yes"], "template.show"),
            (["preview", "evacuation", "--set", "building=Pavillon A"], "incident.preview"),
            (["channels", "list"], "channel.list"),
            (["channels", "test", "ops"], "channel.test"),
            (["reload"], "daemon.reload"),
            (["backup"], "daemon.backup"),
            (["audit", "export"], "audit.export"),
        ]
        for attempt in attempts {
            let result = try await bed.daemon.ctl(arguments: attempt.arguments, as: "nobody")
            #expect(result.status == 4, "\(attempt.arguments.joined(separator: " "))\n\(result)")
            #expect(result.stderr.contains("may not call \(attempt.method)"), "\(result)")
        }
        let backups = (try? FileManager.default.contentsOfDirectory(atPath: bed.directory.file("state/backups"))) ?? []
        #expect(backups.isEmpty, "no backup was written for a refused caller: \(backups)")
        #expect(bed.receiver.requests().isEmpty)
        // A caller in no role is audited as one count per minute (`admin.refused`), written at the latest when the
        // daemon stops, never one entry per request.
        await bed.daemon.stop()
        try await bed.daemon.start()
        #expect(try await refusals(bed).isEmpty, "no entry per refused request")
        let reasons = try await CrowdKit.refusedEntries(bed, uid: Self.nobodyUID).reduce(into: [String: Int]()) { all, entry in
            for (reason, count) in entry.reasons { all[reason, default: 0] += count }
        }
        #expect(reasons == Dictionary(attempts.map { ("\($0.method): refused: not authorised", 1) }, uniquingKeysWith: +), "\(reasons)")
    }

    /// A (group, member) pair the group file lists, the member a user other than root: NSS puts that user in the
    /// group whatever its processes hold.
    private static func listedMember() -> (group: String, gid: UInt32, user: String)? {
        guard let text = try? String(contentsOfFile: "/etc/group", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4, let gid = UInt32(fields[2]), gid != 0 else { continue }
            if let user = fields[3].split(separator: ",").map(String.init).first(where: { $0 != "root" && getpwnam($0) != nil }) {
                return (fields[0], gid, user)
            }
        }
        return nil
    }

    /// Roles by `group:` come from the groups the calling process holds (SO_PEERGROUPS, and its primary group from
    /// SO_PEERCRED), not from the group file: a member that dropped its groups is no operator; a process holding
    /// the group is one even when the group file does not list its user.
    @Test(.enabled(if: required(runningAsRoot), "needs root to run the CLI as other users with setpriv"))
    func rolesComeFromTheGroupsTheCallingProcessHolds() async throws {
        let listed = Self.listedMember()
        if listed == nil, ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("no group in /etc/group lists a member other than root: the dropped-groups case cannot run")
        }
        let group = listed?.group ?? "users"
        let gid = try #require(listed?.gid ?? getgrnam(group).map { $0.pointee.gr_gid }, "group '\(group)'")
        let bed = try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.socketMode = "0666"
            config.operators = ["uid:0", "group:\(group)"]
            config.approvers = ["uid:0"]
            config.auditors = ["uid:0"]
            return config
        }
        defer { bed.tearDown() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))
        func status(_ setpriv: [String]) async throws -> CommandResult {
            try await runCommand("/usr/bin/setpriv", setpriv + [PackagePaths.tocsinctl, "status"], environment: bed.daemon.ctlEnvironment)
        }
        var figures: [String] = []
        if let listed {
            let dropped = try await status(["--reuid=\(listed.user)", "--regid=nogroup", "--clear-groups"])
            #expect(dropped.status == 4, "\(listed.user) dropped its groups: no longer an operator through '\(group)'\n\(dropped)")
            #expect(dropped.stderr.contains("may not call daemon.status"), "\(dropped)")
            let kept = try await status(["--reuid=\(listed.user)", "--regid=nogroup", "--init-groups"])
            #expect(kept.status == 0, "\(listed.user) with its groups is an operator\n\(kept)")
            figures.append("\(listed.user) --clear-groups → exit \(dropped.status), --init-groups → exit \(kept.status)")
        }
        let holder = try await status(["--reuid=nobody", "--regid=nogroup", "--groups=\(gid)"])
        #expect(holder.status == 0, "nobody holding gid \(gid) as a supplementary group is an operator\n\(holder)")
        let primary = try await status(["--reuid=nobody", "--regid=\(gid)", "--clear-groups"])
        #expect(primary.status == 0, "nobody with primary gid \(gid) is an operator\n\(primary)")
        let none = try await status(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        #expect(none.status == 4, "\(none)")
        figures.append("nobody --groups=\(gid) → exit \(holder.status), --regid=\(gid) → exit \(primary.status), no groups → exit \(none.status)")
        print("FAULTS-B AccessFaultTests.groups(\(group)): " + figures.joined(separator: "; "))
    }

    /// What an attacker leaves at the admin socket path before tocsind starts.
    enum Planted: String, CaseIterable, CustomTestStringConvertible {
        /// A symbolic link to a file the daemon must not chmod or replace.
        case linkToFile = "symlink to a file"
        /// A symbolic link to a path that does not exist yet: binding through it would create the socket there.
        case danglingLink = "dangling symlink"
        /// A symbolic link to another program's listening socket: following it would hand callers to an impostor.
        case linkToSocket = "symlink to a socket"
        case regularFile = "regular file"
        case folder
        var testDescription: String { rawValue }
    }

    @Test(arguments: Planted.allCases)
    func aSocketPathTamperedWithBeforeStartIsRefusedNeverFollowedAndAudited(planted: Planted) async throws {
        let directory = try TemporaryDirectory(prefix: "tocsin-planted")
        defer { directory.remove() }
        let receiver = try await offPool { try LoopbackReceiver(in: directory) }
        defer { receiver.stop() }
        let config = try TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]).write(to: directory)
        let daemon = DaemonProcess(directory: directory, configPath: config)
        defer { daemon.signal(SIGKILL) }
        // A first start makes the state folder and database; the attacker strikes while tocsind is stopped.
        try await daemon.start()
        await daemon.stop()

        let socket = daemon.socketPath
        let victim = directory.file("victim")
        let victimText = "not tocsind's\n"
        var impostor: ImpostorSocket?
        switch planted {
        case .linkToFile:
            try victimText.write(toFile: victim, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: victim)
            try FileManager.default.createSymbolicLink(atPath: socket, withDestinationPath: victim)
        case .danglingLink:
            try FileManager.default.createSymbolicLink(atPath: socket, withDestinationPath: victim)
        case .linkToSocket:
            impostor = try ImpostorSocket(path: victim)
            try FileManager.default.createSymbolicLink(atPath: socket, withDestinationPath: victim)
        case .regularFile:
            try victimText.write(toFile: socket, atomically: true, encoding: .utf8)
        case .folder:
            try FileManager.default.createDirectory(atPath: socket, withIntermediateDirectories: false)
        }
        defer { impostor?.close() }
        let victimBefore = try? FileManager.default.attributesOfItem(atPath: victim)

        await #expect(throws: (any Error).self, "tocsind must refuse the planted \(planted.rawValue)") { try await daemon.start() }
        let log = daemon.log()
        #expect(log.contains("refusing to start: the admin socket path"), "a clear reason\n\(log.suffix(1500))")
        #expect(log.contains(planted == .regularFile ? "regular file" : planted == .folder ? "folder" : "symbolic link"), "\(log.suffix(1500))")

        // Nothing was followed: the planted entry and whatever it points at are as the attacker left them.
        switch planted {
        case .linkToFile, .linkToSocket, .danglingLink:
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: socket) == victim, "the link is left in place")
        case .regularFile:
            #expect(try String(contentsOfFile: socket, encoding: .utf8) == victimText)
        case .folder:
            var isFolder: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: socket, isDirectory: &isFolder) && isFolder.boolValue)
        }
        switch planted {
        case .linkToFile:
            let after = try FileManager.default.attributesOfItem(atPath: victim)
            #expect(after[.posixPermissions] as? Int == 0o600, "the link's target was not chmodded")
            #expect(after[.posixPermissions] as? Int == victimBefore?[.posixPermissions] as? Int)
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == victimText)
        case .danglingLink:
            #expect(!FileManager.default.fileExists(atPath: victim), "no socket was created through the link")
        case .linkToSocket:
            #expect(impostor?.isSocketStillThere == true, "the impostor's socket was not unlinked or replaced")
        case .regularFile, .folder:
            break
        }

        // Once the operator removes it, tocsind starts, and its refusal is in the audit log.
        try FileManager.default.removeItem(atPath: socket)
        try await daemon.start()
        let audit = try await daemon.ctl("audit", "log", "--subject", "daemon", "--json").jsonLines
        let refused = audit.filter { $0["kind"] as? String == "admin.socket.refused" }
        #expect(refused.count == 1, "\(audit)")
        #expect((refused.first?["detail"] as? String)?.contains(socket) == true)
        #expect(try await daemon.ctl("audit", "verify").status == 0)
        let reason = log.split(separator: "\n").last { $0.hasPrefix("tocsind:") }.map(String.init) ?? "?"
        print("FAULTS-B AccessFaultTests.planted(\(planted.rawValue)): \(reason)")
    }

    @Test func aStaleSocketLeftByAKilledDaemonIsReplaced() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        await bed.daemon.kill(SIGKILL)
        var info = stat()
        #expect(lstat(bed.daemon.socketPath, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK, "the killed daemon left its socket")
        try await bed.daemon.start()
        #expect(try await bed.daemon.ctl("status").status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: bed.daemon.socketPath)[.posixPermissions] as? Int
        #expect(mode == 0o660, "the configured mode, set on the new socket itself")
    }

    @Test(.enabled(if: required(runningAsRoot), "needs root to leave a socket owned by another user ('nobody') at the path"))
    func aSocketOwnedByAnotherUserIsRefused() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        await bed.daemon.stop()
        let impostor = try ImpostorSocket(path: bed.daemon.socketPath)
        defer { impostor.close() }
        #expect(chown(bed.daemon.socketPath, uid_t(Self.nobodyUID), gid_t(Self.nobodyUID)) == 0)
        await #expect(throws: (any Error).self) { try await bed.daemon.start() }
        #expect(bed.daemon.log().contains("holds a socket owned by uid \(Self.nobodyUID)"), "\(bed.daemon.log().suffix(1500))")
        #expect(impostor.isSocketStillThere)
    }
}

/// A listening Unix socket of "another program" at `path`. It closes every connection at once, so a client that
/// reaches it (the test's own readiness probe) gets an error rather than waiting for an answer forever.
private final class ImpostorSocket: @unchecked Sendable {
    private let descriptor: Int32
    private let path: String
    private let inode: UInt

    init(path: String) throws {
        self.path = path
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        try bindUnixSocket(descriptor, to: path)
        guard listen(descriptor, 4) == 0 else { throw TestSupportError("impostor socket at \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard lstat(path, &info) == 0 else { throw TestSupportError("lstat \(path)") }
        inode = UInt(info.st_ino)
        Thread {
            while true {
                let connection = accept(descriptor, nil, nil)
                if connection < 0 { if errno == EINTR { continue } else { return } }
                _ = Glibc.close(connection)
            }
        }.start()
    }

    /// The same socket file (same inode) is still at the path.
    var isSocketStillThere: Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK && UInt(info.st_ino) == inode
    }

    func close() {
        _ = shutdown(descriptor, Int32(SHUT_RDWR))
        _ = Glibc.close(descriptor)
        unlink(path)
    }
}
