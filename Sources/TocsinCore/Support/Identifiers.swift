public import Foundation
import TocsinText

/// Identifiers for incidents and deliveries.
///
/// Incident ids are short enough to type under stress (`20261123-K7QF2A`); delivery ids carry
/// 130 random bits because they are the Standard Webhooks `webhook-id` receivers deduplicate on.
public enum Identifiers {
    // Crockford's base32: no I, L, O, U, so ids read aloud over a phone are not misheard.

    public static func incidentID(at date: Date, using generator: inout some RandomNumberGenerator) -> String {
        "\(dayStamp(date))-\(randomBase32(count: 6, using: &generator))"
    }

    public static func deliveryID(using generator: inout some RandomNumberGenerator) -> String {
        "msg_" + randomBase32(count: 26, using: &generator, lowercase: true)
    }

    private static let lowercaseAlphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    private static let uppercaseAlphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// `count` characters, 5 random bits each, drawn 60 bits at a time: one `getrandom` call per 12 characters
    /// rather than one per character (a 10,000-recipient send makes 10,000 ids).
    public static func randomBase32(count: Int, using generator: inout some RandomNumberGenerator, lowercase: Bool = false) -> String {
        let table = lowercase ? lowercaseAlphabet : uppercaseAlphabet
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        var bits: UInt64 = 0, left = 0
        while bytes.count < count {
            if left < 5 {
                bits = generator.next()
                left = 60
            }
            bytes.append(table[Int(bits & 31)])
            bits >>= 5
            left -= 5
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func dayStamp(_ date: Date) -> String {
        UTCTime.dayStamp(millis: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
