import CCurl
import Foundation
import Glibc
import Synchronization
public import TocsinRequests

/// The production ``HTTPTransport`` and ``MailTransport``: libcurl's multi interface on one dedicated thread.
///
/// One multi handle serves every request, HTTP and SMTP alike, so connections (and HTTP/2 streams) are reused across
/// transfers and a fan-out to many receivers runs concurrently without a thread per request.
/// A slow receiver delays nobody else: each transfer has its own timeout.
public final class CurlTransport: HTTPTransport, Sendable {
    /// Connection and protocol limits shared by all transfers.
    public struct Options: Sendable {
        /// Most open connections to one host (`CURLMOPT_MAX_HOST_CONNECTIONS`); more transfers queue.
        public var maxHostConnections: Int
        /// Most open connections overall (`CURLMOPT_MAX_TOTAL_CONNECTIONS`).
        public var maxTotalConnections: Int
        /// Limit for establishing a connection, including TLS (`CURLOPT_CONNECTTIMEOUT_MS`).
        public var connectTimeout: Duration
        /// The `User-Agent` header value.
        public var userAgent: String
        /// Comma-separated schemes curl may use for HTTP requests and redirects (`CURLOPT_PROTOCOLS_STR`).
        /// Mail transfers always get `smtp,smtps` instead, so neither kind can be steered into the other.
        public var allowedProtocols: String
        /// Which proxy HTTP requests use; mail transfers never use one.
        public var proxy: Proxy

        /// Creates options; the defaults suit a fan-out to a few dozen receivers.
        public init(
            maxHostConnections: Int = 32,
            maxTotalConnections: Int = 256,
            connectTimeout: Duration = .seconds(5),
            userAgent: String = "tocsin/0.1",
            allowedProtocols: String = "http,https",
            proxy: Proxy = .none
        ) {
            self.maxHostConnections = maxHostConnections
            self.maxTotalConnections = maxTotalConnections
            self.connectTimeout = connectTimeout
            self.userAgent = userAgent
            self.allowedProtocols = allowedProtocols
            self.proxy = proxy
        }
    }

    /// A proxy choice for HTTP requests. libcurl reads `http_proxy`, `https_proxy` and `ALL_PROXY` from the
    /// environment unless `CURLOPT_PROXY` is set, so "no proxy" has to be said explicitly.
    public enum Proxy: Sendable, Hashable, CustomStringConvertible {
        /// Direct connections whatever the environment says (`CURLOPT_PROXY` set to "").
        case none
        /// libcurl's own reading of the environment variables.
        case environment
        /// This proxy URL for every HTTP request (`CURLOPT_PROXY`), and no `NO_PROXY` exceptions from the
        /// environment (`CURLOPT_NOPROXY` set to ""). It may carry credentials: never logged.
        case url(String)

        public var description: String {
            switch self {
            case .none: "none"
            case .environment: "environment"
            case .url: "url(<redacted>)"
            }
        }
    }

    /// `curl_global_init` must precede any other curl use, once per process: the first transfer thread runs it, first
    /// thing (`static let`: once, whatever the number of transports). Other threads run meanwhile, which Debian's
    /// libcurl allows (built thread-safe since 7.84) as OpenSSL 3 does (its initialisation runs once, locked).
    private static let globalInit: Void = {
        _ = curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    private let queue = CurlSubmissionQueue()
    private let options: Options
    private let threadStarted = Atomic(false)

    /// Prepares the transport; the transfer thread, which owns one curl multi handle until ``shutdown()``, starts
    /// with the first transfer.
    ///
    /// Lazily because `curl_global_init` initialises OpenSSL, which maps ~2 MB of libcrypto that a daemon idling for
    /// months would hold for nothing; the first transfer after each start pays it (~0.6 ms warm, BENCHMARKS.md
    /// "7 December, evening").
    /// - Parameter options: Connection limits and protocol settings.
    public init(options: Options = .init()) {
        self.options = options
    }

    deinit {
        // No send can be in flight here (each holds `self`), so this only stops the thread.
        shutdown()
    }

    /// Sends one request on the transfer thread and waits for the final response.
    ///
    /// Cancelling the calling task aborts the transfer and returns `.cancelled` at once.
    /// - Parameter request: The request; its URL, header values and credentials never appear in errors.
    /// - Returns: The response (any status), or the reason there is none.
    public func send(_ request: HTTPRequest) async -> Result<HTTPResponse, TransportError> {
        await perform(.http(request)).http
    }

    /// Runs one transfer of either kind on the transfer thread; cancelling the caller aborts it.
    func perform(_ job: CurlJob) async -> Result<CurlReply, TransportError> {
        startThreadOnce()
        let queue = self.queue
        let id = queue.makeID()
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                queue.submit(id: id, job: job, continuation: continuation)
                // The handler below does nothing if it ran before `submit` registered the waiter.
                if Task.isCancelled { queue.cancel(id: id) }
            }
        } onCancel: {
            queue.cancel(id: id)
        }
    }

    /// Starts the transfer thread at the first transfer; transfers queued before the thread publishes its multi
    /// handle are taken at its first drain.
    private func startThreadOnce() {
        // A send after shutdown is refused by the queue: no thread, no OpenSSL for it.
        guard !threadStarted.load(ordering: .acquiring), !queue.isClosed,
              threadStarted.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        let (queue, options) = (self.queue, self.options)
        let thread = Thread {
            Self.nameThisThread("tocsin-curl")
            Self.globalInit
            CurlMultiLoop.run(queue: queue, options: options)
        }
        thread.start()
    }

    /// Names the calling thread as `top -H`, `perf` and `/proc` show it. Foundation's `Thread.name` did not reach the
    /// kernel (the thread kept the name of whichever pool thread sent first), and `pthread_setname_np` is not
    /// visible from Swift's Glibc module: the kernel's own file does it.
    private static func nameThisThread(_ name: String) {
        let file = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard file >= 0 else { return }
        _ = name.withCString { write(file, $0, strlen($0)) }
        close(file)
    }

    /// Stops the transfer thread; pending and later sends complete with `.cancelled`. Idempotent.
    public func shutdown() {
        queue.close(reason: CurlSubmissionQueue.cancelled("transport shut down"))
    }
}
