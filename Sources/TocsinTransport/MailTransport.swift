public import TocsinRequests

/// Sends e-mail; `CurlTransport` implements it with libcurl's SMTP support on the same transfer thread.
public protocol MailTransport: Sendable {
    func send(_ mail: MailRequest) async -> Result<MailResponse, TransportError>
}

/// Everything the dispatcher sends through.
public typealias Transport = HTTPTransport & MailTransport
