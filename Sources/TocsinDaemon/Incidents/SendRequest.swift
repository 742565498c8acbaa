import TocsinAudit
import TocsinProtocol

/// A send that names itself with a request key (`SendParams.requestKey`), so that asking again — a second tap on a
/// phone, a client that lost the answer and retries — gives the incident of the first request instead of a second
/// alert to everyone.
///
/// The key alone does not make two requests the same: `digest` fingerprints what was asked and by whom, so a key
/// reused for another template, other values, the other of live and drill, or by someone else is refused rather
/// than answered with an incident that is not theirs. The pid is left out: a retry comes from a new process.
struct SendRequest: Sendable, Hashable {
    let key: String
    let digest: String

    /// Keys are what clients make once per send (a UUID); bounded and printable so they can go into the audit as
    /// they are.
    static let lengths = 8...128

    /// How long a key answers as a repeat: a retry comes within minutes. After a day the same key is refused,
    /// never answered with an old incident, so a script that kept one key by mistake cannot go silent.
    static let repeatWindowMillis: Int64 = 24 * 3_600_000

    /// Nil when `params` gives no key (every such request is a new send).
    /// - Throws: `invalidParams` for a key too short, too long or with characters other than letters, digits, `-`,
    ///   `_`, `.` and `:`.
    init?(_ params: SendParams, by who: String) throws(DaemonError) {
        guard let key = params.requestKey else { return nil }
        guard Self.lengths.contains(key.utf8.count), key.utf8.allSatisfy(Self.isKeyByte) else {
            throw DaemonError.invalidParams(
                "the request key must be \(Self.lengths.lowerBound) to \(Self.lengths.upperBound) letters, digits, '-', '_', '.' or ':' (a UUID fits); nothing was sent"
            ).said(.requestKeyInvalid, ["min": String(Self.lengths.lowerBound), "max": String(Self.lengths.upperBound)])
        }
        self.key = key
        self.digest = Self.digest(of: params, by: who)
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"): true
        default: false
        }
    }

    /// What makes two requests the same send: everything that chooses what goes out and to whom, as given, and the
    /// caller. `brief` only shapes the answer, and the key is what is being checked, so neither counts. Written by
    /// hand, each value length-prefixed, rather than by an encoder whose escaping could change with the toolchain
    /// (a retry across an upgrade would then read as another send).
    static func digest(of params: SendParams, by who: String) -> String {
        var text = "tocsin-send-request/v1\n"
        func field(_ name: String, _ value: String?) {
            text += name
            if let value { text += " \(value.utf8.count):" + value }
            text += "\n"
        }
        field("template", params.template)
        for (name, value) in params.variables.sorted(by: { $0.key < $1.key }) { field("variable \(name.utf8.count):" + name, value) }
        field("route", params.route)
        field("drill", params.drill ? "true" : "false")
        // What no msgType means (IncidentService.messageType): an Alert, or an Update of the referenced incident.
        field("msgType", params.msgType ?? (params.references == nil ? "Alert" : "Update"))
        field("references", params.references)
        field("by", who)
        return Digest.sha256(text)
    }
}
