import Foundation
import Testing
import TocsinCore
import TocsinStore

struct SQLiteStoreTests {
    @Test func createsTheStateFolderAndAnEmptyChain() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let path = (folder.path as NSString).appendingPathComponent("state/nested/tocsin.db")
        let store = try SQLiteStore(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try await store.auditHead() == .empty)
        let verification = try await store.verifyAudit()
        #expect(verification == AuditVerification(checked: 0, head: .empty, problem: nil))
    }

    @Test func committedIncidentReadsBack() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        let incident = Records.incident("20261123-K7QF2A")
        let payloads = [Records.payload(incident.id, channel: "ops"), Records.payload(incident.id, channel: "sms")]
        let deliveries = [
            Records.delivery("msg_a", incident: incident.id, channel: "ops"),
            Records.delivery("msg_b", incident: incident.id, channel: "sms", recipient: "+15145551234"),
            Records.delivery("msg_c", incident: incident.id, channel: "sms", recipient: "+14185550000"),
        ]
        try await store.commit(StoreWrite(
            incidents: [incident], payloads: payloads, deliveries: deliveries, audit: [Records.event(incident.id)]
        ))

        #expect(try await store.incident(incident.id) == incident)
        #expect(try await store.incident("20261123-NOPE00") == nil)
        #expect(Set(try await store.deliveries(ofIncident: incident.id)) == Set(deliveries))
        let keys: Set = [PayloadKey(incidentID: incident.id, channel: "ops"), PayloadKey(incidentID: incident.id, channel: "sms")]
        let stored = try await store.payloads(for: keys)
        #expect(stored[PayloadKey(incidentID: incident.id, channel: "sms")] == payloads[1])
        #expect(stored[PayloadKey(incidentID: incident.id, channel: "ops")]?.body == payloads[0].body)

        let entries = try await store.auditEntries(afterSeq: 0, limit: 10, subject: nil, newest: false)
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(entry.seq == 1)
        #expect(entry.prevHash == AuditEntry.genesisHash)
        #expect(entry.kind == "incident.create")
        #expect(entry.subject == incident.id)
        #expect(entry.actorUID == 1000)
        #expect(entry.hash == entry.computedHash())
        #expect(try await store.auditHead() == AuditHead(seq: 1, hash: entry.hash))
    }

    @Test func attemptsAndUpdatesAreStored() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        try await store.commit(Records.send("20261123-AAAAAA", delivery: "msg_1"))
        let attempt = AttemptRecord(
            deliveryID: "msg_1", number: 1, startedAt: Records.baseTime + 10, latencyMillis: 120, httpStatus: 503,
            error: nil, outcome: "retrying"
        )
        let update = DeliveryUpdate(
            id: "msg_1", state: .retrying, attempts: 1, nextAttemptAt: Records.baseTime + 1000, lastStatus: 503,
            lastError: "HTTP 503", misconfiguration: false, deliveredAt: nil, updatedAt: Records.baseTime + 130
        )
        try await store.commit(StoreWrite(attempts: [attempt], updates: [update], audit: [Records.event("msg_1", kind: "delivery.attempt")]))

        #expect(try await store.attempts(ofIncident: "20261123-AAAAAA") == [attempt])
        let delivery = try #require(try await store.deliveries(ofIncident: "20261123-AAAAAA").first)
        #expect(delivery.state == "retrying")
        #expect(delivery.attempts == 1)
        #expect(delivery.nextAttemptAt == Records.baseTime + 1000)
        #expect(delivery.lastStatus == 503)
        #expect(delivery.lastError == "HTTP 503")
        #expect(delivery.updatedAt == Records.baseTime + 130)
        #expect(try await store.auditHead().seq == 2)
    }

    @Test func recentIncidentsAndApprovalsComeNewestFirst() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        for index in 0..<3 {
            try await store.commit(Records.send("20261123-00000\(index)", at: Records.baseTime + Int64(index) * 1000))
        }
        let approvals = (0..<2).map {
            ApprovalRecord(templateID: "evacuation", contentHash: "h\($0)", approverUID: 1001, approverName: "mtremblay", approvedAt: Records.baseTime + Int64($0))
        }
        try await store.commit(StoreWrite(approvals: approvals, audit: [Records.event("evacuation", kind: "template.approve")]))

        #expect(try await store.recentIncidents(limit: 2).map(\.id) == ["20261123-000002", "20261123-000001"])
        #expect(try await store.approvals(ofTemplate: "evacuation").map(\.contentHash) == ["h1", "h0"])
        #expect(try await store.approvals(ofTemplate: "lockdown").isEmpty)
    }

    @Test func auditEntriesFilterBySubjectAndPage() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        try await Records.auditOnly(store, count: 6)
        try await store.commit(StoreWrite(audit: [Records.event("e2", kind: "delivery.attempt")]))

        #expect(try await store.auditEntries(afterSeq: 2, limit: 3, subject: nil, newest: false).map(\.seq) == [3, 4, 5])
        #expect(try await store.auditEntries(afterSeq: 0, limit: 10, subject: "e2", newest: false).map(\.seq) == [2, 7])
        #expect(try await store.auditEntries(afterSeq: 0, limit: 2, subject: nil, newest: true).map(\.seq).count == 2)
        #expect(try await store.auditEntries(afterSeq: 0, limit: 1, subject: "e2", newest: true).map(\.seq) == [7], "the newest, in order")
    }

    @Test func twoHundredConcurrentCommitsMakeOneContiguousChain() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        let count = 200
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await store.commit(Records.send("20261123-C\(index)", at: Records.baseTime + Int64(index)))
                }
            }
            try await group.waitForAll()
        }

        let head = try await store.auditHead()
        #expect(head.seq == Int64(count))
        let entries = try await store.auditEntries(afterSeq: 0, limit: count + 10, subject: nil, newest: false)
        #expect(entries.map(\.seq) == Array(1...Int64(count)))
        #expect(Set(entries.map(\.subject)).count == count)
        for (previous, entry) in zip(entries, entries.dropFirst()) where entry.prevHash != previous.hash {
            Issue.record("entry \(entry.seq) does not link to entry \(previous.seq)")
        }
        #expect(entries.last?.hash == head.hash)
        let verification = try await store.verifyAudit()
        #expect(verification.problem == nil)
        #expect(verification.checked == Int64(count))
        #expect(verification.head == head)
        #expect(try await store.recentIncidents(limit: 1000).count == count)
        #expect(try await store.unfinishedDeliveries().count == count)
    }

    @Test(arguments: [
        "detail = '{\"route\":\"staff\"}'", "kind = 'config.load'", "timeMillis = timeMillis + 1", "actorUID = 0",
        "actorPID = NULL", "subject = 'e9'", "hash = '" + String(repeating: "f", count: 64) + "'",
    ])
    func editedAuditRowIsNamed(assignment: String) async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        try await Records.auditOnly(store, count: 5)
        #expect(try await store.verifyAudit().problem == nil)

        try await folder.sqlite("UPDATE audit SET \(assignment) WHERE seq = 3")

        let verification = try await store.verifyAudit()
        #expect(verification.problem == .edited(seq: 3))
        #expect(verification.checked == 2)
        #expect(verification.head.seq == 2)
    }

    @Test func rewrittenLinkIsNamed() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        try await Records.auditOnly(store, count: 5)
        try await folder.sqlite("UPDATE audit SET prevHash = (SELECT prevHash FROM audit WHERE seq = 2) WHERE seq = 4")
        #expect(try await store.verifyAudit().problem == .unlinked(seq: 4))
    }

    @Test func deletedMiddleRowIsAGap() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        try await Records.auditOnly(store, count: 5)
        try await folder.sqlite("DELETE FROM audit WHERE seq = 3")

        let verification = try await store.verifyAudit()
        #expect(verification.problem == .gap(expected: 3, found: 4))
        #expect(verification.checked == 2)
    }

    @Test func deletedLastRowsAreATruncation() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        try await Records.auditOnly(store, count: 5)
        try await folder.sqlite("DELETE FROM audit WHERE seq > 3")
        #expect(try await folder.sqlite("SELECT count(*) FROM audit") == "3")

        let verification = try await store.verifyAudit()
        #expect(verification.problem == .truncated(lastSeq: 3, expected: 5))
        #expect(verification.problem?.seq == 4)
        #expect(verification.checked == 3)
    }

    @Test func failingBatchLeavesTheChainAloneAndTheStoreUsable() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        try await store.commit(Records.send("20261123-AAAAAA"))
        let before = try await store.auditHead()

        // A new incident whose delivery points to an incident that does not exist: the whole batch must go.
        var bad = Records.send("20261123-BBBBBB")
        bad.deliveries.append(Records.delivery("msg_orphan", incident: "20261123-NOSUCH"))
        await #expect {
            try await store.commit(bad)
        } throws: { error in
            (error as? StoreError)?.code == .constraint
        }

        #expect(try await store.auditHead() == before)
        #expect(try await store.incident("20261123-BBBBBB") == nil)
        #expect(try await folder.sqlite("SELECT count(*) FROM audit") == "1")

        try await store.commit(Records.send("20261123-CCCCCC"))
        let after = try await store.auditHead()
        #expect(after.seq == 2)
        let entries = try await store.auditEntries(afterSeq: 0, limit: 10, subject: nil, newest: false)
        #expect(entries.map(\.subject) == ["20261123-AAAAAA", "20261123-CCCCCC"])
        #expect(entries.last?.prevHash == before.hash)
        #expect(try await store.verifyAudit().problem == nil)
    }

    @Test func duplicateDeliveryIDIsAConstraintError() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        try await store.commit(Records.send("20261123-AAAAAA", delivery: "msg_same"))
        await #expect {
            try await store.commit(Records.send("20261123-BBBBBB", delivery: "msg_same"))
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .constraint && error.message.hasPrefix("cannot save to the state database")
        }
        #expect(try await store.verifyAudit() == AuditVerification(checked: 1, head: try await store.auditHead(), problem: nil))
    }

    @Test func unfinishedDeliveriesAreTheNonFinalOnes() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        let incident = "20261123-AAAAAA"
        let deliveries = DeliveryState.allCases.enumerated().map { index, state in
            Records.delivery("msg_\(state.rawValue)", incident: incident, recipient: "r\(index)", state: state, at: Records.baseTime + Int64(index))
        }
        try await store.commit(StoreWrite(incidents: [Records.incident(incident)], payloads: [Records.payload(incident)], deliveries: deliveries))

        let unfinished = try await store.unfinishedDeliveries()
        #expect(unfinished.map(\.id) == ["msg_pending", "msg_sending", "msg_retrying"])

        // A delivery that becomes final leaves the list.
        try await store.commit(StoreWrite(updates: [DeliveryUpdate(
            id: "msg_sending", state: .delivered, attempts: 1, nextAttemptAt: nil, lastStatus: 200, lastError: nil,
            misconfiguration: false, deliveredAt: Records.baseTime + 99, updatedAt: Records.baseTime + 99
        )]))
        #expect(try await store.unfinishedDeliveries().map(\.id) == ["msg_pending", "msg_retrying"])
    }

    @Test func reopeningKeepsTheAuditHead() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        var head = AuditHead.empty
        do {
            let store = try SQLiteStore(path: folder.database)
            try await Records.auditOnly(store, count: 4)
            head = try await store.auditHead()
        }
        let reopened = try SQLiteStore(path: folder.database)
        #expect(try await reopened.auditHead() == head)
        #expect(head.seq == 4)

        try await reopened.commit(StoreWrite(audit: [Records.event("after-restart", kind: "config.load")]))
        let last = try #require(try await reopened.auditEntries(afterSeq: 4, limit: 10, subject: nil, newest: false).first)
        #expect(last.seq == 5)
        #expect(last.prevHash == head.hash)
        let verification = try await reopened.verifyAudit()
        #expect(verification.problem == nil)
        #expect(verification.checked == 5)
    }

    @Test func fileThatIsNotADatabaseIsRefusedWithAdvice() throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let text = String(repeating: "This is not an SQLite database, just a text file.\n", count: 200)
        try text.write(toFile: folder.database, atomically: true, encoding: .utf8)

        #expect {
            _ = try SQLiteStore(path: folder.database)
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return (error.code == .corrupt || error.code == .open)
                && error.message.contains(folder.database)
                && error.message.contains("restore it from a backup")
        }
        // The damaged file is left as it was, for the operator to inspect.
        #expect(try String(contentsOfFile: folder.database, encoding: .utf8) == text)
    }
}
