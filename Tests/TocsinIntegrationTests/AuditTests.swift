import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// The audit log is hash-chained: an edit or deletion made straight in the SQLite file is found and named.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct AuditTests {
    private func sqlite(_ database: String, _ sql: String) async throws {
        let result = try await runCommand("/usr/bin/sqlite3", [database, sql])
        #expect(result.status == 0, "\(result)")
    }

    private func makeBedWithHistory() async throws -> TestBed {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        _ = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes")
        return bed
    }

    @Test func anIntactChainVerifiesAndRecordsWhoDidWhat() async throws {
        let bed = try await makeBedWithHistory()
        defer { bed.tearDown() }
        let verify = try await bed.daemon.ctl("audit", "verify")
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.contains("Audit chain intact"))
        let kinds = try await bed.daemon.ctl("audit", "log", "--json").jsonLines.compactMap { $0["kind"] as? String }
        for kind in ["config.load", "admin.request", "template.approve", "incident.create", "delivery.attempt", "delivery.final"] {
            #expect(kinds.contains(kind), "audit has \(kind)")
        }
        let requests = try await bed.daemon.ctl("audit", "log", "--json").jsonLines.filter { $0["kind"] as? String == "admin.request" }
        #expect(requests.allSatisfy { $0["uid"] != nil && $0["pid"] != nil }, "every admin request carries the caller's uid and pid")
    }

    @Test func anEditedEntryIsNamed() async throws {
        let bed = try await makeBedWithHistory()
        defer { bed.tearDown() }
        try await sqlite(bed.daemon.databasePath, "UPDATE audit SET detail = replace(detail, '}', ',\"note\":\"edited\"}') WHERE seq = 3")
        let verify = try await bed.daemon.ctl("audit", "verify", "--json")
        #expect(verify.status == 1)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        #expect(result["intact"] as? Bool == false)
        #expect(result["brokenSeq"] as? Int == 3)
        let text = try await bed.daemon.ctl("audit", "verify")
        #expect(text.stdout.contains("AUDIT CHAIN BROKEN at entry 3"))
    }

    @Test func aDeletedEntryIsNamed() async throws {
        let bed = try await makeBedWithHistory()
        defer { bed.tearDown() }
        try await sqlite(bed.daemon.databasePath, "DELETE FROM audit WHERE seq = 4")
        let verify = try await bed.daemon.ctl("audit", "verify")
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("entry 4 is missing"))
    }

    @Test func deletingTheNewestEntriesIsNoticed() async throws {
        let bed = try await makeBedWithHistory()
        defer { bed.tearDown() }
        try await sqlite(bed.daemon.databasePath, "DELETE FROM audit WHERE seq > 5")
        let verify = try await bed.daemon.ctl("audit", "verify")
        #expect(verify.status == 1, "\(verify)")
        #expect(verify.stdout.contains("were deleted"))
    }
}
