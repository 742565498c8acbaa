import CCurl
import Foundation
import TocsinRequests

/// Easy handles of finished transfers, reset and kept for the next ones; used on the transfer thread only.
///
/// `curl_easy_init` and `curl_easy_cleanup` were ~14,000 instructions a request (callgrind, 100-channel send); `curl_easy_reset` puts every option back to its default, so nothing of a
/// transfer's options (URL, headers, credentials, callbacks, CA file) reaches the next one. Connections, the DNS
/// cache and TLS sessions live in the multi handle anyway.
final class CurlEasyHandles {
    private var spare: [UnsafeMutableRawPointer] = []
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// A reset handle if one is kept, else a new one (nil if curl cannot make one).
    func take() -> UnsafeMutableRawPointer? { spare.popLast() ?? curl_easy_init() }

    /// Keeps `easy` for a later transfer once it is out of the multi handle, or frees it beyond `limit`.
    func give(_ easy: UnsafeMutableRawPointer) {
        guard spare.count < limit else { return curl_easy_cleanup(easy) }
        curl_easy_reset(easy)
        spare.append(easy)
    }

    /// Frees every kept handle (the loop is ending).
    func drain() {
        for easy in spare { curl_easy_cleanup(easy) }
        spare.removeAll()
    }
}

/// One transfer's easy handle and the answer being collected, owned by the transfer thread.
final class CurlTransfer {
    private enum Kind {
        case http
        case mail
    }

    let id: UInt64
    /// The `CURL *`; only touched on the transfer thread.
    let easy: UnsafeMutableRawPointer
    /// Where the handle goes back once the transfer is over (a handle curl made for it alone is freed).
    private let handles: CurlEasyHandles?
    private let kind: Kind
    /// HTTP header fields, or SMTP recipients (`CURLOPT_MAIL_RCPT`): curl keeps the list, not a copy.
    private var stringList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// Built only when an error must be reported: most transfers succeed, and collecting a request's secret parts
    /// for every one of 10,000 deliveries showed in the fan-out profile.
    private let redactor: @Sendable () -> SecretRedactor
    private var responseHeaders: [HTTPHeader] = []
    private var responseBody: [UInt8] = []
    /// The message an SMTP transfer uploads, and how much of it curl has read.
    private var upload: [UInt8] = []
    private var uploadOffset = 0
    /// SMTP: the reply being read (a multi-line reply arrives a line at a time), and the last `250` reply whole.
    private var replyInProgress: [UInt8] = []
    private var lastAcceptedReply: String?

    private init(
        id: UInt64, easy: UnsafeMutableRawPointer, handles: CurlEasyHandles?, kind: Kind,
        redactor: @escaping @Sendable () -> SecretRedactor
    ) {
        self.id = id
        self.easy = easy
        self.handles = handles
        self.kind = kind
        self.redactor = redactor
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        // Runs on the transfer thread once the loop drops its references, after removal from the multi. The reset
        // (or cleanup) comes first: until then the handle still points at the header list and the error buffer.
        if let handles { handles.give(easy) } else { curl_easy_cleanup(easy) }
        curl_slist_free_all(stringList)
        errorBuffer.deallocate()
    }

    /// Creates an easy handle configured for `job`, or the reason it cannot be sent. HTTP transfers take a kept
    /// handle from `handles` when there is one; mail transfers (rare) always get a fresh one.
    static func make(id: UInt64, job: CurlJob, options: CurlTransport.Options, handles: CurlEasyHandles? = nil) -> Result<CurlTransfer, TransportError> {
        switch job {
        case .http(let request): make(id: id, request: request, options: options, handles: handles)
        case .mail(let mail): make(id: id, mail: mail, options: options)
        }
    }

    private static func make(
        id: UInt64,
        request: HTTPRequest,
        options: CurlTransport.Options,
        handles: CurlEasyHandles?
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
        guard let easy = handles?.take() ?? curl_easy_init() else {
            return .failure(TransportError(kind: .other, curlCode: 27, message: "curl_easy_init failed"))
        }
        let transfer = CurlTransfer(id: id, easy: easy, handles: handles, kind: .http, redactor: { SecretRedactor(request: request) })
        let code = transfer.configure(request: request, method: method, options: options)
        guard code == CURLE_OK else {
            return .failure(transfer.error(code: code, latency: .zero))
        }
        return .success(transfer)
    }

    /// Applies every option; returns the first failure (e.g. an out-of-memory or unknown protocol list).
    private func configure(request: HTTPRequest, method: String, options: CurlTransport.Options) -> CURLcode {
        var codes: [CURLcode] = []
        codes.reserveCapacity(24)
        func long(_ option: CURLoption, _ value: Int) { codes.append(tocsin_curl_easy_setopt_long(easy, option, value)) }
        // `withCString` lends a native string's own bytes; passing the String as a `const char *` argument made a
        // NUL-terminated copy (`utf8CString`) per option, eight per request.
        func string(_ option: CURLoption, _ value: String) {
            codes.append(value.withCString { tocsin_curl_easy_setopt_string(easy, option, $0) })
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
        switch options.proxy {
        case .none:
            // An empty proxy disables the environment's `http_proxy`, `https_proxy` and `ALL_PROXY`.
            string(CURLOPT_PROXY, "")
        case .environment:
            break
        case .url(let proxy):
            string(CURLOPT_PROXY, proxy)
            // The configured proxy takes everything: a `NO_PROXY` in the environment is not the config's choice.
            string(CURLOPT_NOPROXY, "")
        }
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
        lines.reserveCapacity(request.headers.count + 1)
        for header in request.headers {
            // `Name:` would make curl drop the header; `Name;` sends it with an empty value.
            lines.append(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        for line in lines {
            guard let list = line.withCString({ curl_slist_append(stringList, $0) }) else { return CURLE_OUT_OF_MEMORY }
            stringList = list
        }
        codes.append(tocsin_curl_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, stringList))

        if let auth = request.basicAuth {
            string(CURLOPT_USERNAME, auth.user)
            string(CURLOPT_PASSWORD, auth.password)
        }
        if let caBundle = request.caBundle { string(CURLOPT_CAINFO, caBundle) }
        // The certificate's expiry, for health and metrics: read from the handshake curl makes anyway.
        if Self.isHTTPS(request.url) { long(CURLOPT_CERTINFO, 1) }

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

    /// Whether the URL's scheme is `https`, in any case, read on its first bytes: lowercasing the whole URL to
    /// ask showed in the profile of a send.
    static func isHTTPS(_ url: String) -> Bool {
        var bytes = url.utf8.makeIterator()
        for expected in "https:".utf8 {
            guard let byte = bytes.next() else { return false }
            let lowered = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
            guard lowered == expected else { return false }
        }
        return true
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
        // Room for a usual answer's fields at once: grown 1, 2, 4, 8, it was four copies per response.
        if responseHeaders.capacity == 0 { responseHeaders.reserveCapacity(12) }
        let rawName = line[..<colon]
        // Names are ASCII tokens: lowered byte by byte into the one string, not decoded and then lowercased (a
        // second string per header line); anything else takes the general path, with the same result as before.
        let name = rawName.allSatisfy { $0 < 0x80 }
            ? String(unsafeUninitializedCapacity: rawName.count) { buffer in
                for (offset, byte) in rawName.enumerated() {
                    buffer[offset] = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 0x20 : byte
                }
                return rawName.count
            }
            : String(decoding: rawName, as: UTF8.self).lowercased()
        responseHeaders.append(HTTPHeader(name, Self.trimmed(line[(colon + 1)...])))
    }

    /// The `Expire date` of the server's own certificate (the first of the chain), when curl gathered it.
    private func serverCertificateExpiry() -> Date? {
        var info: UnsafeMutablePointer<curl_certinfo>?
        guard tocsin_curl_easy_getinfo_certinfo(easy, &info) == CURLE_OK, let info, info.pointee.num_of_certs > 0,
            var field = info.pointee.certinfo?[0]
        else { return nil }
        while true {
            if let data = field.pointee.data {
                let text = String(cString: data)
                if text.hasPrefix("Expire date:") { return Self.certificateDate(String(text.dropFirst("Expire date:".count))) }
            }
            guard let next = field.pointee.next else { return nil }
            field = next
        }
    }

    /// OpenSSL's `ASN1_TIME_print` form, e.g. `Jan  5 12:00:00 2027 GMT`, read by curl's own date parser.
    static func certificateDate(_ text: String) -> Date? {
        let seconds = curl_getdate(text, nil)
        return seconds > 0 ? Date(timeIntervalSince1970: Double(seconds)) : nil
    }

    /// The outcome once curl reports the transfer done.
    func finish(code: CURLcode) -> Result<CurlReply, TransportError> {
        var micros: curl_off_t = 0
        _ = tocsin_curl_easy_getinfo_off_t(easy, CURLINFO_TOTAL_TIME_T, &micros)
        let latency = Duration.microseconds(micros)
        // HTTP: the status. SMTP: the last reply code the server sent.
        var status = 0
        _ = tocsin_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        switch kind {
        case .http:
            guard code == CURLE_OK else { return .failure(error(code: code, latency: latency)) }
            var response = HTTPResponse(status: status, headers: responseHeaders, body: responseBody, latency: latency)
            response.certificateExpiry = serverCertificateExpiry()
            return .success(.http(response))
        case .mail:
            if code == CURLE_OK || Self.isRefusal(code: code, reply: status) {
                return .success(.mail(MailResponse(code: status, latency: latency, reply: lastAcceptedReply)))
            }
            return .failure(error(code: code, latency: latency))
        }
    }

    /// curl's detailed error text if it wrote one, its generic text otherwise, with secrets removed.
    private func error(code: CURLcode, latency: Duration) -> TransportError {
        var text = String(cString: errorBuffer)
        while text.last?.isNewline == true { text.removeLast() }
        if text.isEmpty { text = String(cString: curl_easy_strerror(code)) }
        // curl 7.88 says "Couldn't connect to server" for a refusal and an unreachable host alike; the system's
        // errno tells them apart, and "connection refused" (nothing listens there) is what the operator acts on.
        var osErrno = 0
        if code == CURLE_COULDNT_CONNECT, tocsin_curl_easy_getinfo_long(easy, CURLINFO_OS_ERRNO, &osErrno) == CURLE_OK,
           osErrno == Int(ECONNREFUSED) {
            text += "; connection refused"
        }
        return TransportError(
            kind: TransportError.Kind(curlCode: code),
            curlCode: Int32(bitPattern: code.rawValue),
            message: redactor().redact(text),
            latency: latency
        )
    }

    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        // Index arithmetic on the buffer, no copy: `reversed()` made an array per header line.
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    /// Gives curl the next piece of the SMTP message; 0 once it is all sent.
    private func readUpload(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, upload.count - uploadOffset)
        guard count > 0 else { return 0 }
        upload.withUnsafeBytes { bytes in
            UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + uploadOffset, byteCount: count)
        }
        uploadOffset += count
        return count
    }

    /// Whole milliseconds, rounded up and at least 1, because 0 means "no timeout" to curl.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds < Int64.max / 2000 else { return Int.max }
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(max(1, millis))
    }
}

// MARK: SMTP

extension CurlTransfer {
    private static func make(id: UInt64, mail: MailRequest, options: CurlTransport.Options) -> Result<CurlTransfer, TransportError> {
        // curl writes the addresses into SMTP commands as given: a line break would smuggle in a command.
        guard isEnvelopeAddress(mail.from) else {
            return .failure(TransportError(kind: .other, message: "invalid envelope sender address"))
        }
        guard !mail.recipients.isEmpty, mail.recipients.allSatisfy(isEnvelopeAddress) else {
            return .failure(TransportError(kind: .other, message: "missing or invalid envelope recipient address"))
        }
        guard let easy = curl_easy_init() else {
            return .failure(TransportError(kind: .other, curlCode: 27, message: "curl_easy_init failed"))
        }
        let transfer = CurlTransfer(id: id, easy: easy, handles: nil, kind: .mail, redactor: { SecretRedactor(mail: mail) })
        let code = transfer.configure(mail: mail, options: options)
        guard code == CURLE_OK else {
            return .failure(transfer.error(code: code, latency: .zero))
        }
        return .success(transfer)
    }

    /// Applies every option of an SMTP submission; returns the first failure.
    private func configure(mail: MailRequest, options: CurlTransport.Options) -> CURLcode {
        var codes: [CURLcode] = []
        func long(_ option: CURLoption, _ value: Int) { codes.append(tocsin_curl_easy_setopt_long(easy, option, value)) }
        func string(_ option: CURLoption, _ value: String) {
            codes.append(tocsin_curl_easy_setopt_string(easy, option, value))
        }

        codes.append(tocsin_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        // smtp://host:port or smtps://host:port; a path, if any, is the name curl gives in EHLO.
        string(CURLOPT_URL, mail.url)
        long(CURLOPT_NOSIGNAL, 1)
        long(CURLOPT_TIMEOUT_MS, Self.milliseconds(mail.timeout))
        long(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(options.connectTimeout))
        // Mail transfers may only speak SMTP, whatever the HTTP options allow.
        string(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        // And never through a proxy: `ALL_PROXY` in the environment would otherwise apply to SMTP too.
        string(CURLOPT_PROXY, "")
        if mail.requireTLS {
            // On smtp:// this demands STARTTLS and fails (CURLE_USE_SSL_FAILED) rather than fall back to clear text.
            long(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        }
        if let caBundle = mail.caBundle {
            // Replaces curl's default CA file (not its default CA folder); peer and host verification stay on.
            string(CURLOPT_CAINFO, caBundle)
        }
        if let credentials = mail.credentials {
            string(CURLOPT_USERNAME, credentials.user)
            string(CURLOPT_PASSWORD, credentials.password)
        }

        string(CURLOPT_MAIL_FROM, "<\(mail.from)>")
        for recipient in mail.recipients {
            guard let list = curl_slist_append(stringList, "<\(recipient)>") else { return CURLE_OUT_OF_MEMORY }
            stringList = list
        }
        codes.append(tocsin_curl_easy_setopt_pointer(easy, CURLOPT_MAIL_RCPT, stringList))

        // The message is streamed from `upload` by the read callback; curl adds the dot-stuffing and the final dot.
        upload = mail.message
        uploadOffset = 0
        long(CURLOPT_UPLOAD, 1)
        codes.append(tocsin_curl_easy_setopt_off_t(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(mail.message.count)))
        codes.append(tocsin_curl_easy_setopt_read_function(easy) { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            return Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue().readUpload(into: buffer, capacity: size * count)
        })
        codes.append(tocsin_curl_easy_setopt_pointer(easy, CURLOPT_READDATA, Unmanaged.passUnretained(self).toOpaque()))
        // libcurl passes every SMTP reply line to the header callback ("response lines can be seen as a kind of
        // headers", lib/pingpong.c): the last `250` reply is the one to the message, with the server's queue id.
        codes.append(tocsin_curl_easy_setopt_header_function(easy) { data, size, count, userdata in
            let total = size * count
            if let data, let userdata {
                Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
                    .receiveReplyLine(UnsafeRawBufferPointer(start: data, count: total))
            }
            return total
        })
        codes.append(tocsin_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, Unmanaged.passUnretained(self).toOpaque()))
        return codes.first { $0 != CURLE_OK } ?? CURLE_OK
    }

    /// Collects one SMTP reply line (`250-…` continues a reply, `250 …` ends it); keeps the last whole `250`
    /// reply, at most ``MailResponse/replyLimit`` bytes of it.
    private func receiveReplyLine(_ bytes: UnsafeRawBufferPointer) {
        var line = bytes[...]
        while let last = line.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: "\n") { line = line.dropLast() }
        guard line.count >= 3, line.prefix(3).allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return }
        let room = MailResponse.replyLimit - replyInProgress.count
        if room > 1 {
            if !replyInProgress.isEmpty { replyInProgress.append(UInt8(ascii: "\n")) }
            replyInProgress.append(contentsOf: line.prefix(room - 1))
        }
        guard line.count == 3 || line[line.startIndex + 3] != UInt8(ascii: "-") else { return }
        if line.starts(with: "250".utf8) { lastAcceptedReply = String(decoding: replyInProgress, as: UTF8.self) }
        replyInProgress.removeAll(keepingCapacity: true)
    }

    /// Whether curl failed because the server answered a command with a refusal (`MAIL FROM`, `RCPT TO`,
    /// `DATA` or the message itself got a 4xx or 5xx), rather than because the exchange broke.
    ///
    /// libcurl reports those refusals as send errors (`RCPT failed: 550`) or weird replies, with the server's
    /// code as the response code; the code, not curl's error class, says whether to retry.
    private static func isRefusal(code: CURLcode, reply: Int) -> Bool {
        [CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_WEIRD_SERVER_REPLY].contains(code) && (400..<600).contains(reply)
    }

    /// A bare address for `MAIL FROM` / `RCPT TO`: not empty, no brackets, no spaces or control characters.
    private static func isEnvelopeAddress(_ address: String) -> Bool {
        !address.isEmpty && !address.unicodeScalars.contains { scalar in
            scalar.value < 0x21 || scalar.value == 0x7F || scalar == "<" || scalar == ">"
        }
    }
}
