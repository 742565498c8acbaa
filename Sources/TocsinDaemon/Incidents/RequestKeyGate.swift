import Synchronization

/// One send at a time per request key on this node: a second request with a key waits until the first has
/// committed (or failed), then finds its incident. Without it, a double tap's two requests both plan, and the second
/// is refused for the step-up code the first just spent — a refusal on the phone while the alert is going out.
/// (Across nodes, the key's uniqueness in the shared database decides; see `IncidentService.send`.)
final class RequestKeyGate: Sendable {
    /// Keys held, each with the requests waiting for it, first come first served.
    private let held = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    init() {}

    /// Returns once this caller holds `key`; pair with `leave`.
    func enter(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = held.withLock { held in
                guard held[key] != nil else {
                    held[key] = []
                    return true
                }
                held[key]?.append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
    }

    /// Hands `key` to the next waiting request, or frees it.
    func leave(_ key: String) {
        let next = held.withLock { held -> CheckedContinuation<Void, Never>? in
            guard let waiting = held[key], let first = waiting.first else {
                held[key] = nil
                return nil
            }
            held[key] = Array(waiting.dropFirst())
            return first
        }
        next?.resume()
    }
}
