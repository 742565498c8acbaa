import Foundation
import Testing
import TocsinCore
import TocsinStore

/// The web console's users as every backend keeps them (issue 18): each change commits with its audit entry, or
/// neither is stored.
extension StoreConformanceTests {
    static func webUser(_ name: String, hash: String = "$2b$12$" + String(repeating: "a", count: 53), seed: UInt8 = 1, at time: Int64 = Records.baseTime) -> WebUserRecord {
        WebUserRecord(
            name: name, passwordHash: hash, sealedSeed: Data([seed, 0, 255] + Array(repeating: seed, count: 29)),
            seedKeyID: "0a1b2c3d", createdAt: time, updatedAt: time
        )
    }

    static func change(_ change: WebUserChange, at time: Int64 = Records.baseTime) -> StoreWrite {
        var write = StoreWrite(audit: [AuditEvent(timeMillis: time, kind: "web-user.change", actorUID: 0, subject: change.name, detail: "{}")])
        write.webUsers = [change]
        return write
    }

    @Test(arguments: Backend.all)
    func webUsersAreAddedResetUnlockedAndRemovedEachWithItsAuditEntry(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await store.commit(Self.change(.add(Self.webUser("marie"))))
            try await store.commit(Self.change(.add(Self.webUser("amelie", seed: 2))))
            #expect(try await store.webUsers().map(\.name) == ["amelie", "marie"])
            #expect(try await store.webUsers().last == Self.webUser("marie"), "every field reads back, bytes of the seal included")

            // A name taken, or none to change: the commit fails whole, its audit entry with it.
            let before = try await store.auditHead()
            for failing in [WebUserChange.add(Self.webUser("marie", seed: 9)), .reset(Self.webUser("nobody")), .remove(name: "nobody"), .unlock(name: "nobody", at: 1)] {
                await #expect {
                    try await store.commit(Self.change(failing))
                } throws: { error in
                    (error as? StoreError)?.code == .constraint && "\(error)".contains(failing.name)
                }
            }
            #expect(try await store.auditHead() == before)
            #expect(try await store.webUsers().last == Self.webUser("marie"), "the taken name kept its own secrets")

            // Locked out, then unlocked by an approver.
            try await database.sql(
                "UPDATE web_user SET failures = 9, lastFailureAt = 5, lastTOTPStep = 7 WHERE name = 'marie'",
                postgres: "UPDATE web_user SET failures = 9, last_failure_at = 5, last_totp_step = 7 WHERE name = 'marie'"
            )
            try await store.commit(Self.change(.unlock(name: "marie", at: Records.baseTime + 10)))
            var marie = try #require(try await store.webUsers().last)
            #expect(marie.failures == 0 && marie.lastFailureAt == 0 && marie.updatedAt == Records.baseTime + 10)
            #expect(marie.lastTOTPStep == 7, "an unlock does not make a used code usable again")

            // A reset: new secrets, the throttle and the TOTP step start again, the creation time stays.
            try await database.sql(
                "UPDATE web_user SET failures = 4 WHERE name = 'marie'", postgres: "UPDATE web_user SET failures = 4 WHERE name = 'marie'"
            )
            try await store.commit(Self.change(.reset(Self.webUser("marie", hash: "$2b$12$" + String(repeating: "b", count: 53), seed: 3, at: Records.baseTime + 20))))
            marie = try #require(try await store.webUsers().last)
            #expect(marie.passwordHash.hasSuffix("bbb") && marie.sealedSeed.first == 3)
            #expect(marie.failures == 0 && marie.lastTOTPStep == nil)
            #expect(marie.createdAt == Records.baseTime && marie.updatedAt == Records.baseTime + 20)

            try await store.commit(Self.change(.remove(name: "amelie")))
            #expect(try await store.webUsers().map(\.name) == ["marie"])
            #expect(try await store.verifyAudit().checked == 5, "one entry per change made")
            // Nothing secret in what a log line would print.
            #expect(!"\(marie)".contains("$2b$") && !String(reflecting: marie).contains("$2b$"))
        }
        await database.remove()
    }

    /// Sign-ins as the daemon records them: failures counted in the database (two nodes failing at once count two),
    /// forgotten after a quiet day; a TOTP step accepted once, whichever node asks, even when two ask at once.
    @Test(arguments: Backend.all)
    func failedSignInsAreCountedAndACodeIsAcceptedOnce(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await store.commit(Self.change(.add(Self.webUser("marie"))))
            #expect(try await store.webUser(named: "marie") == Self.webUser("marie"))
            #expect(try await store.webUser(named: "amelie") == nil)

            let t = Records.baseTime
            for (offset, failure) in [(1, 1), (2, 2), (3, 3)] {
                try await store.commit(Self.change(.signInFailed(name: "marie", at: t + Int64(offset), forgetBefore: t - 1_000)))
                #expect(try await store.webUser(named: "marie")?.failures == failure)
            }
            // Two failures committed at once (two nodes, two attackers' requests): both count.
            async let first: Void = store.commit(Self.change(.signInFailed(name: "marie", at: t + 4, forgetBefore: t - 1_000)))
            async let second: Void = store.commit(Self.change(.signInFailed(name: "marie", at: t + 5, forgetBefore: t - 1_000)))
            _ = try await (first, second)
            #expect(try await store.webUser(named: "marie")?.failures == 5)
            // A failure long after the last one starts the count again.
            try await store.commit(Self.change(.signInFailed(name: "marie", at: t + 100_000, forgetBefore: t + 50)))
            var marie = try #require(try await store.webUser(named: "marie"))
            #expect(marie.failures == 1 && marie.lastFailureAt == t + 100_000)

            // A code accepted clears the count and keeps its step; the same step, or an older one, is refused, the
            // commit failing whole (its audit entry with it).
            // A step-up's code leaves the failed sign-ins; a sign-in's clears them.
            try await store.commit(Self.change(.codeAccepted(name: "marie", step: 999, clearsFailures: false)))
            marie = try #require(try await store.webUser(named: "marie"))
            #expect(marie.failures == 1 && marie.lastTOTPStep == 999)
            try await store.commit(Self.change(.codeAccepted(name: "marie", step: 1_000, clearsFailures: true)))
            marie = try #require(try await store.webUser(named: "marie"))
            #expect(marie.failures == 0 && marie.lastFailureAt == 0 && marie.lastTOTPStep == 1_000)
            let head = try await store.auditHead()
            for replay in [Int64(1_000), 998] {
                await #expect {
                    try await store.commit(Self.change(.codeAccepted(name: "marie", step: replay, clearsFailures: true)))
                } throws: { error in
                    (error as? StoreError)?.code == .constraint && "\(error)".contains("used already")
                }
            }
            #expect(try await store.auditHead() == head)
            // The same new code offered twice at once (a replay racing the real sign-in): one wins.
            @Sendable func accepted(_ step: Int64) async -> Bool {
                do { try await store.commit(Self.change(.codeAccepted(name: "marie", step: step, clearsFailures: true))); return true } catch { return false }
            }
            async let a = accepted(1_001)
            async let b = accepted(1_001)
            let outcomes = await [a, b]
            #expect(outcomes.filter { $0 }.count == 1, "exactly one of two concurrent uses of a code is accepted")
            await #expect(throws: StoreError.self) {
                try await store.commit(Self.change(.signInFailed(name: "amelie", at: t, forgetBefore: 0)))
            }
        }
        await database.remove()
    }
}
