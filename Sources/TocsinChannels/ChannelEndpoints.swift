import TocsinCore

/// Builds the endpoint of each configured channel.
public enum ChannelEndpoints {
    /// - Parameter defaultTimeout: the config's `delivery.timeout`, for channels without their own.
    public static func make(_ definition: ChannelDefinition, defaultTimeout: Duration) throws(ChannelError) -> any ChannelEndpoint {
        let timeout = definition.timeout ?? defaultTimeout
        switch definition.type {
        case .webhook:
            return try WebhookEndpoint(definition, timeout: timeout)
        default:
            throw ChannelError(channel: definition.name, "type '\(definition.type.rawValue)' is not implemented in this version of tocsind")
        }
    }
}
