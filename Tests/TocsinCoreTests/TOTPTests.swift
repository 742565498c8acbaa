import Testing
import TocsinCore

struct TOTPTests {
    /// RFC 6238, appendix B: the SHA-1 seed is the ASCII "12345678901234567890", codes of 8 digits, 30 s steps.
    static let rfc = TOTP(secret: Array("12345678901234567890".utf8), digits: 8)

    @Test(arguments: [
        (Int64(59), "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
    ])
    func rfc6238Vectors(time: Int64, expected: String) {
        #expect(Self.rfc.code(at: time) == expected)
    }

    @Test func sixDigitCodesAreTheLastSixOfTheRFCs() {
        // HOTP truncates modulo 10^digits: six digits are the eight's last six (RFC 4226, section 5.3).
        let six = TOTP(secret: Array("12345678901234567890".utf8))
        #expect(six.code(at: 59) == "287082")
        #expect(six.code(at: 1_111_111_109) == "081804")
    }

    @Test func aCodeMatchesItsStepAndOneEitherSideOnly() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let now: Int64 = 1_700_000_000
        let step = totp.step(at: now)
        #expect(totp.matchingStep(of: totp.code(atStep: step), at: now) == step)
        #expect(totp.matchingStep(of: totp.code(atStep: step - 1), at: now) == step - 1, "a phone 30 s behind")
        #expect(totp.matchingStep(of: totp.code(atStep: step + 1), at: now) == step + 1, "a phone 30 s ahead")
        #expect(totp.matchingStep(of: totp.code(atStep: step - 2), at: now) == nil, "a minute old")
        #expect(totp.matchingStep(of: totp.code(atStep: step + 2), at: now) == nil)
    }

    @Test(arguments: ["", "12345", "1234567", "abcdef", "12 34 5"])
    func malformedCodesMatchNothing(typed: String) {
        #expect(Self.rfc.matchingStep(of: typed, at: 59) == nil)
    }

    @Test func spacesTypedInACodeAreIgnored() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        #expect(totp.matchingStep(of: "287 082", at: 59) == 1)
    }

    @Test func theProvisioningURINamesIssuerAccountAndTheSeedInBase32() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        #expect(totp.provisioningURI(account: "marie", issuer: "Cégep Tocsin")
            == "otpauth://totp/C%C3%A9gep%20Tocsin:marie?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=C%C3%A9gep%20Tocsin&algorithm=SHA1&digits=6&period=30")
    }
}

/// Each enrolment's secret is its own (issue 18, item 2).
struct TOTPSecretTests {
    @Test func eachNewSecretIsItsOwn160Bits() {
        let secrets = Set((0..<50).map { _ in TOTP.newSecret() })
        #expect(secrets.count == 50 && secrets.allSatisfy { $0.count == 20 })
    }
}

struct Base32Tests {
    /// RFC 4648, section 10, without the padding (otpauth URIs leave it out).
    @Test(arguments: [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI")])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(Base32.decode(encoded) == Array(plain.utf8))
    }

    @Test func decodingForgivesCaseSpacesAndPadding() {
        #expect(Base32.decode("mzxw 6ytb oi======") == Array("foobar".utf8))
    }

    @Test func decodingRefusesOtherCharacters() {
        #expect(Base32.decode("MZXW1") == nil, "1 is not in the alphabet (I and 1 are not confused)")
        #expect(Base32.decode("MZ-XW") == nil)
    }

    @Test func twentyRandomBytesRoundTrip() {
        var generator = SystemRandomNumberGenerator()
        let seed = (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(Base32.encode(seed).count == 32)
        #expect(Base32.decode(Base32.encode(seed)) == seed)
    }
}
