import Foundation
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

    /// Nil when `params` gives no key (every such request is a new send).
    /// - Throws: `invalidParams` for a key too short, too long or with characters other than letters, digits, `-`,
    ///   `_`, `.` and `:`.
    init?(_ params: SendParams, by who: String) throws(DaemonError) {
        guard let key = params.requestKey else { return nil }
        guard Self.lengths.contains(key.utf8.count), key.utf8.allSatisfy(Self.isKeyByte) else {
            throw DaemonError.invalidParams(
                "requestKey must be \(Self.lengths.lowerBound) to \(Self.lengths.upperBound) letters, digits, '-', '_', '.' or ':' (a UUID fits)"
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
    /// caller. `brief` only shapes the answer, and the key is what is being checked, so neither counts.
    private struct Asked: Encodable {
        let template: String
        let variables: [String: String]
        let route: String?
        let drill: Bool
        let msgType: String
        let references: String?
        let by: String
    }

    static func digest(of params: SendParams, by who: String) -> String {
        let asked = Asked(
            template: params.template, variables: params.variables, route: params.route, drill: params.drill,
            msgType: params.msgType ?? "Alert", references: params.references, by: who
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Strings and a dictionary of strings always encode.
        return Digest.sha256((try? encoder.encode(asked)) ?? Data())
    }
}
