import Foundation
import Logging
import Synchronization
import TocsinCore
import TocsinProtocol
import TocsinStore

/// `channel.*`: what each channel is and how it last fared, and a test message through one.
struct ChannelHandlers: Sendable {
    let configuration: ConfigurationHolder
    let store: any Store
    let dispatcher: Dispatcher
    let incidents: IncidentService

    func register(in table: inout MethodTable) {
        table.on(AdminCall.channelList) { _ async throws(DaemonError) in try await list() }
        table.on(AdminCall.channelTest, auditsRequest: true) { params, context async throws(DaemonError) in
            try await incidents.testChannel(
                params.channel, recipient: params.recipient, publicPostConfirmed: params.publicPostConfirmed == true, caller: context.principal, requestAudit: context.requestAudit)
        }
    }

    func list() async throws(DaemonError) -> [ChannelInfo] {
        let active = configuration.current
        let config = active.configuration
        let activity: [String: ChannelActivity]
        do { activity = try await store.channelActivity() } catch { throw .store(error) }
        let certificates = dispatcher.certificates.withLock { $0 }
        return config.channels.values.sorted { $0.name < $1.name }.map { channel in
            let seen = activity[channel.name]
            var info = ChannelInfo(
                name: channel.name, type: channel.type.rawValue, endpoint: channel.maskedEndpoint,
                languages: channel.languages, recipients: channel.type.isPerRecipient ? channel.recipients.count : 1,
                routes: config.routes.filter { $0.value.contains(channel.name) }.keys.sorted(),
                maxConcurrency: channel.maxConcurrency, rateLimit: channel.rateLimit,
                unavailable: active.unavailable[channel.name],
                lastDeliveredAt: seen?.lastDeliveredAt.map(Timestamp.iso(millis:)),
                lastErrorAt: seen?.lastErrorAt.map(Timestamp.iso(millis:)), lastError: seen?.lastError,
                expires: channel.expires.map(Timestamp.iso),
                certificateExpires: certificates[channel.name].map(Timestamp.iso)
            )
            info.lastErrorKind = ErrorKind.of(error: seen?.lastError, status: nil)
            return info
        }
    }
}
