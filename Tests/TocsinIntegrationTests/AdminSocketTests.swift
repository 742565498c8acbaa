import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// Bad input on the admin socket gets a JSON-RPC error or a clean close, and never disturbs other clients.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct AdminSocketTests {
    private func error(of line: [UInt8]?) throws -> (code: Int, message: String) {
        let data = try #require(line.map { Data($0) })
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let error = try #require(object["error"] as? [String: Any])
        return (try #require(error["code"] as? Int), error["message"] as? String ?? "")
    }

    @Test(arguments: [
        ("this is not json", RPCError.parseErrorCode),
        ("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"daemon.status\"}", RPCError.invalidRequestCode),
        ("{\"jsonrpc\":\"2.0\",\"id\":1}", RPCError.invalidRequestCode),
        ("[1,2,3]", RPCError.invalidRequestCode),  // valid JSON, not a request object (JSON-RPC 2.0: -32600)
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"incident.launchMissiles\",\"params\":{}}", RPCError.methodNotFoundCode),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"incident.send\",\"params\":{\"template\":42}}", RPCError.invalidParamsCode),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"incident.status\"}", RPCError.invalidParamsCode),
    ])
    func badRequestsGetTheRightErrorAndTheConnectionStaysUsable(line: String, code: Int) async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let (answer, status) = try await bed.daemon.withClient { client in
            // Same connection, next request: still served.
            (try client.raw(Array(line.utf8)), try client.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self))
        }
        #expect(try error(of: answer).code == code)
        #expect(status.templates == 2)
    }

    @Test func anOversizedLineIsRefusedAndOtherClientsAreUnaffected() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let socketPath = bed.daemon.socketPath
        let (answer, bystanderStatus) = try await offPool {
            let hostile = try AdminClient(socketPath: socketPath)
            let bystander = try AdminClient(socketPath: socketPath)
            let oversized = [UInt8](repeating: UInt8(ascii: "a"), count: JSONRPC.maximumRequestBytes + 4096)
            let answer = try? hostile.raw(oversized)
            return (answer, try bystander.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self))
        }
        // Either an error line before the close, or a close (the kernel may reset while we still write).
        if let answer, let decoded = try? error(of: answer) {
            #expect(decoded.code == RPCError.invalidRequestCode)
            #expect(decoded.message.contains("longer than"))
        }
        #expect(bystanderStatus.templates == 2)
        #expect(try await bed.daemon.withClient { try $0.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self) }.templates == 2)
    }

    @Test func aSilentClientDoesNotBlockOthers() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        // Connects and says nothing at all.
        let silent = try UnixSocketConnection(path: bed.daemon.socketPath)
        for _ in 0..<3 {
            #expect(try await bed.daemon.withClient { try $0.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self) }.templates == 2)
        }
        _ = silent
    }

    @Test func aClientThatVanishesMidRequestLeavesTheDaemonServing() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        for _ in 0..<20 {
            let connection = try UnixSocketConnection(path: bed.daemon.socketPath)
            try connection.writeLine(Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"audit.verify\"}".utf8))
            // Dropped without reading the answer.
        }
        #expect(try await bed.daemon.withClient { try $0.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self) }.templates == 2)
        #expect(bed.daemon.isRunning)
    }
}
