public import TocsinRequests
extension CurlTransport: MailTransport {
    /// Sends one e-mail over SMTP on the same transfer thread and multi handle as HTTP.
    ///
    /// Cancelling the calling task aborts the transfer and returns `.cancelled` at once. A refusal by the server
    /// (`MAIL FROM`, `RCPT TO` or the message answered with 4xx or 5xx) is a success at this level, carrying the
    /// server's code, as an HTTP 4xx is: the server answered. A rejected login is a ``TransportError`` for which
    /// ``TransportError/isConfigurationError`` is true.
    /// - Parameter mail: The envelope and message; its URL and credentials never appear in errors.
    /// - Returns: The server's last reply code, or the reason there is none.
    public func send(_ mail: MailRequest) async -> Result<MailResponse, TransportError> {
        await perform(.mail(mail)).mail
    }
}
