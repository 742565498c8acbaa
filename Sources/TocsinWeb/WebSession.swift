import Foundation
import Hummingbird
import HummingbirdAuth
import TocsinCore

/// What the console keeps of a signed-in person, on the server (the cookie holds only a random id): who, the token
/// every form of the session must carry back (CSRF), and when the sign-in was, for the 12-hour limit.
struct WebSession: Codable, Sendable {
    var user: String
    var roles: [String]
    var csrf: String
    var signedInAt: Date

    /// Idle sessions end after 15 minutes (the cookie and the stored session), signed-in ones after 12 hours.
    static let idle: Duration = .seconds(15 * 60)
    static let absolute: TimeInterval = 12 * 3600

    var isTooOld: Bool { Date().timeIntervalSince(signedInAt) >= Self.absolute }

    func may(_ role: String) -> Bool { roles.contains(role) }
}

/// Each request's context: the session (HummingbirdAuth's middleware loads and saves it) and the peer's address.
struct WebContext: SessionRequestContext, RequestContext {
    var coreContext: CoreRequestContextStorage
    let sessions: SessionContext<WebSession>
    /// The TCP peer: the browser, or a reverse proxy in front of the console.
    let peer: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        sessions = .init()
        peer = source.channel.remoteAddress?.ipAddress
    }

    /// Forms and their values are small; a megabyte of form is an attack, not an alert.
    var maxUploadSize: Int { 64 * 1024 }
}

/// Random tokens for session-less forms (sign-in) and sessions' CSRF tokens: 256 bits from the system's generator.
enum Token {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Whether a token sent back is the one given (compared in constant time).
    static func equal(_ a: String, _ b: String) -> Bool {
        !a.isEmpty && ConstantTime.equal(a.utf8, b.utf8)
    }
}

/// The client's address for the throttle and the audit: the peer's, or, when the peer is a configured trusted proxy,
/// the last address `X-Forwarded-For` names that is not itself a trusted proxy (what the proxy saw). A header from
/// anyone else is ignored: a browser could write any address there.
struct ClientAddress: Sendable {
    let trustedProxies: Set<String>

    func of(_ request: Request, peer: String?) -> String {
        guard let peer else { return "unknown" }
        guard trustedProxies.contains(peer), let header = request.headers[.init("X-Forwarded-For")!] else { return peer }
        let hops = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last { !trustedProxies.contains($0) }.map { String($0.prefix(64)) } ?? peer
    }
}
