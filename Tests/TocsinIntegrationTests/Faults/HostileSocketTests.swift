import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// Hostile traffic on the admin socket (DESIGN.md "Admin protocol": oversized, malformed or slow requests get an
/// error and never disturb other clients). Each test checks three things: every case ends in an error answer or
/// a clean close (never a hang, never a crash), the daemon still serves a normal request afterwards, and its memory
/// (VmRSS) and descriptors stay bounded. AdminSocketTests already covers a few shapes, a 1 MB line, a silent client
/// and 20 clients dropping their answer; this goes further. Figures are printed with the prefix `FAULTS-A`.
///
/// Not serialized, unlike the other integration suites: its tests mostly wait on their own daemons (one waits a minute
/// for the daemon to drop a client that never reads), and one after another they would take as long as the whole run.
@Suite(.integration, .timeLimit(.minutes(3)))
struct HostileSocketTests {
    static let statusRequest = #"{"jsonrpc":"2.0","id":7,"method":"daemon.status"}"#
    /// Generous: the daemon's resident size may grow a little (caches, SQLite pages), never by a hostile line's size.
    static let rssGrowthLimitKB = 64 * 1024

    private func makeBed(plan: [String: [[String: Any]]] = [:]) async throws -> TestBed {
        try await TestBed(plan: plan) { receiver in
            TestConfig(channels: [.init("ops", url: receiver.url("/ops")), .init("hanging", url: receiver.url("/hang"), timeout: "60s")])
        }
    }

    /// A normal request on a fresh connection succeeds.
    private func stillServes(_ bed: TestBed) async -> Bool {
        (try? await bed.daemon.withClient { try $0.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self) }.templates) == 2
    }

    private enum Expect: CustomStringConvertible {
        /// A JSON-RPC error with this code.
        case error(Int)
        /// Any JSON-RPC answer (error or result): the shape is odd but legal, or the outcome is the caller's business.
        case answer
        /// A result.
        case result
        var description: String {
            switch self {
            case .error(let code): "error \(code)"
            case .answer: "any answer"
            case .result: "a result"
            }
        }
    }

    /// Malformed JSON and wrong JSON-RPC shapes, one connection each: the right error (JSON-RPC 2.0: -32700 only for
    /// text that is not JSON; valid JSON that is not a request object, a batch included, is -32600), always with an
    /// `id` member (`null` when the request's is unknown), then the same connection still answers a normal request.
    @Test func malformedJSONAndWrongShapesGetAnErrorAndTheConnectionStaysUsable() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let parse = RPCError.parseErrorCode, invalid = RPCError.invalidRequestCode, params = RPCError.invalidParamsCode
        let deepArray = String(repeating: "[", count: 200_000)
        let deepObject = String(repeating: #"{"a":"#, count: 100_000)
        let deepParams = #"{"jsonrpc":"2.0","id":1,"method":"incident.status","params":{"incident":"#
            + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000) + "}}"
        let exactlyTheLimit = Self.statusRequest.dropLast() + String(repeating: " ", count: JSONRPC.maximumRequestBytes - Self.statusRequest.utf8.count) + "}"
        let cases: [(name: String, bytes: [UInt8], expect: Expect)] = [
            ("empty line", [], .error(parse)),
            ("blanks", Array("   \t ".utf8), .error(parse)),
            ("null", Array("null".utf8), .error(invalid)),
            ("number", Array("42".utf8), .error(invalid)),
            ("string", Array(#""daemon.status""#.utf8), .error(invalid)),
            ("empty object", Array("{}".utf8), .error(invalid)),
            ("empty array", Array("[]".utf8), .error(invalid)),
            ("batch", Array("[\(Self.statusRequest),\(Self.statusRequest)]".utf8), .error(invalid)),
            ("truncated", Array(Self.statusRequest.dropLast(5).utf8), .error(parse)),
            ("trailing garbage", Array((Self.statusRequest + " xyz").utf8), .error(parse)),
            ("two objects on one line", Array((Self.statusRequest + Self.statusRequest).utf8), .error(parse)),
            ("single quotes", Array("{'jsonrpc':'2.0','id':1,'method':'daemon.status'}".utf8), .error(parse)),
            ("NUL inside", Array(#"{"jsonrpc":"2.0","id":1,"#.utf8) + [0] + Array(#""method":"daemon.status"}"#.utf8), .error(parse)),
            ("invalid UTF-8 in method", Array(#"{"jsonrpc":"2.0","id":1,"method":""#.utf8) + [0xFF, 0xFE, 0xC0, 0x80] + Array(#""}"#.utf8), .error(parse)),
            ("lone surrogate escape", Array(#"{"jsonrpc":"2.0","id":1,"method":"\udc00"}"#.utf8), .answer),
            ("jsonrpc as number", Array(#"{"jsonrpc":2.0,"id":1,"method":"daemon.status"}"#.utf8), .error(invalid)),
            ("jsonrpc missing", Array(#"{"id":1,"method":"daemon.status"}"#.utf8), .error(invalid)),
            ("jsonrpc 1.0", Array(#"{"jsonrpc":"1.0","id":1,"method":"daemon.status"}"#.utf8), .error(invalid)),
            ("method as number", Array(#"{"jsonrpc":"2.0","id":1,"method":42}"#.utf8), .error(invalid)),
            ("method null", Array(#"{"jsonrpc":"2.0","id":1,"method":null}"#.utf8), .error(invalid)),
            ("method empty", Array(#"{"jsonrpc":"2.0","id":1,"method":""}"#.utf8), .error(RPCError.methodNotFoundCode)),
            ("method 100 kB", Array(#"{"jsonrpc":"2.0","id":1,"method":"\#(String(repeating: "m", count: 100_000))"}"#.utf8), .error(RPCError.methodNotFoundCode)),
            ("method with escapes", Array(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status\u0000\u001b[2J"}"#.utf8), .error(RPCError.methodNotFoundCode)),
            ("id object", Array(#"{"jsonrpc":"2.0","id":{"a":1},"method":"daemon.status"}"#.utf8), .error(invalid)),
            ("id array", Array(#"{"jsonrpc":"2.0","id":[1],"method":"daemon.status"}"#.utf8), .error(invalid)),
            ("id bool", Array(#"{"jsonrpc":"2.0","id":true,"method":"daemon.status"}"#.utf8), .error(invalid)),
            ("id fraction", Array(#"{"jsonrpc":"2.0","id":1.5,"method":"daemon.status"}"#.utf8), .error(invalid)),
            ("id 1e400", Array(#"{"jsonrpc":"2.0","id":1e400,"method":"daemon.status"}"#.utf8), .error(invalid)),
            ("id 30 digits", Array(#"{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"daemon.status"}"#.utf8), .error(invalid)),
            ("id null", Array(#"{"jsonrpc":"2.0","id":null,"method":"daemon.status"}"#.utf8), .result),
            ("id string", Array(#"{"jsonrpc":"2.0","id":"abc","method":"daemon.status"}"#.utf8), .result),
            ("duplicate keys", Array(#"{"jsonrpc":"2.0","id":1,"method":"incident.launch","method":"daemon.status"}"#.utf8), .answer),
            ("params array", Array(#"{"jsonrpc":"2.0","id":1,"method":"incident.status","params":[1]}"#.utf8), .error(params)),
            ("params string", Array(#"{"jsonrpc":"2.0","id":1,"method":"incident.status","params":"x"}"#.utf8), .error(params)),
            ("params null", Array(#"{"jsonrpc":"2.0","id":1,"method":"incident.send","params":null}"#.utf8), .error(params)),
            ("params wrong type", Array(#"{"jsonrpc":"2.0","id":1,"method":"incident.status","params":{"incident":1}}"#.utf8), .error(params)),
            ("variables not strings", Array(#"{"jsonrpc":"2.0","id":1,"method":"incident.preview","params":{"template":"evacuation","variables":{"building":["Pavillon A"]},"drill":true}}"#.utf8), .error(params)),
            ("unknown incident", Array(#"{"jsonrpc":"2.0","id":1,"method":"incident.status","params":{"incident":"../../etc/passwd"}}"#.utf8), .error(RPCError.notFoundCode)),
            // A notification (no id) gets no answer: notificationsGetNoAnswerAndBatchesAreInvalidRequests.
            ("200k nested arrays", Array(deepArray.utf8), .error(parse)),
            ("100k nested objects", Array(deepObject.utf8), .error(parse)),
            ("50k nested arrays in params", Array(deepParams.utf8), .answer),
            ("BOM then request", [0xEF, 0xBB, 0xBF] + Array(Self.statusRequest.utf8), .answer),
            ("CRLF ending", Array((Self.statusRequest + "\r").utf8), .result),
            ("exactly the size limit", Array(exactlyTheLimit.utf8), .result),
        ]
        var tally: [String: Int] = [:]
        for item in cases {
            let socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
            // Some lines are hundreds of kilobytes: the send waits for the daemon to read them, off the pool.
            let line = item.bytes + [UInt8(ascii: "\n")]
            #expect(try await offPool { socket.send(line) }, "\(item.name): the daemon took the whole line")
            let read = await socket.readLine()
            guard case .line(let line) = read else {
                Issue.record("\(item.name): expected \(item.expect), got \(read)")
                continue
            }
            let answer = HostileKit.Answer(line)
            #expect(answer != nil, "\(item.name): not a JSON-RPC answer: \(String(decoding: line.prefix(300), as: UTF8.self))")
            switch item.expect {
            case .error(let code): #expect(answer?.errorCode == code, "\(item.name): \(String(decoding: line.prefix(300), as: UTF8.self))")
            case .result: #expect(answer?.hasResult == true, "\(item.name): \(String(decoding: line.prefix(300), as: UTF8.self))")
            case .answer: break
            }
            #expect(line.count < 2048, "\(item.name): the error does not echo the request (\(line.count) bytes)")
            #expect(Self.idMember(of: line) != nil, "\(item.name): every answer carries \"id\" (null when unknown): \(String(decoding: line.prefix(300), as: UTF8.self))")
            tally[answer.map { $0.errorCode.map { "error \($0)" } ?? "result" } ?? "garbage", default: 0] += 1
            // The same connection serves the next request.
            socket.send(Self.statusRequest + "\n")
            guard case .line(let next) = await socket.readLine() else {
                Issue.record("\(item.name): the connection was closed after a bad line")
                continue
            }
            #expect(HostileKit.Answer(next)?.hasResult == true, "\(item.name): the next request on the connection failed")
        }
        // Pipelined: three requests in one write, three answers in order.
        let pipelined = try HostileKit.RawSocket(path: bed.daemon.socketPath)
        pipelined.send((1...3).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"daemon.status"}"# + "\n" }.joined())
        for id in 1...3 {
            guard case .line(let line) = await pipelined.readLine() else { Issue.record("pipelined answer \(id) missing"); break }
            #expect(String(decoding: line, as: UTF8.self).contains("\"id\":\(id)"))
        }
        #expect(await stillServes(bed))
        #expect(bed.daemon.isRunning)
        print("FAULTS-A socket shapes: \(cases.count) malformed or odd lines (+1 pipelined), answers: \(tally.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))")
    }

    /// 10 MB lines from several clients at once, with and without a newline, as junk and as one huge JSON string:
    /// each gets the size error (or is closed), a bystander is served meanwhile, memory does not follow the bytes.
    @Test func tenMegabyteLinesAreRefusedAndMemoryStaysBounded() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let pid = try #require(bed.daemon.pid)
        #expect(await stillServes(bed))
        let before = HostileKit.residentKilobytes(of: pid)
        let size = 10 * 1024 * 1024
        let junk = [UInt8](repeating: UInt8(ascii: "a"), count: size)
        let jsonString = Array(#"{"jsonrpc":"2.0","id":1,"method":"incident.send","params":{"template":"evacuation","variables":{"building":""#.utf8)
            + [UInt8](repeating: UInt8(ascii: "x"), count: size) + Array(#""}}}"#.utf8)
        let bodies: [(String, [UInt8])] = [("junk+newline", junk + [10]), ("junk, no newline", junk), ("10 MB JSON string", jsonString + [10]), ("10 MB of 0xFF", [UInt8](repeating: 0xFF, count: size) + [10])]
        let rounds = 3
        let outcomes = LockedList()
        for _ in 0..<rounds {
            // Blocking writes and reads, several at once: on threads of their own, not the test pool's.
            try await offPool {
              DispatchQueue.concurrentPerform(iterations: bodies.count) { index in
                let (name, bytes) = bodies[index]
                guard let socket = try? HostileKit.RawSocket(path: bed.daemon.socketPath) else { outcomes.append("\(name): connect failed"); return }
                let whole = socket.send(bytes)
                socket.shutdownWrite()
                switch socket.readLineBlocking() {
                case .line(let line):
                    let answer = HostileKit.Answer(line)
                    outcomes.append(answer?.errorCode == RPCError.invalidRequestCode && answer?.message.contains("longer than") == true
                        ? "error" : "\(name): unexpected \(String(decoding: line.prefix(200), as: UTF8.self))")
                case .closed: outcomes.append(whole ? "\(name): closed without an answer after taking all 10 MB" : "closed")
                case .timedOut: outcomes.append("\(name): no answer and no close")
                }
              }
            }
            #expect(await stillServes(bed), "a bystander is served between rounds")
        }
        let after = HostileKit.residentKilobytes(of: pid)
        let results = outcomes.items
        #expect(results.count == rounds * bodies.count)
        #expect(results.allSatisfy { $0 == "error" || $0 == "closed" }, "\(results)")
        #expect(after - before < Self.rssGrowthLimitKB, "VmRSS \(before) kB → \(after) kB")
        #expect(await stillServes(bed))
        print("FAULTS-A socket 10MB: \(results.count) lines of 10 MB (\(rounds * bodies.count * 10) MB sent) → "
            + "\(results.filter { $0 == "error" }.count) size errors, \(results.filter { $0 == "closed" }.count) closes; VmRSS \(before) kB → \(after) kB")
    }

    /// A client dripping a request one byte a second is cut off with an error once the request has taken more than
    /// 10 s; one that sends its request in a few pieces is served; others are served all the while.
    @Test func slowDripClientsAreCutOffAndOthersAreServedMeanwhile() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let dripResult = LockedList()
        let drip = try HostileKit.RawSocket(path: bed.daemon.socketPath, readTimeout: 60)
        // The drip sleeps between bytes with Task.sleep; its last read, which may block up to a minute, runs off the
        // pool (readLine).
        func dripSlowly() async throws {
            var sent = 0
            for byte in Array(Self.statusRequest.utf8) {
                guard drip.send([byte]) else { break }
                sent += 1
                try await Task.sleep(for: .seconds(0.8))
                if sent > 14 { break }  // 11 s: well past the daemon's 10 s for one request
            }
            switch await drip.readLine() {
            case .line(let line): dripResult.append(HostileKit.Answer(line).map { "\($0.errorCode ?? 0) \($0.message)" } ?? "garbage")
            case .closed: dripResult.append("closed")
            case .timedOut: dripResult.append("timed out")
            }
        }
        async let dripped: Void = dripSlowly()
        // Others, while the drip is still dripping: asked first and back to back, so that a loaded machine (CI beside
        // compilers) still fits them into the drip's 10 s; what is shown is that the drip does not hold anyone up.
        var servedDuringDrip = 0
        for _ in 0..<5 where dripResult.items.isEmpty {
            if await stillServes(bed) { servedDuringDrip += 1 }
        }
        #expect(dripResult.items.isEmpty, "the drip was still going while others were served")
        #expect(servedDuringDrip == 5)
        // In pieces, a little slowly, but well within the limit: served.
        let pieces = try HostileKit.RawSocket(path: bed.daemon.socketPath)
        let request = Array((Self.statusRequest + "\n").utf8)
        for start in stride(from: 0, to: request.count, by: 12) {
            pieces.send(Array(request[start..<min(start + 12, request.count)]))
            try await Task.sleep(for: .seconds(0.3))
        }
        var piecesServed = false
        if case .line(let line) = await pieces.readLine() { piecesServed = HostileKit.Answer(line)?.hasResult == true }
        #expect(piecesServed)
        try await dripped
        let outcome = dripResult.items.first ?? ""
        #expect(outcome.hasPrefix("\(RPCError.invalidRequestCode) ") && outcome.contains("did not arrive in full"), "\(outcome)")
        #expect(await stillServes(bed))
        print("FAULTS-A socket slow-drip: 1 byte/0.8 s → \(outcome); a request in 5 pieces 0.3 s apart served; \(servedDuringDrip) normal requests served during the drip")
    }

    /// 1,000 clients connected at once, each sending a request before any reads: each gets its answer or, past the
    /// daemon's connection limit, a clean close; nothing hangs, and afterwards descriptors return to where they were.
    @Test func aThousandConcurrentClientsGetAnAnswerOrACleanClose() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let pid = try #require(bed.daemon.pid)
        #expect(await stillServes(bed))
        let socketsBefore = HostileKit.openSockets(of: pid), rssBefore = HostileKit.residentKilobytes(of: pid)
        // A connect waits while the daemon's listen backlog is full: the thousand connects and sends run off the pool.
        let socketPath = bed.daemon.socketPath
        var (sockets, connectFailures, sendFailures) = try await offPool {
            var sockets: [HostileKit.RawSocket] = []
            var connectFailures = 0
            for _ in 0..<1000 {
                if let socket = try? HostileKit.RawSocket(path: socketPath, readTimeout: 60) { sockets.append(socket) } else { connectFailures += 1 }
            }
            var sendFailures = 0
            for (index, socket) in sockets.enumerated() where !socket.send(#"{"jsonrpc":"2.0","id":\#(index),"method":"daemon.status"}"# + "\n") {
                sendFailures += 1
            }
            return (sockets, connectFailures, sendFailures)
        }
        var answered = 0, errors = 0, closed = 0, hung = 0, wrong = 0
        for (index, socket) in sockets.enumerated() {
            switch await socket.readLine() {
            case .line(let line):
                guard let answer = HostileKit.Answer(line) else { wrong += 1; continue }
                let id = ((try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any])?["id"] as? Int
                if answer.hasResult, id == index { answered += 1 } else if answer.errorCode != nil { errors += 1 } else { wrong += 1 }
            case .closed: closed += 1
            case .timedOut: hung += 1
            }
        }
        #expect(hung == 0 && wrong == 0)
        #expect(answered + errors + closed == sockets.count)
        #expect(answered >= 256, "at least the daemon's first few hundred connections are served")
        // Past the limit the daemon says why before closing (-32005), so a CLI in a flood does not just see a close.
        #expect(closed == 0, "\(closed) connections closed without an answer")
        let peak = HostileKit.openSockets(of: pid), connected = sockets.count
        sockets.removeAll()
        #expect(try await waitUntil(timeout: .seconds(60)) { HostileKit.openSockets(of: pid) <= socketsBefore + 4 },
                "sockets: \(socketsBefore) before, \(HostileKit.openSockets(of: pid)) after")
        #expect(await stillServes(bed))
        let rssAfter = HostileKit.residentKilobytes(of: pid)
        #expect(rssAfter - rssBefore < Self.rssGrowthLimitKB, "VmRSS \(rssBefore) kB → \(rssAfter) kB")
        print("FAULTS-A socket 1000 clients: \(connected) connected (\(connectFailures) connect failures, \(sendFailures) send failures): "
            + "\(answered) answered, \(errors) told the limit is reached, \(closed) closed without an answer, \(hung) hung; "
            + "sockets \(socketsBefore) → peak \(peak) → \(HostileKit.openSockets(of: pid)); VmRSS \(rssBefore) kB → \(rssAfter) kB")
    }

    /// Clients that vanish mid-line, right after a request, during a long watch, or in the middle of a large line:
    /// nothing leaks (descriptors back to the baseline), the daemon keeps serving.
    @Test func clientsThatVanishMidRequestLeakNothing() async throws {
        let bed = try await makeBed(plan: ["/hang": [["hang": true]]])
        defer { bed.tearDown() }
        let pid = try #require(bed.daemon.pid)
        let incident = try await HostileKit.sendNoWait(bed)
        #expect(await stillServes(bed))
        let socketsBefore = HostileKit.openSockets(of: pid), rssBefore = HostileKit.residentKilobytes(of: pid)
        let watch = #"{"jsonrpc":"2.0","id":1,"method":"incident.watch","params":{"incident":"\#(incident)"}}"# + "\n"
        let halfMegabyte = [UInt8](repeating: UInt8(ascii: "z"), count: 512 * 1024)
        let rounds = 100
        for round in 0..<rounds {
            do {  // half a line, then gone
                let socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
                socket.send(String(Self.statusRequest.prefix(20)))
            }
            do {  // a whole request, gone before the answer
                let socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
                socket.send(#"{"jsonrpc":"2.0","id":1,"method":"audit.verify"}"# + "\n")
            }
            do {  // watching an incident that will not finish (a hanging channel), gone after the first line
                let socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
                socket.send(watch)
                if round % 10 == 0 { _ = await socket.readLine() }
            }
            do {  // half a megabyte of a line, then gone
                let socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
                // More than a socket buffer: the send waits for the daemon to read, off the pool.
                _ = try await offPool { socket.send(halfMegabyte) }
            }
            do {  // half-closes after a request: still gets its answer
                let socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
                socket.send(Self.statusRequest)
                socket.shutdownWrite()
                if round % 10 == 0 {
                    let read = await socket.readLine()
                    if case .line(let line) = read { #expect(HostileKit.Answer(line)?.hasResult == true) } else { #expect(read == .closed) }
                }
            }
        }
        #expect(await stillServes(bed))
        let settled = try await waitUntil(timeout: .seconds(90)) { HostileKit.openSockets(of: pid) <= socketsBefore + 4 }
        #expect(settled, "sockets: \(socketsBefore) before, \(HostileKit.openSockets(of: pid)) after")
        let rssAfter = HostileKit.residentKilobytes(of: pid)
        #expect(rssAfter - rssBefore < Self.rssGrowthLimitKB, "VmRSS \(rssBefore) kB → \(rssAfter) kB")
        #expect(await HostileKit.status(bed, incident)?.deliveries.first { $0.channel == "ops" }?.state == "delivered")
        print("FAULTS-A socket vanishing: \(rounds * 5) clients gone mid-line / before the answer / mid-watch / mid-0.5 MB / half-closed; "
            + "sockets \(socketsBefore) → \(HostileKit.openSockets(of: pid)); VmRSS \(rssBefore) kB → \(rssAfter) kB")
    }

    /// A fixed-length random-bytes run (seeded, so every run sends the same bytes): thirds of pure noise, JSON-ish
    /// token soup and mutated valid requests, one line each. Every line gets a JSON-RPC answer or a clean close.
    /// A client that pipelines requests and never reads the answers fills its socket; the daemon stops writing
    /// into it and, once answers have sat unread for the stalled-write timeout (60 s), closes the connection.
    @Test func aClientThatNeverReadsItsAnswersIsDisconnected() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let pid = try #require(bed.daemon.pid)
        let before = HostileKit.openSockets(of: pid)
        let started = ContinuousClock.now
        let client = try HostileKit.RawSocket(path: bed.daemon.socketPath, readTimeout: 120)
        let request = Array((#"{"jsonrpc":"2.0","id":1,"method":"template.list"}"# + "\n").utf8)
        // The daemon stops reading while its answer cannot be written, so these sends block, then fail once it closes.
        // They block for a minute: on a thread of their own, not one of the test pool's (2 on this machine).
        let sent = await withCheckedContinuation { (done: CheckedContinuation<Int, Never>) in
            Thread {
                var sent = 0
                while sent < 20_000, client.send(request) { sent += 1 }
                done.resume(returning: sent)
            }.start()
        }
        #expect(sent < 20_000, "the daemon kept reading requests whose answers nobody reads")
        #expect(try await waitUntil(timeout: .seconds(150)) { HostileKit.openSockets(of: pid) <= before })
        #expect(await stillServes(bed))
        print("FAULTS-A socket never-reading client: \(sent) requests pipelined, closed by the daemon after \(ContinuousClock.now - started)")
    }

    @Test func aSeededRandomBytesFuzzRunGetsAnswersOrCleanClosesOnly() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let pid = try #require(bed.daemon.pid)
        #expect(await stillServes(bed))
        let rssBefore = HostileKit.residentKilobytes(of: pid), socketsBefore = HostileKit.openSockets(of: pid)
        var random = SeededGenerator(seed: 0x70C5_1A07)
        let totalBytes = 1 << 20
        let seeds = [
            Self.statusRequest,
            #"{"jsonrpc":"2.0","id":1,"method":"incident.preview","params":{"template":"evacuation","variables":{"building":"Pavillon A"},"drill":true}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"incident.status","params":{"incident":"inc_0"}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"audit.log","params":{"limit":5}}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"template.show","params":{"template":"evacuation"}}"#,
        ].map { Array($0.utf8) }
        let tokens = Array(#"{}[]":,\0123456789.eE+-truefalsenull"jsonrpc""id""method""params"\u00"#.utf8)
        var socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
        var sent = 0, cases = 0, answers = 0, results = 0, closes = 0, hangs = 0, garbage = 0, notifications = 0, unanswered = 0
        let sentinel = Array(#"{"jsonrpc":"2.0","id":"fuzz-sentinel","method":"daemon.health"}"#.utf8)
        var codes: [Int: Int] = [:]
        while sent < totalBytes {
            var bytes: [UInt8]
            switch cases % 3 {
            case 0:
                bytes = (0..<Int.random(in: 1...1400, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 1:
                bytes = (0..<Int.random(in: 1...1400, using: &random)).map { _ in tokens.randomElement(using: &random)! }
            default:
                bytes = seeds.randomElement(using: &random)!
                for _ in 0..<Int.random(in: 1...8, using: &random) {
                    let at = Int.random(in: 0..<max(bytes.count, 1), using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0 where !bytes.isEmpty: bytes[at] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes.insert(UInt8.random(in: 0...255, using: &random), at: min(at, bytes.count))
                    default: if !bytes.isEmpty { bytes.remove(at: at) }
                    }
                }
            }
            bytes = bytes.map { $0 == 10 ? 32 : $0 }  // one line per case, so one answer per case
            cases += 1
            sent += bytes.count
            // Each line is followed by a sentinel request: a line whose first answer is the sentinel's got none,
            // which is right only for a notification (a request object without "id", JSON-RPC 2.0).
            if !socket.send(bytes + [10] + sentinel + [10]) {
                closes += 1
                socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
                continue
            }
            switch await socket.readLine() {
            case .line(let line) where Self.idMember(of: line) as? String == "fuzz-sentinel":
                if Self.isNotification(bytes) { notifications += 1 } else { unanswered += 1 }
                continue
            case .line(let line):
                if let answer = HostileKit.Answer(line) {
                    answers += 1
                    if let code = answer.errorCode { codes[code, default: 0] += 1 } else { results += 1 }
                } else {
                    garbage += 1
                }
            case .closed:
                closes += 1
                socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
                continue
            case .timedOut:
                hangs += 1
                socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
                continue
            }
            // The sentinel's own answer.
            if case .line(let line) = await socket.readLine(), Self.idMember(of: line) as? String == "fuzz-sentinel" { continue }
            socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
        }
        #expect(hangs == 0 && garbage == 0 && unanswered == 0)
        #expect(answers + closes + notifications == cases)
        #expect(await stillServes(bed))
        #expect(try await waitUntil(timeout: .seconds(30)) { HostileKit.openSockets(of: pid) <= socketsBefore + 4 })
        let rssAfter = HostileKit.residentKilobytes(of: pid)
        #expect(rssAfter - rssBefore < Self.rssGrowthLimitKB, "VmRSS \(rssBefore) kB → \(rssAfter) kB")
        let verify = try await bed.daemon.ctl("audit", "verify")
        #expect(verify.status == 0, "every fuzz line was audited and the chain holds\n\(verify)")
        print("FAULTS-A socket fuzz: seed 0x70C51A07, \(cases) lines, \(sent) bytes → \(answers) answers "
            + "(\(codes.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")), \(results) results), "
            + "\(notifications) notifications (no answer, as JSON-RPC says), \(closes) clean closes, \(hangs) hangs; VmRSS \(rssBefore) kB → \(rssAfter) kB")
    }

    /// Whether `bytes` is a JSON-RPC notification: a request object with `"jsonrpc": "2.0"`, a string `method`
    /// and no `id` member.
    static func isNotification(_ bytes: [UInt8]) -> Bool {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else { return false }
        return object["jsonrpc"] as? String == "2.0" && object["method"] is String && !object.keys.contains("id")
    }

    // MARK: - Operators first (issue 13, item 3), JSON-RPC as the spec says (item 7)

    /// The daemon's budgets for callers without an operator or approver role (AdmissionControl.Limits).
    static let noRoleConnectionsPerUID = 8
    static let readOnlyConnectionsPerUID = 16

    /// A daemon whose socket `nobody` can reach (0666), in no role or as an auditor (a read-only role).
    private func makeOpenBed(nobodyIn role: String?) async throws -> TestBed {
        let bed = try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.socketMode = "0666"
            if role == "auditor" { config.auditors = ["group:root", "user:nobody"] }
            return config
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))
        return bed
    }

    /// The value of the answer's `id` member (NSNull for `null`), or nil when the member is missing.
    static func idMember(of line: [UInt8]) -> Any? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any], object.keys.contains("id") else { return nil }
        return object["id"] ?? NSNull()
    }

    /// Polls `condition` without blocking the test pool; for waiting on the daemon, never for timing it.
    private func eventually(within limit: Duration = .seconds(30), _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    private func ctl(_ bed: TestBed, _ arguments: [String], as user: String? = nil) async throws -> CommandResult {
        try await bed.daemon.ctl(arguments: arguments, as: user)
    }

    /// 515 idle connections from a caller without an operator or approver role: it holds its per-uid share and no
    /// more, the rest are told the daemon is busy (-32007) and closed, root's `status` and `send` are served all
    /// the while, the caller's own next `tocsinctl` exits 3 saying so, and the refusals are one audit entry.
    @Test(.enabled(if: required(AccessFaultTests.runningAsRoot), "needs root to act as 'nobody' with setpriv"), arguments: [nil, "auditor"] as [String?])
    func idleConnectionsOfALowPrivilegeCallerLeaveRootItsConnections(role: String?) async throws {
        let bed = try await makeOpenBed(nobodyIn: role)
        defer { bed.tearDown() }
        let pid = try #require(bed.daemon.pid)
        let cap = role == nil ? Self.noRoleConnectionsPerUID : Self.readOnlyConnectionsPerUID
        let crowdSize = 515
        let socketsBefore = HostileKit.openSockets(of: pid)
        let crowd = try await CrowdKit.Crowd(socket: bed.daemon.socketPath, user: "nobody", count: crowdSize, bytes: 0)
        #expect(crowd.opened["connected"] as? Int == crowdSize, "\(crowd.opened)")
        let settled = try await eventually { HostileKit.openSockets(of: pid) <= socketsBefore + cap }
        #expect(settled, "nobody holds \(HostileKit.openSockets(of: pid) - socketsBefore) connections; its share is \(cap)")
        // Nobody's own next call is refused for load: exit 3 (the daemon could not be used), and the words say so.
        // Asked first: the crowd's connections are idle, and the daemon closes idle connections after 60 s, which a
        // loaded machine can reach before the steps below are done.
        let more = try await ctl(bed, ["status"], as: "nobody")
        #expect(more.status == 3, "\(more)")
        #expect(more.stderr.contains("try again"), "\(more)")

        // Root, while nobody holds its most: served, a live send included.
        let status = try await ctl(bed, ["status"])
        #expect(status.status == 0, "root's status while a crowd holds its share\n\(status)")
        #expect(try await ctl(bed, ["templates", "approve", "evacuation", "--yes"]).status == 0)
        let send = try await ctl(bed, ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json"])
        #expect(send.status == 0, "root's live send while a crowd holds its share\n\(send)")

        let census = try await crowd.census()
        let codes = census["codes"] as? [String: Int] ?? [:]
        // At most its share is open (fewer once the idle limit closed some on a slow run).
        #expect((census["open"] as? Int).map { $0 <= cap } == true, "\(census)")
        #expect(codes["\(RPCError.busyCode)"] == crowdSize - cap, "every connection past the share was told why: \(census)")
        await crowd.stop()

        // A graceful stop writes the counts: one `admin.refused` entry (two if a minute ended meanwhile).
        await bed.daemon.stop()
        try await bed.daemon.start()
        let entries = try await CrowdKit.refusedEntries(bed, uid: AccessFaultTests.nobodyUID)
        #expect((1...2).contains(entries.count), "\(entries)")
        #expect(entries.reduce(0) { $0 + $1.count } == crowdSize - cap + 1, "\(entries)")
        #expect(try await bed.daemon.ctl("audit", "verify").status == 0)
        print("FAULTS-A socket crowd (\(role ?? "no role")): \(crowdSize) idle connections as nobody → \(census["open"] ?? "?") held, "
            + "\(codes["\(RPCError.busyCode)"] ?? 0) told busy; root status exit \(status.status), live send exit \(send.status); nobody's next tocsinctl exit \(more.status); "
            + "\(entries.count) admin.refused entr\(entries.count == 1 ? "y" : "ies") counting \(entries.reduce(0) { $0 + $1.count })")
    }

    /// 510 connections from a caller without an operator or approver role, each sending 1 MiB without a newline:
    /// what the daemon buffers for them is bounded by their budget, so its memory stays within 64 MB of where it
    /// was, during the flood and after; root is served meanwhile.
    @Test(.enabled(if: required(AccessFaultTests.runningAsRoot), "needs root to act as 'nobody' with setpriv"), arguments: [nil, "auditor"] as [String?])
    func megabyteLinesOfALowPrivilegeCallerAreBoundedByItsBudget(role: String?) async throws {
        let bed = try await makeOpenBed(nobodyIn: role)
        defer { bed.tearDown() }
        let pid = try #require(bed.daemon.pid)
        #expect(await stillServes(bed))
        let socketsBefore = HostileKit.openSockets(of: pid), rssBefore = HostileKit.residentKilobytes(of: pid)
        let crowd = try await CrowdKit.Crowd(socket: bed.daemon.socketPath, user: "nobody", count: 510, bytes: 1 << 20)
        let rssDuring = HostileKit.residentKilobytes(of: pid)
        let status = try await ctl(bed, ["status"])
        #expect(status.status == 0, "\(status)")
        let census = try await crowd.census()
        await crowd.stop()
        #expect(try await eventually { HostileKit.openSockets(of: pid) <= socketsBefore + 4 })
        let rssAfter = HostileKit.residentKilobytes(of: pid)
        #expect(rssDuring - rssBefore < Self.rssGrowthLimitKB, "VmRSS \(rssBefore) kB → \(rssDuring) kB with 510 MiB offered")
        #expect(rssAfter - rssBefore < Self.rssGrowthLimitKB, "VmRSS \(rssBefore) kB → \(rssAfter) kB after the crowd left")
        #expect(await stillServes(bed))
        print("FAULTS-A socket 510×1MiB (\(role ?? "no role")): \(crowd.opened) then \(census); "
            + "VmRSS \(rssBefore) kB → \(rssDuring) kB during → \(rssAfter) kB after")
    }

    /// Part of a line, then silence: the 10 s limit is a timer, so the error comes (with `"id": null`) and the
    /// connection closes without waiting for another byte or the 60 s idle limit.
    @Test func aPartialLineThenSilenceGetsTheTimeoutErrorThenAClose() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        // 45 s: a ceiling under the 60 s idle limit, so only the 10 s timer can answer in time.
        let socket = try HostileKit.RawSocket(path: bed.daemon.socketPath, readTimeout: 45)
        socket.send(String(Self.statusRequest.prefix(20)))
        let started = ContinuousClock.now
        let (first, second) = try await offPool { (socket.readLineBlocking(), socket.readLineBlocking()) }
        let waited = ContinuousClock.now - started
        guard case .line(let line) = first else {
            Issue.record("no answer within 45 s of a stalled partial line: \(first)")
            return
        }
        let answer = HostileKit.Answer(line)
        #expect(answer?.errorCode == RPCError.invalidRequestCode && answer?.message.contains("within 10 s") == true, "\(String(decoding: line, as: UTF8.self))")
        #expect(Self.idMember(of: line) is NSNull, "\(String(decoding: line, as: UTF8.self))")
        #expect(second == .closed)
        #expect(await stillServes(bed))
        print("FAULTS-A socket stalled partial line: \(answer?.message ?? "?") after \(waited), then closed")
    }

    /// 10,000 unknown-method requests from a caller in no role: every one answered (-32601), none audited one by
    /// one; the audit log gets one `admin.refused` entry per minute with the count.
    @Test(.enabled(if: required(AccessFaultTests.runningAsRoot), "needs root to act as 'nobody' with setpriv"))
    func refusedRequestsOfACallerInNoRoleAreAuditedAsOneCountPerMinute() async throws {
        let bed = try await makeOpenBed(nobodyIn: nil)
        defer { bed.tearDown() }
        let flood = try await CrowdKit.flood(socket: bed.daemon.socketPath, user: "nobody", count: 10_000)
        #expect((flood["codes"] as? [String: Int])?["\(RPCError.methodNotFoundCode)"] == 10_000, "\(flood)")
        await bed.daemon.stop()
        try await bed.daemon.start()
        #expect(try await CrowdKit.requestEntries(bed, uid: AccessFaultTests.nobodyUID) == 0, "no entry per refused request")
        let entries = try await CrowdKit.refusedEntries(bed, uid: AccessFaultTests.nobodyUID)
        #expect((1...2).contains(entries.count), "one entry per minute: \(entries)")
        #expect(entries.reduce(0) { $0 + $1.count } == 10_000)
        #expect(Set(entries.flatMap(\.reasons.keys)) == ["method-not-found"], "\(entries)")
        #expect(try await bed.daemon.ctl("audit", "verify").status == 0)
        print("FAULTS-A socket 10000 refused requests (no role): \(entries.count) admin.refused entr\(entries.count == 1 ? "y" : "ies"), counts \(entries.map(\.count))")
    }

    /// Notifications (no `id`) are run but never answered; `"id": null` is a request, answered with `"id": null`;
    /// a batch is -32600, as JSON-RPC 2.0 says for a server without batches.
    @Test func notificationsGetNoAnswerAndBatchesAreInvalidRequests() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
        socket.send(#"{"jsonrpc":"2.0","method":"daemon.status"}"# + "\n")
        socket.send(#"{"jsonrpc":"2.0","method":"no.such.method","params":{}}"# + "\n")
        socket.send(#"{"jsonrpc":"2.0","id":9,"method":"daemon.status"}"# + "\n")
        guard case .line(let first) = await socket.readLine() else { Issue.record("no answer at all"); return }
        #expect(Self.idMember(of: first) as? Int == 9, "the first answer is the request's, not a notification's: \(String(decoding: first.prefix(200), as: UTF8.self))")

        socket.send(#"{"jsonrpc":"2.0","id":null,"method":"daemon.status"}"# + "\n")
        guard case .line(let nullID) = await socket.readLine() else { Issue.record("no answer to id null"); return }
        #expect(HostileKit.Answer(nullID)?.hasResult == true)
        #expect(Self.idMember(of: nullID) is NSNull)

        socket.send("[\(Self.statusRequest),\(Self.statusRequest)]\n")
        guard case .line(let batch) = await socket.readLine() else { Issue.record("no answer to a batch"); return }
        let answer = HostileKit.Answer(batch)
        #expect(answer?.errorCode == RPCError.invalidRequestCode && answer?.message.contains("batch") == true, "\(String(decoding: batch, as: UTF8.self))")
        #expect(Self.idMember(of: batch) is NSNull)
        #expect(await stillServes(bed))
    }

    /// A preview with 60,000 unknown variables: the problem list is capped (20 and a count of the rest), not 5 MB.
    @Test func aLongProblemListIsCappedWithACount() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let variables = (0..<60_000).map { #""v\#($0)":"x""# }.joined(separator: ",")
        let request = #"{"jsonrpc":"2.0","id":1,"method":"incident.preview","params":{"template":"evacuation","drill":true,"variables":{"#
            + variables + "}}}"
        let socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
        socket.send(request + "\n")
        guard case .line(let line) = await socket.readLine() else { Issue.record("no answer"); return }
        let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        let problems = (error?["data"] as? [String: Any])?["problems"] as? [String] ?? []
        #expect(error?["code"] as? Int == RPCError.validationCode)
        #expect(problems.count == 21, "20 problems and the count of the rest: \(problems.count)")
        #expect(problems.last?.hasPrefix("… and ") == true && problems.last?.hasSuffix(" more") == true, "\(problems.last ?? "")")
        #expect(line.count < 32 * 1024, "answer of \(line.count) bytes")
        print("FAULTS-A socket 60000 unknown variables: \(problems.count) problems listed (\(problems.last ?? "")), answer \(line.count) bytes")
    }
}

/// A list several threads append to.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ item: String) { lock.withLock { storage.append(item) } }
    var items: [String] { lock.withLock { storage } }
}
