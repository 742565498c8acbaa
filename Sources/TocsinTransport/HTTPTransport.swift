public import TocsinRequests
/// Sends HTTP requests; the boundary between delivery logic and the network.
///
/// ``CurlTransport`` is the production implementation; tests substitute fakes.
public protocol HTTPTransport: Sendable {
    /// Sends one request and waits for the final response.
    ///
    /// Never throws: every failure, including cancellation of the calling task, comes back as a
    /// ``TransportError``. Any HTTP status, including 4xx, 5xx and 3xx, is a success at this level.
    /// - Parameter request: The request; its URL and header values are treated as secrets.
    /// - Returns: The response, or the reason no response was obtained.
    func send(_ request: HTTPRequest) async -> Result<HTTPResponse, TransportError>
}
