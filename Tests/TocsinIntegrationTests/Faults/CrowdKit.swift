import Foundation
import Testing
import TocsinTestSupport

/// Hostile admin-socket clients run as another user (`setpriv`, so the daemon sees that user's uid through
/// SO_PEERCRED): a crowd of connections held open, or a flood of requests on one connection. A child process, so
/// the test's own process keeps root for its checks and its blocking reads stay off the test pool.
enum CrowdKit {
    /// Runs as the other user: `crowd PATH COUNT BYTES` opens COUNT connections, writes BYTES of 'x' (no newline) on
    /// each, prints one JSON line, then for each line on stdin prints what the connections saw; exits at EOF.
    /// `flood PATH COUNT` sends COUNT unknown-method requests on one connection, reading every answer, and prints
    /// one JSON line with the answers by error code.
    static let script = #"""
import json, socket, sys

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)  # blocking: waits while the listen backlog is full rather than failing with EAGAIN
    s.settimeout(30)
    return s

def crowd(path, count, size):
    socks, connect_failed, send_failed = [], 0, 0
    payload = b"x" * size
    for _ in range(count):
        try:
            socks.append(connect(path))
        except OSError:
            connect_failed += 1
    if size:
        for s in socks:
            try:
                s.sendall(payload)
            except OSError:
                send_failed += 1
    print(json.dumps({"connected": len(socks), "connectFailed": connect_failed, "sendFailed": send_failed}), flush=True)
    for _ in sys.stdin:
        still_open, closed, other, codes = 0, 0, 0, {}
        for s in socks:
            s.setblocking(False)
            try:
                data = s.recv(65536)
            except BlockingIOError:
                still_open += 1
                continue
            except OSError:
                closed += 1
                continue
            if not data:
                closed += 1
                continue
            try:
                code = str(json.loads(data.split(b"\n")[0])["error"]["code"])
                codes[code] = codes.get(code, 0) + 1
            except Exception:
                other += 1
        print(json.dumps({"open": still_open, "closed": closed, "other": other, "codes": codes}), flush=True)

def flood(path, count):
    s = connect(path)
    reader = s.makefile("rb")
    codes, batch = {}, 100
    for start in range(0, count, batch):
        n = min(batch, count - start)
        s.sendall(b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"no.such.method"}\n' % (start + i) for i in range(n)))
        for _ in range(n):
            line = reader.readline()
            if not line:
                print(json.dumps({"codes": codes, "closedEarly": True}), flush=True)
                return
            code = str(json.loads(line).get("error", {}).get("code"))
            codes[code] = codes.get(code, 0) + 1
    print(json.dumps({"codes": codes, "closedEarly": False}), flush=True)

if sys.argv[1] == "crowd":
    crowd(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
else:
    flood(sys.argv[2], int(sys.argv[3]))
"""#

    /// `setpriv` arguments acting as `user` with only the groups given (`--clear-groups` when none).
    static func setpriv(user: String, group: String = "nogroup", supplementary: [String] = []) -> [String] {
        ["--reuid=\(user)", "--regid=\(group)"] + (supplementary.isEmpty ? ["--clear-groups"] : ["--groups=\(supplementary.joined(separator: ","))"])
    }

    /// A child process that holds a crowd of connections until `stop`.
    final class Crowd: @unchecked Sendable {
        private var exit: ProcessExit?
        private let input = Pipe()
        private let output = Pipe()
        /// What the crowd printed once every connection was opened (and written to).
        private(set) var opened: [String: Any] = [:]

        /// Opens `count` connections as `user`, each sent `bytes` bytes without a newline; returns once all are open.
        init(socket: String, user: String, count: Int, bytes: Int) async throws {
            exit = try ChildProcess.spawn(
                "/usr/bin/setpriv", CrowdKit.setpriv(user: user) + ["/usr/bin/python3", "-c", CrowdKit.script, "crowd", socket, "\(count)", "\(bytes)"],
                standardInput: .pipe(input), standardOutput: .pipe(output)
            )
            opened = try await nextLine()
        }

        /// What each connection has seen so far: `open` (nothing yet), `closed`, `codes` (error lines by code).
        func census() async throws -> [String: Any] {
            try input.fileHandleForWriting.write(contentsOf: Data("census\n".utf8))
            return try await nextLine()
        }

        /// Closes every connection (the child exits at the end of its input).
        func stop() async {
            try? input.fileHandleForWriting.close()
            await exit?.wait()
        }

        /// One JSON line of the child's output, read on a thread of its own (a blocking read).
        private func nextLine() async throws -> [String: Any] {
            let handle = output.fileHandleForReading
            let line = try await offPool { try handle.readLineRetrying() }
            guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
                throw TestSupportError("the crowd helper printed '\(String(decoding: line, as: UTF8.self))' (is /usr/bin/python3 there?)")
            }
            return object
        }
    }

    /// Sends `count` unknown-method requests as `user` on one connection; what came back, by error code.
    static func flood(socket: String, user: String, count: Int) async throws -> [String: Any] {
        let result = try await runCommand("/usr/bin/setpriv", setpriv(user: user) + ["/usr/bin/python3", "-c", script, "flood", socket, "\(count)"])
        guard result.status == 0, let object = result.jsonLines.last else { throw TestSupportError("flood helper: \(result)") }
        return object
    }

    /// The `admin.refused` entries of the audit log for `uid`: (count, reasons) of each.
    static func refusedEntries(_ bed: TestBed, uid: Int) async throws -> [(count: Int, reasons: [String: Int])] {
        let log = try await bed.daemon.ctl("audit", "log", "--subject", "admin", "--limit", "10000", "--json")
        return log.jsonLines.compactMap { entry in
            guard entry["kind"] as? String == "admin.refused", entry["uid"] as? Int == uid, let detail = entry["detail"] as? String,
                let object = (try? JSONSerialization.jsonObject(with: Data(detail.utf8))) as? [String: Any],
                let count = object["count"] as? Int
            else { return nil }
            return (count, object["reasons"] as? [String: Int] ?? [:])
        }
    }

    /// The `admin.request` entries of the audit log for `uid`.
    static func requestEntries(_ bed: TestBed, uid: Int) async throws -> Int {
        let log = try await bed.daemon.ctl("audit", "log", "--subject", "admin", "--limit", "10000", "--json")
        return log.jsonLines.filter { $0["kind"] as? String == "admin.request" && $0["uid"] as? Int == uid }.count
    }
}
