import Foundation
import Testing
import TocsinCore

struct SeedSealerTests {
    static let key = Data((0..<32).map { UInt8($0) })

    @Test func aSealOpensForItsUserWithItsKey() throws {
        let sealer = try SeedSealer(keyFile: Self.key)
        let seed = Array("12345678901234567890".utf8)
        let sealed = try sealer.seal(seed, for: "marie")
        #expect(!sealed.contains(seed), "the seed is not in the seal in clear")
        #expect(try sealer.open(sealed, for: "marie") == seed)
        #expect(try sealer.seal(seed, for: "marie") != sealed, "a fresh nonce each time")
    }

    @Test func aKeyInBase64ReadsAsTheSameKey() throws {
        let text = Data((Self.key.base64EncodedString() + "\n").utf8)
        let sealed = try SeedSealer(keyFile: Self.key).seal([1, 2, 3], for: "marie")
        #expect(try SeedSealer(keyFile: text).open(sealed, for: "marie") == [1, 2, 3])
        #expect(try SeedSealer(keyFile: text).keyID == SeedSealer(keyFile: Self.key).keyID)
    }

    /// The insider with the database: a seal moved to another user's row, an edited byte, another key.
    @Test func aSealMovedEditedOrUnderAnotherKeyDoesNotOpen() throws {
        let sealer = try SeedSealer(keyFile: Self.key)
        let sealed = try sealer.seal(Array("secret-seed".utf8), for: "marie")
        #expect(throws: SeedSealer.Problem.self) { try sealer.open(sealed, for: "paul") }
        var edited = sealed
        edited[edited.count / 2] ^= 0x01
        #expect(throws: SeedSealer.Problem.self) { try sealer.open(edited, for: "marie") }
        let other = try SeedSealer(keyFile: Data(repeating: 7, count: 32))
        do {
            _ = try other.open(sealed, for: "marie")
            Issue.record("opened under another key")
        } catch {
            #expect(error.description.contains("web-users reset marie"), "\(error)")
            #expect(!error.description.contains("secret-seed"))
        }
    }

    @Test func aKeyOfTheWrongSizeIsRefusedWithHowToMakeOne() {
        do {
            _ = try SeedSealer(keyFile: Data("short".utf8))
            Issue.record("accepted a 5-byte key")
        } catch {
            #expect(error.description.contains("openssl rand -base64 32"), "\(error)")
        }
    }

    @Test func theKeyNeverShowsInADescription() throws {
        let sealer = try SeedSealer(keyFile: Self.key)
        for text in [String(describing: sealer), String(reflecting: sealer), "\(Mirror(reflecting: sealer).children.map { "\($0.value)" })"] {
            #expect(!text.contains(Self.key.base64EncodedString()) && !text.contains("0102030405"), "\(text)")
        }
    }
}

struct SignInThrottleTests {
    let throttle = SignInThrottle(freeFailures: 3, firstDelayMillis: 1_000, longestMillis: 60_000, forgetAfterMillis: 3_600_000)

    @Test func theFirstFailuresAreFreeThenEachDoublesTheWaitUpToTheLockOut() {
        #expect((0...10).map { throttle.delayMillis(afterFailures: $0) } == [0, 0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000])
        #expect(throttle.delayMillis(afterFailures: 10_000) == 60_000, "no overflow")
    }

    @Test func aTryIsRefusedUntilTheWaitHasPassed() {
        var record = SignInThrottle.Record.clean
        for second in 0..<3 {
            record = throttle.failed(record, now: Int64(second) * 1_000)
            #expect(throttle.nextTryMillis(record, now: Int64(second) * 1_000) == nil, "a mistyped password under stress costs nothing")
        }
        record = throttle.failed(record, now: 10_000)
        #expect(throttle.nextTryMillis(record, now: 10_500) == 11_000)
        #expect(throttle.nextTryMillis(record, now: 11_000) == nil)
        #expect(!throttle.isLockedOut(record, now: 10_500))
    }

    @Test func enoughFailuresLockOutUntilTheLongestWaitPassesOrTheRecordIsCleared() {
        var record = SignInThrottle.Record.clean
        for index in 0..<10 { record = throttle.failed(record, now: Int64(index)) }
        #expect(throttle.isLockedOut(record, now: 100))
        #expect(throttle.nextTryMillis(record, now: 100) == Int64(60_009))
        #expect(!throttle.isLockedOut(record, now: 9 + 60_000), "the lock-out ends by itself")
        // An approver's unlock, or a success, is the clean record.
        #expect(throttle.nextTryMillis(.clean, now: 100) == nil)
    }

    @Test func anOldRecordIsForgotten() {
        var record = SignInThrottle.Record.clean
        for index in 0..<6 { record = throttle.failed(record, now: Int64(index)) }
        #expect(throttle.current(record, now: 3_600_005) == .clean)
        #expect(throttle.failed(record, now: 3_600_005) == SignInThrottle.Record(failures: 1, lastFailureMillis: 3_600_005))
    }
}

