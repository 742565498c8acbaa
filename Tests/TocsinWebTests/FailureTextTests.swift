import Testing
import TocsinDisplay
import TocsinProtocol

/// A failure as the officer reads it on the console, in French first: curl's own words stay where only they say
/// what to fix, and the rest is hers.
struct FailureTextTests {
    static let tls = "TLS failure after 0.1 s (curl 60: SSL certificate problem: self-signed certificate); gave up after 1 attempt: the delivery deadline has passed"

    @Test func aTLSFailureThatRanOutOfTimeIsSaidInFrenchAroundCurlsWords() {
        let kind = ErrorKind.of(error: Self.tls, status: nil)
        #expect(kind == .tls)
        let french = FailureText.said(Self.tls, kind: kind, status: nil, channelType: "webhook", latencyMillis: 100, in: .fr)
        #expect(french == "échec TLS (certificat ou chiffrement) — détail en anglais : TLS failure after 0.1 s (curl 60: SSL certificate problem: self-signed certificate) ; abandon après 1 essai : le délai de livraison est passé")
        #expect(!french.contains("gave up"), "the ending is hers, not curl's")
        let english = FailureText.said(Self.tls, kind: kind, status: nil, channelType: "webhook", latencyMillis: 100, in: .en)
        #expect(english == Self.tls, "English reads as the daemon wrote it")
        #expect(ErrorKind.cause(in: "connection refused") == "connection refused", "no ending: the error whole")
    }
}
