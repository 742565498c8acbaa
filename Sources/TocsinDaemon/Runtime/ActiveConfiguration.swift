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

    init(_ configuration: Configuration, path: String) {
        self.configuration = configuration
        configPath = path
        var endpoints: [String: any ChannelEndpoint] = [:]
        var unavailable: [String: String] = [:]
        for (name, definition) in configuration.channels {
            do {
                endpoints[name] = try ChannelEndpoints.make(definition, defaultTimeout: configuration.delivery.timeout)
            } catch {
                unavailable[name] = error.message
            }
        }
        self.endpoints = endpoints
        self.unavailable = unavailable
    }

    var retryPolicy: RetryPolicy { configuration.delivery.retry }
}

/// Holds the active configuration for every part of the daemon; readers take a consistent snapshot.
final class ConfigurationHolder: Sendable {
    private let active: Mutex<ActiveConfiguration>

    init(_ initial: ActiveConfiguration) { active = Mutex(initial) }

    var current: ActiveConfiguration { active.withLock { $0 } }

    func replace(with next: ActiveConfiguration) { active.withLock { $0 = next } }
}
