import Foundation
import Glibc
import Synchronization
import Testing
import TocsinRequests
import TocsinTestSupport
import TocsinTransport

struct CurlTransportTests {
    struct Echo: Decodable {
        var method: String
        var path: String
        var headers: [[String]]
        var body: String

        func header(_ name: String) -> [String] {
            headers.filter { $0[0].lowercased() == name.lowercased() }.map { $0[1] }
        }
    }

    @Test(arguments: ["POST", "PUT"])
    func requestArrivesExactly(method: String) async throws {
        let server = try await LoopbackServer()
        defer { server.stop() }
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let body = Array(#"{"text":"Fire in hall B — évacuez"}"#.utf8) + [0, 255, 13, 10]

        let response = try await transport.send(HTTPRequest(
            method: method,
            url: server.base + "/echo/path?q=1&r=two",
            headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("X-Tocsin-Signature", "v1,abc=")],
            body: body,
            basicAuth: HTTPBasicAuth(user: "alice", password: "s3cret")
        )).get()

        #expect(response.status == 200)
        let echo = try JSONDecoder().decode(Echo.self, from: Data(response.body))
        #expect(echo.method == method)
        #expect(echo.path == "/echo/path?q=1&r=two")
        #expect(Data(base64Encoded: echo.body).map(Array.init) == body)
        #expect(echo.header("X-Tocsin-Signature") == ["v1,abc="])
        #expect(echo.header("Content-Type") == ["application/json"])
        #expect(echo.header("Authorization") == ["Basic " + Data("alice:s3cret".utf8).base64EncodedString()])
        #expect(echo.header("User-Agent") == ["tocsin/0.1"])
        #expect(echo.header("Expect").isEmpty)
        #expect(echo.header("Accept-Encoding").isEmpty)
    }

    @Test func getSendsNoBody() async throws {
        let server = try await LoopbackServer()
        defer { server.stop() }
        let transport = CurlTransport()
        defer { transport.shutdown() }

        let response = try await transport.send(HTTPRequest(method: "GET", url: server.base + "/echo")).get()

        let echo = try JSONDecoder().decode(Echo.self, from: Data(response.body))
        #expect(echo.method == "GET")
        #expect(echo.body.isEmpty)
        #expect(echo.header("Content-Length").isEmpty)
    }

    @Test(arguments: [200, 302, 429, 500])
    func statusAndHeadersAreReturned(status: Int) async throws {
        let server = try await LoopbackServer()
        defer { server.stop() }
        let transport = CurlTransport()
        defer { transport.shutdown() }

        let response = try await transport.send(HTTPRequest(url: server.base + "/status/\(status)")).get()

        #expect(response.status == status)
        #expect(response.body == Array("status body".utf8))
        #expect(response.header("X-TOCSIN-REPLY") == "Yes")
        #expect(response.headers.allSatisfy { $0.name == $0.name.lowercased() })
        #expect(response.headers.contains(HTTPHeader("content-length", "11")))
        #expect(response.header("Retry-After") == (status == 429 ? "7" : nil))
        #expect(response.header("location") == (status == 302 ? "/echo/redirected" : nil))
        // The redirect was returned, not followed.
        #expect(try await server.stats(using: transport).hits["echo"] == nil)
    }

    @Test func bodyIsCappedAt64KiB() async throws {
        let server = try await LoopbackServer()
        defer { server.stop() }
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let pattern = (0..<200_000).map { UInt8($0 % 251) }

        let big = try await transport.send(HTTPRequest(method: "GET", url: server.base + "/big/200000")).get()
        let small = try await transport.send(HTTPRequest(method: "GET", url: server.base + "/big/1000")).get()

        #expect(big.status == 200)
        #expect(big.body.count == HTTPResponse.bodyLimit)
        #expect(big.body == Array(pattern.prefix(HTTPResponse.bodyLimit)))
        #expect(small.body == Array(pattern.prefix(1000)))
        // The connection stayed usable: the rest of the big body was read, not left on the wire.
        #expect(try await server.stats(using: transport).ports["big"]?.count == 1)
    }

    @Test func silentServerTimesOutWithoutLeakingSecrets() async throws {
        let server = try await LoopbackServer()
        defer { server.stop() }
        let transport = CurlTransport()
        defer { transport.shutdown() }

        let result = await transport.send(HTTPRequest(
            url: server.base + "/hang/bot123:SECRETTOKEN/send?key=SECRETKEY",
            headers: [HTTPHeader("Authorization", "Bearer SECRETBEARER")],
            timeout: .seconds(1)
        ))

        let error = try #require(result.failure)
        #expect(error.kind == .timeout)
        #expect(error.curlCode == 28)
        #expect(error.latency >= .milliseconds(990))
        #expect(error.description.hasPrefix("timeout after "))
        #expect(!error.description.contains("SECRET"))
    }

    @Test func refusedConnectionIsConnectError() async throws {
        // A bound socket that never listens: connecting to it is refused, and nobody else can take the port.
        let closed = try LoopbackPort()
        defer { closed.close() }
        let transport = CurlTransport()
        defer { transport.shutdown() }

        let result = await transport.send(HTTPRequest(url: "http://127.0.0.1:\(closed.port)/hook/SECRETPATH?token=SECRETQ"))

        let error = try #require(result.failure)
        #expect(error.kind == .connect)
        #expect(error.curlCode == 7)
        #expect(!error.description.contains("SECRET"))
    }

    @Test func tlsToAPlainServerIsTLSError() async throws {
        let server = try await LoopbackServer()
        defer { server.stop() }
        let transport = CurlTransport()
        defer { transport.shutdown() }

        let result = await transport.send(HTTPRequest(url: "https://127.0.0.1:\(server.port)/echo/SECRETPATH"))

        let error = try #require(result.failure)
        #expect(error.kind == .tls)
        #expect(!error.description.contains("SECRET"))
    }

    @Test func invalidRequestsFailWithoutReachingTheNetwork() async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }

        let injected = await transport.send(HTTPRequest(
            url: "http://127.0.0.1:9/x",
            headers: [HTTPHeader("X-Token", "SECRET\r\nX-Evil: 1")]
        ))
        let badMethod = await transport.send(HTTPRequest(method: "PO ST", url: "http://127.0.0.1:9/x"))
        let badScheme = await transport.send(HTTPRequest(url: "ftp://127.0.0.1:9/SECRETFILE"))

        #expect(injected.failure?.kind == .other)
        #expect(injected.failure?.description.contains("SECRET") == false)
        #expect(badMethod.failure?.kind == .other)
        #expect(badScheme.failure?.kind == .other)
        #expect(badScheme.failure?.description.contains("SECRET") == false)
    }

    @Test func concurrentPostsReuseConnections() async throws {
        let server = try await LoopbackServer()
        defer { server.stop() }
        let options = CurlTransport.Options()
        let transport = CurlTransport(options: options)
        defer { transport.shutdown() }

        let base = server.base
        let statuses = await withTaskGroup(of: Int.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let request = HTTPRequest(url: base + "/echo/\(index)", body: Array("alert \(index)".utf8))
                    return (try? await transport.send(request).get().status) ?? -1
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }

        #expect(statuses.count == 200)
        #expect(statuses.allSatisfy { $0 == 200 })
        let stats = try await server.stats(using: transport)
        #expect(stats.hits["echo"] == 200)
        let connections = try #require(stats.ports["echo"]).count
        #expect(connections <= options.maxHostConnections)
    }

    /// Far longer than any test waits: these requests must end by cancellation, never by their timeout, even when
    /// the whole suite's blocking tests keep this one waiting for a thread for a minute or more.
    static let untilCancelled = Duration.seconds(1800)

    @Test func cancellingTheCallerCancelsTheTransfer() async throws {
        let server = try await LoopbackServer()
        defer { server.stop() }
        let transport = CurlTransport()
        defer { transport.shutdown() }

        let base = server.base
        let inFlight = Task { await transport.send(HTTPRequest(url: base + "/hang", timeout: Self.untilCancelled)) }
        try await server.waitForHits("hang", using: transport)
        inFlight.cancel()
        #expect(await inFlight.value.failure?.kind == .cancelled)

        // Cancelled before it was even submitted.
        let early = Task {
            while !Task.isCancelled { await Task.yield() }
            return await transport.send(HTTPRequest(url: base + "/hang", timeout: Self.untilCancelled))
        }
        early.cancel()
        #expect(await early.value.failure?.kind == .cancelled)

        // The transport carries on.
        let after = await transport.send(HTTPRequest(url: server.base + "/echo"))
        #expect((try? after.get().status) == 200)
    }

    @Test func hangingRequestDoesNotDelayOthers() async throws {
        let server = try await LoopbackServer()
        defer { server.stop() }
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let slowFinished = Flag()
        let base = server.base

        let slow = Task {
            let result = await transport.send(HTTPRequest(url: base + "/hang", timeout: Self.untilCancelled))
            slowFinished.set()
            return result
        }
        try await server.waitForHits("hang", using: transport)
        let fast = await transport.send(HTTPRequest(url: server.base + "/echo/fast"))

        #expect((try? fast.get().status) == 200)
        #expect(!slowFinished.isSet)
        slow.cancel()
        #expect(await slow.value.failure?.kind == .cancelled)
    }

    @Test func shutdownCompletesPendingSends() async throws {
        let server = try await LoopbackServer()
        defer { server.stop() }
        let transport = CurlTransport()

        let base = server.base
        let pending = (0..<3).map { _ in
            Task { await transport.send(HTTPRequest(url: base + "/hang", timeout: Self.untilCancelled)) }
        }
        try await server.waitForHits("hang", count: 3, using: transport)
        transport.shutdown()
        transport.shutdown()

        for task in pending {
            #expect(await task.value.failure?.kind == .cancelled)
        }
        let later = await transport.send(HTTPRequest(url: server.base + "/echo"))
        #expect(later.failure?.kind == .cancelled)
    }
}

final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
