import Testing
import TocsinCore

struct SecretTests {
    static let value = "xoxb-super-secret-token-4242"

    @Test func interpolationHidesTheValue() {
        let secret = Secret(Self.value)
        #expect(!"\(secret)".contains(Self.value))
        #expect(!"token=\(secret)".contains("4242"))
    }

    @Test func describingAndReflectingHideTheValue() {
        let secret = Secret(Self.value)
        #expect(!String(describing: secret).contains(Self.value))
        #expect(!String(reflecting: secret).contains(Self.value))
        #expect(!"\([secret])".contains(Self.value))
        #expect(!"\(["key": secret])".contains(Self.value))
        #expect(!String(describing: Optional(secret)).contains(Self.value))
    }

    @Test func dumpHidesTheValue() {
        var output = ""
        dump(Secret(Self.value), to: &output)
        #expect(!output.contains(Self.value), "dump printed: \(output)")
    }

    @Test func dumpOfAContainingValueHidesIt() {
        struct Holder { var name = "ops"; var token = Secret(SecretTests.value) }
        var output = ""
        dump(Holder(), to: &output)
        #expect(!output.contains(Self.value), "dump printed: \(output)")
    }

    @Test func revealGivesTheValue() {
        #expect(Secret(Self.value).reveal() == Self.value)
        #expect(Secret("a") == Secret("a"))
        #expect(Secret("a") != Secret("b"))
    }
}
