import ArgumentParser
import Foundation
import Logging
import TocsinWeb

/// `tocsin-web`: the web console, run as its own system user (`tocsin-web.service`), listed in tocsind's
/// `access.web_gateways`. It holds no secret of tocsind's: sign-ins are checked by tocsind.
@main
struct TocsinWebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tocsin-web",
        abstract: "Serve Tocsin's web console: send and follow alerts from a phone, through tocsind's admin socket."
    )

    @Option(help: "tocsind's admin socket.")
    var socket = ProcessInfo.processInfo.environment["TOCSIN_SOCKET"] ?? "/run/tocsin/admin.sock"

    @Option(help: "The address to listen on.")
    var host = "0.0.0.0"

    @Option(help: "The TCP port.")
    var port = 8443

    @Option(help: "PEM certificate chain (default: the systemd credential web-tls-certificate).")
    var certificate: String?

    @Option(help: "PEM private key (default: the systemd credential web-tls-key).")
    var key: String?

    @Option(name: .customLong("trusted-proxy"), help: "A reverse proxy's address whose X-Forwarded-For is believed (repeatable).")
    var trustedProxies: [String] = []

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "tocsin-web")
        let credentials = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"]
        func credential(_ name: String) -> String? {
            guard let credentials else { return nil }
            let path = credentials + "/" + name
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        let settings = WebConsole.Settings(
            socketPath: socket, host: host, port: port,
            certificate: certificate ?? credential("web-tls-certificate"), key: key ?? credential("web-tls-key"),
            trustedProxies: Set(trustedProxies)
        )
        let console: WebConsole
        do {
            console = try WebConsole(settings, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("tocsin-web: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        try await console.run()
    }
}
