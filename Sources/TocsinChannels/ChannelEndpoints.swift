public import TocsinCore

/// Builds the endpoint of each configured channel.
public enum ChannelEndpoints {
    /// - Parameter defaultTimeout: the config's `delivery.timeout`, for channels without their own.
    /// - Parameter capSigner: the config's `cap:` key, which signs the alerts of `cap` channels; nil: unsigned.
    public static func make(
        _ definition: ChannelDefinition, defaultTimeout: Duration, capSigner: (any CAPAlertSigner)? = nil
    ) throws(ChannelError) -> any ChannelEndpoint {
        let timeout = definition.timeout ?? defaultTimeout
        switch definition.type {
        case .webhook:
            return try WebhookEndpoint(definition, timeout: timeout)
        case .email:
            return try EmailEndpoint(definition, timeout: timeout)
        case .cap:
            return try CAPEndpoint(definition, timeout: timeout, signer: capSigner)
        case .slack:
            return try SlackEndpoint(definition, timeout: timeout)
        case .teams:
            return try TeamsEndpoint(definition, timeout: timeout)
        case .discord:
            return try DiscordEndpoint(definition, timeout: timeout)
        case .mattermost:
            return try MattermostEndpoint(definition, timeout: timeout)
        case .googleChat:
            return try GoogleChatEndpoint(definition, timeout: timeout)
        case .telegram:
            return try TelegramEndpoint(definition, timeout: timeout)
        case .ntfy:
            return try NtfyEndpoint(definition, timeout: timeout)
        case .twilioSMS:
            return try TwilioSMSEndpoint(definition, timeout: timeout)
        case .facebookPage:
            return try FacebookPageEndpoint(definition, timeout: timeout)
        case .x:
            return try XEndpoint(definition, timeout: timeout)
        }
    }
}
