import Foundation
import TocsinChannels
import TocsinCore
import TocsinProtocol
import TocsinStore

/// Stored and in-memory deliveries as the admin protocol shows them.
enum DeliveryStatusMapper {
    static func status(of job: DeliveryJob) -> DeliveryStatus {
        var status = DeliveryStatus(
            id: job.id, channel: job.channel, recipient: job.recipient, state: job.state.rawValue,
            attempts: job.attempts, lastStatus: job.lastStatus, lastError: job.lastError,
            misconfiguration: job.misconfiguration, nextAttemptAt: job.nextAttemptAt.map(Timestamp.iso),
            deliveredAt: job.deliveredAt.map(Timestamp.iso),
            timeToDeliverMillis: job.deliveredAt.map { Int64(($0.timeIntervalSince(job.createdAt) * 1000).rounded()) },
            receipt: job.receipt, acceptance: job.acceptance
        )
        status.lastLatencyMillis = job.lastLatencyMillis
        status.channelType = job.endpoint?.definition.type.rawValue
        status.errorKind = ErrorKind.of(error: job.lastError, status: job.lastStatus)
        return status
    }

    static func status(of record: DeliveryRecord) -> DeliveryStatus { status(of: record, type: nil) }

    /// - Parameter type: the channel's type, for the words of its receipt (``ProviderReceipt/acceptance(of:id:)``).
    static func status(of record: DeliveryRecord, type: ChannelType?) -> DeliveryStatus {
        var status = DeliveryStatus(
            id: record.id, channel: record.channel, recipient: record.recipient, state: record.state,
            attempts: record.attempts, lastStatus: record.lastStatus, lastError: record.lastError,
            misconfiguration: record.misconfiguration, nextAttemptAt: record.nextAttemptAt.map(Timestamp.iso(millis:)),
            deliveredAt: record.deliveredAt.map(Timestamp.iso(millis:)),
            timeToDeliverMillis: record.deliveredAt.map { $0 - record.createdAt },
            receipt: record.receipt, acceptance: acceptance(of: record, type: type)
        )
        status.channelType = type?.rawValue
        status.errorKind = ErrorKind.of(error: record.lastError, status: record.lastStatus)
        return status
    }

    /// The words of a delivered delivery's receipt; nil until it is delivered, or when its channel's type is unknown.
    static func acceptance(of record: DeliveryRecord, type: ChannelType?) -> String? {
        guard record.state == DeliveryState.delivered.rawValue, let type else { return nil }
        return ProviderReceipt.acceptance(of: type, id: record.receipt)
    }
}
