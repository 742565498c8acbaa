import Testing
import TocsinAudit

/// Hashes are stored and compared as lower-case hex: approvals hold templates' content hashes, the audit chain its
/// entries' hashes. The form must never change.
struct HexTests {
    @Test func bytesAreTwoLowerCaseDigitsEach() {
        #expect([UInt8]().hexString == "")
        #expect([0x00, 0x0f, 0xa0, 0xff, 0x5c].hexString == "000fa0ff5c")
        #expect((0...255).map(UInt8.init).hexString.count == 512)
    }

    /// A digest's hex, read from its own bytes: the known SHA-256 of "abc" and of nothing.
    @Test func aDigestIsItsKnownHex() {
        #expect(Digest.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
