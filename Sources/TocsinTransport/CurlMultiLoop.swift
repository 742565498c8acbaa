import CCurl

/// The transfer thread's loop around one curl multi handle.
///
/// Every curl call except `curl_multi_wakeup` happens here, on one thread, so no handle is ever
/// used concurrently and nothing needs locking beyond the submission queue.
final class CurlMultiLoop {
    /// The longest the loop sleeps when nothing happens; curl shortens it for its own timers.
    private static let pollTimeoutMilliseconds: Int32 = 1000

    private let queue: CurlSubmissionQueue
    private let multi: UnsafeMutableRawPointer
    private let options: CurlTransport.Options
    private var transfersByID: [UInt64: CurlTransfer] = [:]
    private var transfersByHandle: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Reset easy handles of finished HTTP transfers, as many as may run at once.
    private let handles: CurlEasyHandles

    private init(queue: CurlSubmissionQueue, multi: UnsafeMutableRawPointer, options: CurlTransport.Options) {
        self.queue = queue
        self.multi = multi
        self.options = options
        handles = CurlEasyHandles(limit: options.maxTotalConnections)
    }

    /// The thread's body: creates the multi handle, runs until the queue closes, frees everything.
    static func run(queue: CurlSubmissionQueue, options: CurlTransport.Options) {
        guard let multi = curl_multi_init() else {
            queue.close(reason: TransportError(kind: .other, curlCode: 27, message: "curl_multi_init failed"))
            return
        }
        configure(multi: multi, options: options)
        if queue.publish(multi: .init(raw: multi)) {
            let loop = CurlMultiLoop(queue: queue, multi: multi, options: options)
            loop.run()
            loop.abandonAll()
            loop.handles.drain()
        }
        // Safe: the queue is closed, so no other thread calls curl_multi_wakeup any more.
        curl_multi_cleanup(multi)
    }

    private static func configure(multi: UnsafeMutableRawPointer, options: CurlTransport.Options) {
        _ = tocsin_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.maxHostConnections)
        _ = tocsin_curl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, options.maxTotalConnections)
        // The idle-connection cache defaults to 4 × the handles currently added, so after a quiet spell
        // it would close the connections the next fan-out wants; keep as many as may be open.
        _ = tocsin_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, options.maxTotalConnections)
        _ = tocsin_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX)
    }

    private func run() {
        while true {
            let (commands, stop) = queue.drain()
            if stop { return }
            for command in commands {
                switch command {
                case .start(let id, let job): start(id: id, job: job)
                case .cancel(let id): drop(id: id)
                }
            }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectCompletions()
            _ = curl_multi_poll(multi, nil, 0, Self.pollTimeoutMilliseconds, nil)
        }
    }

    private func start(id: UInt64, job: CurlJob) {
        switch CurlTransfer.make(id: id, job: job, options: options, handles: handles) {
        case .failure(let error):
            queue.complete([(id, .failure(error))])
        case .success(let transfer):
            let code = curl_multi_add_handle(multi, transfer.easy)
            guard code == CURLM_OK else {
                let message = String(cString: curl_multi_strerror(code))
                queue.complete([(id, .failure(TransportError(kind: .other, curlCode: 27, message: message)))])
                return
            }
            transfersByID[id] = transfer
            transfersByHandle[transfer.easy] = transfer
        }
    }

    /// Removes a cancelled transfer; its waiter was already resumed by the canceller.
    private func drop(id: UInt64) {
        guard let transfer = transfersByID.removeValue(forKey: id) else { return }
        transfersByHandle[transfer.easy] = nil
        _ = curl_multi_remove_handle(multi, transfer.easy)
    }

    private func collectCompletions() {
        var results: [(id: UInt64, result: Result<CurlReply, TransportError>)] = []
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            // Read before removing the handle: the message does not survive curl_multi_remove_handle.
            let code = tocsin_curl_msg_result(message)
            _ = curl_multi_remove_handle(multi, easy)
            guard let transfer = transfersByHandle.removeValue(forKey: easy) else { continue }
            transfersByID[transfer.id] = nil
            results.append((transfer.id, transfer.finish(code: code)))
        }
        // One lock for the whole batch, then the continuations are resumed outside it.
        if !results.isEmpty { queue.complete(results) }
    }

    /// On shutdown: detach every transfer (their waiters were already resumed by `close`).
    private func abandonAll() {
        for transfer in transfersByID.values {
            _ = curl_multi_remove_handle(multi, transfer.easy)
        }
        transfersByID.removeAll()
        transfersByHandle.removeAll()
    }
}
