import Foundation
import Testing
import TocsinCore

struct WebhookSignerTests {
    // The Standard Webhooks published test vector (the reference libraries' tests; the same value comes out of
    // the `standardwebhooks` PyPI package: Webhook(secret).sign(id, datetime.fromtimestamp(1614265330), body)).
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let body = #"{"test": 2432232314}"#
    static let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    @Test func matchesThePublishedTestVector() throws {
        let signer = try WebhookSigner(secret: Secret(Self.secret))
        #expect(signer.signature(id: Self.id, timestamp: Self.timestamp, body: Array(Self.body.utf8)) == Self.expected)
        #expect(signer.signature(id: Self.id, timestamp: Self.timestamp, body: Data(Self.body.utf8)) == Self.expected)
    }

    @Test func prefixIsOptional() throws {
        let signer = try WebhookSigner(secret: Secret(String(Self.secret.dropFirst("whsec_".count))))
        #expect(signer.signature(id: Self.id, timestamp: Self.timestamp, body: Array(Self.body.utf8)) == Self.expected)
    }

    @Test func everySignedPartMatters() throws {
        let signer = try WebhookSigner(secret: Secret(Self.secret))
        let body = Array(Self.body.utf8)
        #expect(signer.signature(id: "msg_other", timestamp: Self.timestamp, body: body) != Self.expected)
        #expect(signer.signature(id: Self.id, timestamp: Self.timestamp + 1, body: body) != Self.expected)
        #expect(signer.signature(id: Self.id, timestamp: Self.timestamp, body: body + [0x20]) != Self.expected)
        let other = try WebhookSigner(secret: Secret("whsec_" + Data(repeating: 7, count: 32).base64EncodedString()))
        #expect(other.signature(id: Self.id, timestamp: Self.timestamp, body: body) != Self.expected)
    }

    @Test(arguments: ["", "whsec_", "whsec_not base64!", "hunter2", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "whsec_%%%%"])
    func invalidSecretThrowsWithoutShowingIt(text: String) {
        #expect {
            _ = try WebhookSigner(secret: Secret(text))
        } throws: { error in
            guard let error = error as? WebhookSignerError else { return false }
            return error.description.contains("whsec_") && (text.count < 8 || !error.description.contains(text))
        }
    }
}
