import TocsinRequests
/// A transfer as handed to the transfer thread: HTTP and SMTP share the thread, the multi handle and the queue.
enum CurlJob: Sendable {
    case http(HTTPRequest)
    case mail(MailRequest)
}

/// What a finished transfer produced; always the same kind as its ``CurlJob``.
enum CurlReply: Sendable {
    case http(HTTPResponse)
    case mail(MailResponse)
}

extension Result<CurlReply, TransportError> {
    /// The HTTP response of an `.http` job.
    var http: Result<HTTPResponse, TransportError> {
        flatMap { reply in
            if case .http(let response) = reply { return .success(response) }
            return .failure(TransportError(kind: .other, message: "internal error: an HTTP transfer produced a mail reply"))
        }
    }

    /// The SMTP answer of a `.mail` job.
    var mail: Result<MailResponse, TransportError> {
        flatMap { reply in
            if case .mail(let response) = reply { return .success(response) }
            return .failure(TransportError(kind: .other, message: "internal error: a mail transfer produced an HTTP reply"))
        }
    }
}
