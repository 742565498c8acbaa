import Foundation
import Synchronization
import Testing
import TocsinChannels
import TocsinCore
import TocsinTestSupport

/// The fit check encodes once per `payloadKey`: channels with byte-identical bodies are cut the same way.
struct FitCheckKeyTests {
    /// Twilio's real encoder, under a payload key shared by every channel, counting its encodes.
    final class Keyed: ChannelEndpoint {
        let inner: TwilioSMSEndpoint
        let encodes = Mutex(0)
        init(_ inner: TwilioSMSEndpoint) { self.inner = inner }
        var definition: ChannelDefinition { inner.definition }
        var payloadKey: String? { "sms|fr,en" }
        func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
            encodes.withLock { $0 += 1 }
            return try inner.encode(message)
        }
        func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
            inner.request(deliveryID: deliveryID, recipient: recipient, payload: payload, at: time)
        }
    }

    @Test func channelsSharingAPayloadKeyAreEachNamedButEncodedOnce() throws {
        let (template, definition, organization) = try ShortTextTests.tooLongForSMS()
        let alone = Keyed(try TwilioSMSEndpoint(definition, timeout: .seconds(5)))
        let one = FitCheck.cuts(of: template, on: [("sms-a", alone)], organization: organization)
        let shared = Keyed(try TwilioSMSEndpoint(definition, timeout: .seconds(5)))
        let three = FitCheck.cuts(of: template, on: [("sms-c", shared), ("sms-a", shared), ("sms-b", shared)], organization: organization)
        #expect(three.map(\.channel) == ["sms-a", "sms-b", "sms-c"])
        #expect(Set(three.map(\.note)) == Set(one.map(\.note)) && three.count == 3 * one.count)
        #expect(shared.encodes.withLock { $0 } == alone.encodes.withLock { $0 }, "one channel's encodes for three channels")
    }
}
