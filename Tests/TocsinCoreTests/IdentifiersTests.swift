import Foundation
import Testing
import TocsinCore
import TocsinTestSupport

struct IdentifiersTests {
    static let crockford = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    /// 2026-11-23T16:40:42Z.
    static let date = Date(timeIntervalSince1970: 1_795_452_042)

    @Test(arguments: [UInt64(0), 1, 42, 0xDEAD_BEEF, .max])
    func incidentIDIsTheUTCDayAndSixCrockfordCharacters(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let id = Identifiers.incidentID(at: Self.date, using: &generator)
        #expect(id.count == 15)
        #expect(id.hasPrefix("20261123-"))
        #expect(id.dropFirst(9).allSatisfy(Self.crockford.contains))
    }

    @Test func incidentIDDayIsUTC() {
        var generator = SeededGenerator(seed: 1)
        // 2026-01-01T00:30:00Z is still 2025-12-31 in Montréal: the id follows UTC whatever the machine's zone.
        let id = Identifiers.incidentID(at: Date(timeIntervalSince1970: 1_767_227_400), using: &generator)
        #expect(id.hasPrefix("20260101-"))
    }

    @Test(arguments: [UInt64(0), 7, 1234, .max])
    func deliveryIDIsMsgAndTwentySixLowercaseCharacters(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let id = Identifiers.deliveryID(using: &generator)
        #expect(id.hasPrefix("msg_"))
        #expect(id.count == 30)
        #expect(id.dropFirst(4).allSatisfy { Self.crockford.contains(Character($0.uppercased())) && !$0.isUppercase })
    }

    @Test func sameSeedGivesSameIDs() {
        var one = SeededGenerator(seed: 99), two = SeededGenerator(seed: 99)
        #expect(Identifiers.incidentID(at: Self.date, using: &one) == Identifiers.incidentID(at: Self.date, using: &two))
        #expect(Identifiers.deliveryID(using: &one) == Identifiers.deliveryID(using: &two))
    }

    @Test func differentSeedsGiveDifferentIDs() {
        var one = SeededGenerator(seed: 1), two = SeededGenerator(seed: 2)
        #expect(Identifiers.deliveryID(using: &one) != Identifiers.deliveryID(using: &two))
    }

    @Test func successiveDrawsDiffer() {
        var generator = SeededGenerator(seed: 5)
        let ids = (0..<1000).map { _ in Identifiers.deliveryID(using: &generator) }
        #expect(Set(ids).count == 1000)
    }

    @Test func everyCrockfordCharacterIsUsedAndNoOther() {
        var generator = SeededGenerator(seed: 3)
        let text = Identifiers.randomBase32(count: 4000, using: &generator)
        #expect(Set(text) == Self.crockford)
        #expect(!text.contains { "ILOU".contains($0) })
    }
}
