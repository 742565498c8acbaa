import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdAuth
import HummingbirdTLS
public import Logging
import NIOCore
import NIOSSL

/// tocsin-web: the web console for sending from a phone (issue 18), a gateway to tocsind's admin socket.
public struct WebConsole: Sendable {
    public struct Settings: Sendable {
        public var socketPath: String
        public var host: String
        public var port: Int
        /// PEM files of the certificate chain and its key; nil for plain HTTP, which only a loopback address may use.
        public var certificate: String?
        public var key: String?
        /// Peers whose `X-Forwarded-For` is believed (a reverse proxy in front of the console).
        public var trustedProxies: Set<String>

        public init(socketPath: String, host: String, port: Int, certificate: String?, key: String?, trustedProxies: Set<String>) {
            self.socketPath = socketPath
            self.host = host
            self.port = port
            self.certificate = certificate
            self.key = key
            self.trustedProxies = trustedProxies
        }

        var isLoopback: Bool { host == "127.0.0.1" || host == "::1" || host == "localhost" }
    }

    /// A setting the console cannot start with, said so an administrator knows what to change.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    let settings: Settings
    let tls: TLSConfiguration?
    let logger: Logger

    /// Checks the settings and reads the certificate and key now, so a bad file stops the start with its name.
    public init(_ settings: Settings, logger: Logger) throws(Problem) {
        self.settings = settings
        self.logger = logger
        switch (settings.certificate, settings.key) {
        case (let certificate?, let key?):
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
                guard !chain.isEmpty else { throw Problem(description: "no certificate in \(certificate)") }
                let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
                var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
                configuration.minimumTLSVersion = .tlsv12
                tls = configuration
            } catch let problem as Problem {
                throw problem
            } catch {
                throw Problem(description: "cannot read the TLS certificate \(certificate) or its key \(key): \(error)")
            }
        case (nil, nil):
            guard settings.isLoopback else {
                throw Problem(description: "tocsin-web serves HTTPS only: give --certificate and --key (or the credentials web-tls-certificate and web-tls-key); plain HTTP is for 127.0.0.1 only")
            }
            tls = nil
        default:
            throw Problem(description: "give both --certificate and --key, or neither")
        }
    }

    /// Serves until the process is told to stop (SIGTERM, SIGINT).
    public func run() async throws {
        let secure = tls != nil
        let router = Router(context: WebContext.self)
        router.middlewares.add(SecurityMiddleware(secure: secure))
        let sessions = MemoryPersistDriver()
        let cookie = SessionCookieParameters(name: "tocsin_session", path: "/", secure: secure, sameSite: .strict)
        router.middlewares.add(SessionMiddleware(
            storage: sessions,
            configuration: .init(
                sessionCookieParameters: cookie,
                defaultSessionExpiration: WebSession.idle
            )
        ))
        WebRoutes(
            daemon: DaemonLink(socketPath: settings.socketPath), pages: Pages(), addresses: ClientAddress(trustedProxies: settings.trustedProxies),
            secure: secure, sessions: SessionStorage(sessions, configuration: .init(sessionCookieParameters: cookie))
        ).register(on: router)
        let server: HTTPServerBuilder = if let tls { try .tls(.http1(), tlsConfiguration: tls) } else { .http1() }
        let logger = self.logger
        let scheme = secure ? "https" : "http"
        let app = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "tocsin-web"),
            services: [sessions],
            onServerRunning: { channel in
                logger.notice("tocsin-web serving", metadata: ["url": "\(scheme)://\(channel.localAddress?.description ?? "?")"])
            },
            logger: logger
        )
        try await app.runService()
    }
}
