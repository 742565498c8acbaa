extension CurlTransport: MailTransport {
    /// SMTP through libcurl. Not implemented yet: every e-mail fails as a configuration problem.
    public func send(_ mail: MailRequest) async -> Result<MailResponse, TransportError> {
        .failure(TransportError(kind: .other, curlCode: 1, message: "e-mail delivery is not implemented in this build"))
    }
}
