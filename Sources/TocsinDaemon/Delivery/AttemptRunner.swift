import Foundation
import Synchronization
import TocsinChannels
import TocsinCore
import TocsinRequests
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
    /// The service's own id for the accepted message (``ProviderReceipt``); never one that holds a channel secret.
    var receipt: String?
    /// What the acceptance means in words ("accepted by Twilio (SM…)"), for a delivered attempt.
    var acceptance: String?
}

/// Carries out one outbound request of a delivery and classifies what came back.
struct AttemptRunner {
    let transport: any Transport

    /// - Returns: nil when the attempt was cancelled (shutdown): nothing happened that needs recording.
    func perform(_ outbound: OutboundRequest, endpoint: any ChannelEndpoint) async -> AttemptResult? {
        // Everything below may hold words a service echoed back (fault suite, SecretScanTests): a 401 page quoting
        // the `Authorization` header (`Basic <base64 of AC…:token>`), Telegram's description naming `bot<token>`, a
        // Graph API error quoting the form body. So the reason and the answer are masked here, in one place, for the
        // channel's own secrets and the request's credentials, before they reach the delivery row, the audit log,
        // the CLI or the logs, and only then cut to length.
        guard var result = await attempt(outbound, endpoint: endpoint) else { return nil }
        if case .delivered = result.outcome {
            // A receipt is an id and nothing else (ProviderReceipt keeps only short id-like text); one that holds a
            // channel secret — a hostile api_base echoing the token back as its "id" — is dropped, not masked.
            if let receipt = result.receipt, ChannelSecretRedactor(endpoint.definition).redact(receipt) != receipt {
                result.receipt = nil
            }
            result.acceptance = ProviderReceipt.acceptance(of: endpoint.definition.type, id: result.receipt)
            // A delivery without an answer to keep has nothing to mask (most of a fan-out): skip building the redactor.
            if result.answer == nil { return result }
        }
        let redactor = ChannelSecretRedactor(endpoint.definition, request: outbound)
        result.outcome = redactor.redact(result.outcome)
        result.answer = result.answer.map { Self.capped(redactor.redact($0), to: Self.answerLength) }
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
                // Unmasked and uncut here: `perform` masks it before it is kept anywhere, then cuts it.
                if case .delivered = outcome { result.receipt = endpoint.receipt(response) } else { result.answer = Self.answerText(response.body) }
                return result
            case .failure(let error):
                return classify(error)
            }
        case .mail(let mail):
            switch await transport.send(mail) {
            case .success(let response):
                var result = AttemptResult(outcome: endpoint.interpret(mail: response, at: Date()), status: response.code, latency: response.latency)
                if case .delivered = result.outcome { result.receipt = endpoint.receipt(mail: response) }
                return result
            case .failure(let error):
                return classify(error)
            }
        case .file(let drop):
            let clock = ContinuousClock.now
            do {
                try await BlockingIO.run { try FileDropper.write(drop) }
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

    /// How much of a service's answer is kept (characters, after masking).
    static let answerLength = 300
    /// How much of a failure's reason is kept: a service's own words are already cut by the adapters (160).
    static let reasonLength = 1_000
    /// How much of an answer is read for masking: more than is kept, so a secret is masked whole before the cut.
    static let answerReadLength = 4_096

    /// The start of a service's answer body, on one line with control characters as spaces; nil when blank.
    static func answerText(_ body: [UInt8]) -> String? {
        guard !body.isEmpty else { return nil }
        let text = String(decoding: body.prefix(answerReadLength), as: UTF8.self)
            .map { $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true ? " " : String($0) }.joined()
        return text.trimmingCharacters(in: .whitespaces).isEmpty ? nil : text
    }

    /// `text` cut to `limit` characters and marked `…`, never inside a placeholder (which would read as text).
    static func capped(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        var cut = text.index(text.startIndex, offsetBy: limit)
        let placeholder = SecretRedactor.placeholder
        let lookBack = text.index(cut, offsetBy: -(placeholder.count - 1), limitedBy: text.startIndex) ?? text.startIndex
        if let open = text[lookBack..<cut].lastIndex(of: "<"), text[open...].hasPrefix(placeholder),
            text.distance(from: open, to: cut) < placeholder.count
        {
            cut = open
        }
        return String(text[..<cut]) + "…"
    }
}

/// Masks, in text about an attempt, the channel's configured secrets (each secret setting and header value) and
/// the credentials of the request sent (its URL's path and query, its non-public headers, its Basic password), in
/// every form ``SecretRedactor`` knows; reasons are cut to length after masking.
struct ChannelSecretRedactor {
    private let redactor: SecretRedactor

    init(_ definition: ChannelDefinition, request: OutboundRequest? = nil) {
        var secrets = definition.secrets.values.map { $0.reveal() } + definition.headers.map { $0.value.reveal() }
        switch request {
        case .http(let http): secrets += http.secretValues
        case .mail(let mail): secrets += mail.secretValues
        case .file, nil: break
        }
        redactor = SecretRedactor(secrets: secrets)
    }

    func redact(_ text: String) -> String { redactor.redact(text) }

    func redact(_ outcome: AttemptOutcome) -> AttemptOutcome {
        func clean(_ reason: String) -> String { AttemptRunner.capped(redact(reason), to: AttemptRunner.reasonLength) }
        return switch outcome {
        case .delivered: .delivered
        case .retryable(let reason, let retryAfter): .retryable(reason: clean(reason), retryAfter: retryAfter)
        case .permanent(let reason, let misconfiguration): .permanent(reason: clean(reason), misconfiguration: misconfiguration)
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
