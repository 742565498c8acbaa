import Foundation
import Hummingbird
import TocsinProtocol
import HTTPTypes

/// Headers every answer carries, and the refusal of a state-changing request that does not come from the console's
/// own pages (a form on another site, posted by a signed-in person's browser). The CSRF token of each form is the
/// second lock (`WebRoutes.posted`); the cookie's `SameSite=Strict` the third.
struct SecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    /// HTTPS: HSTS and `Secure` cookies. Off only for plain HTTP on loopback (tests).
    let secure: Bool

    /// No script but the console's own file, no inline style or script, no frame, no form to elsewhere.
    static var contentSecurityPolicy: String { policy(styles: "'self'") }

    /// The policy with `styles` as the style sources: the incident report allows its one `<style>` by its hash.
    static func policy(styles: String) -> String {
        "default-src 'none'; script-src 'self'; style-src \(styles); img-src 'self'; connect-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        if request.method == .post, !Self.isSameOrigin(request) {
            response = Response(
                status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "Requête refusée : elle ne vient pas de cette console.\nRequest refused: it does not come from this console.\n"))
            )
        } else {
            response = try await next(request, context)
        }
        // A page may narrow the policy for itself (the report's style hash); none widens it past these sources.
        if response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Cross-Origin-Opener-Policy")!] = "same-origin"
        // Pages hold incidents and names: never kept by a shared phone's cache or a proxy.
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if secure { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        if let language = request.uri.queryParameters.get("lang").flatMap(OperatorLanguage.init(rawValue:)) {
            let cookie = Cookie(name: OperatorLanguage.cookie, value: language.rawValue, maxAge: 365 * 86400, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
            response.headers[values: .setCookie].append(cookie.description)
        }
        return response
    }

    /// A browser says where a request comes from: `Sec-Fetch-Site` (every current browser), else `Origin`. A
    /// request that says neither (curl, an old browser) is let through to the CSRF token check.
    static func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[.init("Sec-Fetch-Site")!] {
            return site == "same-origin" || site == "none"
        }
        if let origin = request.headers[.origin] {
            guard let host = request.head.authority else { return false }
            return origin == "https://\(host)" || origin == "http://\(host)"
        }
        return true
    }
}
