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
    /// The receiver's TLS certificate expiry, when this attempt made a handshake.
    var certificateExpiry: Date?
}

/// Carries out one outbound request of a delivery and classifies what came back.
struct AttemptRunner {
    let transport: any Transport

    /// - Returns: nil when the attempt was cancelled (shutdown): nothing happened that needs recording.
    func perform(_ outbound: OutboundRequest, endpoint: any ChannelEndpoint) async -> AttemptResult? {
        // Everything below may hold words a service echoed back (fault suite, SecretScanTests): Telegram's
        // description names `bot<token>`, a Graph API error quotes the access token sent in the form body, a 401
        // body repeats the token of an `Authorization: Bearer …` header. The request-based redaction only knows
        // whole header values and URL parts, so the channel's own secrets are masked here as well, before the
        // text reaches the delivery row, the audit log, the CLI or the logs.
        guard var result = await attempt(outbound, endpoint: endpoint) else { return nil }
        // A delivery without an answer to keep has nothing to mask (most of a fan-out): skip building the redactor.
        if case .delivered = result.outcome, result.answer == nil { return result }
        let redactor = ChannelSecretRedactor(endpoint.definition)
        result.outcome = redactor.redact(result.outcome)
        result.answer = result.answer.map(redactor.redact)
        return result
    }

    private func attempt(_ outbound: OutboundRequest, endpoint: any ChannelEndpoint) async -> AttemptResult? {
        switch outbound {
        case .http(let request):
            switch await transport.send(request) {
            case .success(let response):
                let outcome = endpoint.interpret(response, at: Date())
                var result = AttemptResult(outcome: outcome, status: response.status, latency: response.latency)
                result.certificateExpiry = response.certificateExpiry
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

/// Masks a channel's configured secrets in text about an attempt: each secret value, its percent-encoded form,
/// the long words of a header value (the token of `Bearer …`) and the long path parts of a secret URL, longest first.
struct ChannelSecretRedactor {
    private let redactor: SecretRedactor

    init(_ definition: ChannelDefinition) {
        var candidates: [String] = []
        for value in definition.secrets.values.map({ $0.reveal() }) + definition.headers.map({ $0.value.reveal() }) {
            candidates.append(value)
            if let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { candidates.append(encoded) }
            if let scheme = value.range(of: "://") {
                // A URL that is itself the credential (a Slack or Discord webhook): its long path and query parts,
                // not its host, which is needed to read a connection error and is shown by `channels list` anyway.
                let afterHost = value[scheme.upperBound...].drop { $0 != "/" }
                candidates += afterHost.split(whereSeparator: { "/?&=#".contains($0) }).map(String.init).filter { $0.count >= 16 }
            } else {
                // The words of a header value (`Bearer <token>`) long enough to be a token, never a word like "Bearer".
                candidates += value.split(whereSeparator: { " \t,;\"".contains($0) }).map(String.init).filter { $0.count >= 8 }
            }
        }
        redactor = SecretRedactor(candidates: candidates)
    }

    func redact(_ text: String) -> String { redactor.redact(text) }

    func redact(_ outcome: AttemptOutcome) -> AttemptOutcome {
        switch outcome {
        case .delivered: .delivered
        case .retryable(let reason, let retryAfter): .retryable(reason: redact(reason), retryAfter: retryAfter)
        case .permanent(let reason, let misconfiguration): .permanent(reason: redact(reason), misconfiguration: misconfiguration)
        }
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
