/// Comparison of secrets (a TOTP code, a CSRF token) in time that does not depend on where they differ, so that
/// timing a refusal tells an attacker nothing about how close a guess was. Lengths are not secret here.
public enum ConstantTime {
    public static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
