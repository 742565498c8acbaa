import Foundation
import Synchronization
import TocsinChannels
import TocsinCore
import TocsinTransport

/// What one attempt came to: the outcome for the retry policy, and what to record of the service's answer.
struct AttemptResult: Sendable {
    var outcome: AttemptOutcome
    var status: Int?
    var latency: Duration = .zero
    /// The start of the service's answer when it was not a success, secrets masked.
    var answer: String?
}

/// Carries out one outbound request of a delivery and classifies what came back.
struct AttemptRunner {
    let transport: any Transport

    /// - Returns: nil when the attempt was cancelled (shutdown): nothing happened that needs recording.
    func perform(_ outbound: OutboundRequest, endpoint: any ChannelEndpoint) async -> AttemptResult? {
        switch outbound {
        case .http(let request):
            switch await transport.send(request) {
            case .success(let response):
                let outcome = endpoint.interpret(response, at: Date())
                var result = AttemptResult(outcome: outcome, status: response.status, latency: response.latency)
                // A service (or a proxy) may echo the request: mask its secrets before the answer is kept anywhere.
                if case .delivered = outcome {} else { result.answer = Self.excerpt(response.body).map(request.redacting) }
                return result
            case .failure(let error):
                return classify(error)
            }
        case .mail(let mail):
            switch await transport.send(mail) {
            case .success(let response):
                return AttemptResult(outcome: endpoint.interpret(mail: response, at: Date()), status: response.code, latency: response.latency)
            case .failure(let error):
                return classify(error)
            }
        case .file(let drop):
            let clock = ContinuousClock.now
            do {
                try FileDropper.write(drop)
                return AttemptResult(outcome: .delivered, latency: ContinuousClock.now - clock)
            } catch {
                return AttemptResult(outcome: .retryable(reason: "\(error)", retryAfter: nil), latency: ContinuousClock.now - clock)
            }
        }
    }

    private func classify(_ error: TransportError) -> AttemptResult? {
        if error.kind == .cancelled { return nil }
        if error.isConfigurationError {
            return AttemptResult(
                outcome: .permanent(reason: "the request cannot be sent: \(error.description); check the channel's configuration", misconfiguration: true),
                latency: error.latency
            )
        }
        return AttemptResult(outcome: .retryable(reason: error.description, retryAfter: nil), latency: error.latency)
    }

    /// The start of a service's answer body, printable and short, for the attempt record.
    static func excerpt(_ body: [UInt8]) -> String? {
        guard !body.isEmpty else { return nil }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
            .map { $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true ? " " : String($0) }.joined()
        return text.trimmingCharacters(in: .whitespaces).isEmpty ? nil : text
    }
}

/// Writes files into a folder, each atomically: a reader (a web server publishing a feed) never sees half of one.
enum FileDropper {
    /// One lock for every drop, so a derived file (a feed index) is computed from what the previous drop left,
    /// never from the same old state as a concurrent one. Drops are rare and small: serialising them costs nothing.
    private static let lock = Mutex(())

    static func write(_ drop: FileDrop) throws {
        try lock.withLock { _ in
            let folder = URL(fileURLWithPath: drop.folder, isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for file in drop.files {
                try Data(file.contents).write(to: folder.appendingPathComponent(file.name), options: .atomic)
            }
            for file in try drop.derived?(drop.folder) ?? [] {
                try Data(file.contents).write(to: folder.appendingPathComponent(file.name), options: .atomic)
            }
        }
    }
}
