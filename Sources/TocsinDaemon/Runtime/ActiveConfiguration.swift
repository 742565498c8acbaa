import Logging
import Synchronization
import TocsinChannels
import TocsinCore

/// The configuration in force and its channels made ready to send, swapped whole on reload.
struct ActiveConfiguration: Sendable {
    let configuration: Configuration
    let configPath: String
    /// Channels ready to send, by name.
    let endpoints: [String: any ChannelEndpoint]
    /// Channels that cannot send with this build or config, with the reason.
    let unavailable: [String: String]
    /// Template id → how it would be shortened on the channels it can reach (any route: `send --route` may pick
    /// another), live or as an update or a drill (FitCheck). Empty for a template that reaches every channel whole.
    let cuts: [String: [FitCheck.Cut]]

    init(_ configuration: Configuration, path: String) {
        self.configuration = configuration
        configPath = path
        var endpoints: [String: any ChannelEndpoint] = [:]
        var unavailable: [String: String] = [:]
        for (name, definition) in configuration.channels {
            do {
                endpoints[name] = try ChannelEndpoints.make(
                    definition, defaultTimeout: configuration.delivery.timeout, capSigner: configuration.cap?.signer
                )
            } catch {
                unavailable[name] = error.message
            }
        }
        self.endpoints = endpoints
        self.unavailable = unavailable
        let reachable = endpoints.map { (name: $0.key, endpoint: $0.value) }
        var cuts = configuration.templates.mapValues { FitCheck.cuts(of: $0, on: reachable, organization: configuration.organization) }
        // The built-in all-clear is checked like any template: it is what `all-clear` sends when none is configured.
        if configuration.templates[BuiltInAllClear.id] == nil {
            cuts[BuiltInAllClear.id] = FitCheck.builtInAllClearCuts(
                after: Array(configuration.templates.values), on: reachable, organization: configuration.organization
            )
        }
        self.cuts = cuts.filter { !$0.value.isEmpty }
    }

    var retryPolicy: RetryPolicy { configuration.delivery.retry }

    /// One warning a cut, at start and after each reload.
    func logCuts(_ logger: Logger) {
        for cut in cuts.keys.sorted().flatMap({ cuts[$0] ?? [] }) {
            logger.warning("template would be shortened", metadata: ["template": "\(cut.template)", "channel": "\(cut.channel)", "problem": "\(cut)"])
        }
    }
}

/// Holds the active configuration for every part of the daemon; readers take a consistent snapshot.
final class ConfigurationHolder: Sendable {
    private let active: Mutex<ActiveConfiguration>

    init(_ initial: ActiveConfiguration) { active = Mutex(initial) }

    var current: ActiveConfiguration { active.withLock { $0 } }

    func replace(with next: ActiveConfiguration) { active.withLock { $0 = next } }
}
