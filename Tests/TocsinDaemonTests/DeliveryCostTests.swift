import Testing
import TocsinChannels
import TocsinCore

@testable import TocsinDaemon

/// SMS pacing per segment (issue 15, item 6): an SMS attempt spends its segments of the channel's `rate_limit`,
/// as Twilio meters them; anything else spends 1.
struct DeliveryCostTests {
    static func payload(_ text: String) -> EncodedPayload { EncodedPayload(contentType: "text/plain; charset=utf-8", body: Array(text.utf8)) }

    @Test func anSMSCostsItsSegments() {
        #expect(DeliveryJob.cost(of: Self.payload("Évacuez le pavillon A."), type: .twilioSMS) == 1)
        #expect(DeliveryJob.cost(of: Self.payload(String(repeating: "a", count: 161)), type: .twilioSMS) == 2)
        // One "ê" makes the whole message UCS-2: 67 characters a segment.
        #expect(DeliveryJob.cost(of: Self.payload("ê" + String(repeating: "a", count: 140)), type: .twilioSMS) == 3)
    }

    @Test func otherChannelsCostOnePerAttempt() {
        #expect(DeliveryJob.cost(of: Self.payload(String(repeating: "a", count: 2000)), type: .webhook) == 1)
        #expect(DeliveryJob.cost(of: Self.payload(String(repeating: "a", count: 2000)), type: nil) == 1)
    }
}
