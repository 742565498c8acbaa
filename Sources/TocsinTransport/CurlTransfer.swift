import CCurl

/// One request's easy handle and the response being collected, owned by the transfer thread.
///
/// A fresh easy handle per transfer rather than a pool of reset ones: in multi mode the connection
/// cache and DNS cache live in the multi handle, so a pool would save one allocation per request
/// (microseconds against a network round trip) and could carry options over between transfers.
final class CurlTransfer {
    let id: UInt64
    /// The `CURL *`; only touched on the transfer thread.
    let easy: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let redactor: SecretRedactor
    private var responseHeaders: [HTTPHeader] = []
    private var responseBody: [UInt8] = []

    private init(id: UInt64, easy: UnsafeMutableRawPointer, redactor: SecretRedactor) {
        self.id = id
        self.easy = easy
        self.redactor = redactor
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        // Runs on the transfer thread once the loop drops its references, after removal from the multi.
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Creates an easy handle configured for `request`, or the reason it cannot be sent.
    static func make(
        id: UInt64,
        request: HTTPRequest,
        options: CurlTransport.Options
    ) -> Result<CurlTransfer, TransportError> {
        let method = request.method.uppercased()
        guard !method.isEmpty, method.utf8.allSatisfy(HTTPHeader.isTokenByte) else {
            return .failure(TransportError(kind: .other, message: "invalid HTTP method"))
        }
        if let bad = request.headers.first(where: { !$0.isValidForRequest }) {
            // The name is not a secret; the value may be, so it stays out.
            let name = bad.name.utf8.allSatisfy(HTTPHeader.isTokenByte) ? bad.name : "<unprintable>"
            return .failure(TransportError(kind: .other, message: "invalid header field \(name)"))
        }
        guard let easy = curl_easy_init() else {
            return .failure(TransportError(kind: .other, curlCode: 27, message: "curl_easy_init failed"))
        }
        let transfer = CurlTransfer(id: id, easy: easy, redactor: SecretRedactor(request: request))
        let code = transfer.configure(request: request, method: method, options: options)
        guard code == CURLE_OK else {
            return .failure(transfer.error(code: code, latency: .zero))
        }
        return .success(transfer)
    }

    /// Applies every option; returns the first failure (e.g. an out-of-memory or unknown protocol list).
    private func configure(request: HTTPRequest, method: String, options: CurlTransport.Options) -> CURLcode {
        var codes: [CURLcode] = []
        func long(_ option: CURLoption, _ value: Int) { codes.append(tocsin_curl_easy_setopt_long(easy, option, value)) }
        func string(_ option: CURLoption, _ value: String) {
            codes.append(tocsin_curl_easy_setopt_string(easy, option, value))
        }

        let userdata = Unmanaged.passUnretained(self).toOpaque()
        codes.append(tocsin_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        string(CURLOPT_URL, request.url)
        // Signals are not thread-safe; without this curl uses SIGALRM for DNS timeouts.
        long(CURLOPT_NOSIGNAL, 1)
        long(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout))
        long(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(options.connectTimeout))
        // A redirect is the receiver's answer; following it could send the payload somewhere unvetted.
        long(CURLOPT_FOLLOWLOCATION, 0)
        string(CURLOPT_PROTOCOLS_STR, options.allowedProtocols)
        string(CURLOPT_REDIR_PROTOCOLS_STR, options.allowedProtocols)
        long(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        string(CURLOPT_USERAGENT, options.userAgent)
        // No CURLOPT_ACCEPT_ENCODING: bodies stay raw, so the 64 KiB cap counts wire bytes.

        codes.append(tocsin_curl_easy_setopt_write_function(easy) { data, size, count, userdata in
            let total = size * count
            if let data, let userdata {
                Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
                    .receiveBody(UnsafeRawBufferPointer(start: data, count: total))
            }
            return total  // Anything else aborts the transfer; excess bytes are dropped, not refused.
        })
        codes.append(tocsin_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, userdata))
        codes.append(tocsin_curl_easy_setopt_header_function(easy) { data, size, count, userdata in
            let total = size * count
            if let data, let userdata {
                Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
                    .receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: total))
            }
            return total
        })
        codes.append(tocsin_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, userdata))

        // An empty `Expect:` stops curl from waiting for `100 Continue` on larger bodies (a round trip).
        var lines = ["Expect:"]
        for header in request.headers {
            // `Name:` would make curl drop the header; `Name;` sends it with an empty value.
            lines.append(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        for line in lines {
            guard let list = curl_slist_append(headerList, line) else { return CURLE_OUT_OF_MEMORY }
            headerList = list
        }
        codes.append(tocsin_curl_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, headerList))

        if let auth = request.basicAuth {
            string(CURLOPT_USERNAME, auth.user)
            string(CURLOPT_PASSWORD, auth.password)
        }

        if (method == "GET" || method == "HEAD") && request.body.isEmpty {
            if method == "HEAD" { long(CURLOPT_NOBODY, 1) }
        } else {
            // Every other method sends its body (possibly empty, so `Content-Length: 0` goes out).
            codes.append(tocsin_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            // COPYPOSTFIELDS because the Swift buffer's pointer is valid only inside this closure.
            let copied = request.body.withUnsafeBytes { bytes in
                withUnsafePointer(to: UInt8(0)) { empty in
                    tocsin_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, bytes.baseAddress ?? UnsafeRawPointer(empty))
                }
            }
            codes.append(copied)
            if method != "POST" { string(CURLOPT_CUSTOMREQUEST, method) }
        }
        return codes.first { $0 != CURLE_OK } ?? CURLE_OK
    }

    /// Keeps the first ``HTTPResponse/bodyLimit`` bytes.
    private func receiveBody(_ bytes: UnsafeRawBufferPointer) {
        let room = HTTPResponse.bodyLimit - responseBody.count
        guard room > 0 else { return }
        responseBody.append(contentsOf: bytes.prefix(room))
    }

    /// Collects one header line; a status line starts over, so only the final response's fields remain.
    private func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        var line = bytes[...]
        while let last = line.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: "\n") {
            line = line.dropLast()
        }
        if line.starts(with: "HTTP/".utf8) {
            responseHeaders.removeAll(keepingCapacity: true)
            return
        }
        guard let first = line.first else { return }
        if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            // Obsolete line folding: a continuation of the previous field's value.
            if !responseHeaders.isEmpty {
                responseHeaders[responseHeaders.count - 1].value += " " + Self.trimmed(line)
            }
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
        responseHeaders.append(HTTPHeader(name, Self.trimmed(line[(colon + 1)...])))
    }

    /// The outcome once curl reports the transfer done.
    func finish(code: CURLcode) -> Result<HTTPResponse, TransportError> {
        var micros: curl_off_t = 0
        _ = tocsin_curl_easy_getinfo_off_t(easy, CURLINFO_TOTAL_TIME_T, &micros)
        let latency = Duration.microseconds(micros)
        guard code == CURLE_OK else { return .failure(error(code: code, latency: latency)) }
        var status = 0
        _ = tocsin_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: responseHeaders, body: responseBody, latency: latency))
    }

    /// curl's detailed error text if it wrote one, its generic text otherwise, with secrets removed.
    private func error(code: CURLcode, latency: Duration) -> TransportError {
        var text = String(cString: errorBuffer)
        while text.last?.isNewline == true { text.removeLast() }
        if text.isEmpty { text = String(cString: curl_easy_strerror(code)) }
        return TransportError(
            kind: TransportError.Kind(curlCode: code),
            curlCode: Int32(bitPattern: code.rawValue),
            message: redactor.redact(text),
            latency: latency
        )
    }

    private static func trimmed(_ bytes: some Collection<UInt8>) -> String {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let start = bytes.drop(while: isBlank)
        let end = start.reversed().drop(while: isBlank).count
        return String(decoding: start.prefix(end), as: UTF8.self)
    }

    /// Whole milliseconds, rounded up and at least 1, because 0 means "no timeout" to curl.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds < Int64.max / 2000 else { return Int.max }
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(max(1, millis))
    }
}
