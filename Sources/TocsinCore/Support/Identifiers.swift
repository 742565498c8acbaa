import Foundation

/// Identifiers for incidents and deliveries.
///
/// Incident ids are short enough to type under stress (`20261123-K7QF2A`); delivery ids carry
/// 130 random bits because they are the Standard Webhooks `webhook-id` receivers deduplicate on.
public enum Identifiers {
    // Crockford's base32: no I, L, O, U, so ids read aloud over a phone are not misheard.
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    public static func incidentID(at date: Date, using generator: inout some RandomNumberGenerator) -> String {
        "\(dayStamp(date))-\(randomBase32(count: 6, using: &generator))"
    }

    public static func deliveryID(using generator: inout some RandomNumberGenerator) -> String {
        "msg_" + randomBase32(count: 26, using: &generator).lowercased()
    }

    public static func randomBase32(count: Int, using generator: inout some RandomNumberGenerator) -> String {
        var characters = [Character]()
        characters.reserveCapacity(count)
        for _ in 0..<count { characters.append(alphabet[Int(generator.next(upperBound: UInt8(32)))]) }
        return String(characters)
    }

    private static func dayStamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
