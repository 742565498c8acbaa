import Foundation
import Testing
import TocsinAudit
import TocsinCore
import TocsinStore

/// What every `Store` must do, run on SQLite and on a real PostgreSQL (the protocol's cases of SQLiteStoreTests,
/// ReopenStoreTests, ProviderReceiptStoreTests, SharedPayloadTests and CheckpointStoreTests; SQLite's file, pragma and
/// migration cases stay there).
@Suite(PostgresScope())
struct StoreConformanceTests {
    @Test(arguments: Backend.all)
    func anEmptyDatabaseHasAnEmptyChain(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            #expect(try await store.auditHead() == .empty)
            #expect(try await store.verifyAudit() == AuditVerification(checked: 0, head: .empty, problem: nil))
            #expect(try await store.unfinishedDeliveries().isEmpty)
            #expect(try await store.lastHeartbeat() == nil)
            #expect(!store.migrationsAppliedAtOpen.isEmpty, "a new database gets every migration")
        }
        try await database.withStore { store in #expect(store.migrationsAppliedAtOpen.isEmpty, "and a reopened one none") }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func committedIncidentReadsBack(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            let incident = Records.incident("20261123-K7QF2A")
            let payloads = [Records.payload(incident.id, channel: "ops"), Records.payload(incident.id, channel: "sms")]
            let deliveries = [
                Records.delivery("msg_a", incident: incident.id, channel: "ops"),
                Records.delivery("msg_b", incident: incident.id, channel: "sms", recipient: "+15145551234"),
                Records.delivery("msg_c", incident: incident.id, channel: "sms", recipient: "+14185550000"),
            ]
            store.nameAuditEntries(by: "campus-a")
            try await store.commit(StoreWrite(
                incidents: [incident], payloads: payloads, deliveries: deliveries, audit: [Records.event(incident.id)]
            ))

            #expect(try await store.incident(incident.id) == incident)
            #expect(try await store.incident("20261123-NOPE00") == nil)
            // Ordered by channel then recipient, in byte order, on both backends.
            #expect(try await store.deliveries(ofIncident: incident.id).map(\.id) == ["msg_a", "msg_c", "msg_b"])
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
            #expect(entry.node == "campus-a", "each entry names the node that appended it")
            #expect(entry.hash == entry.computedHash())
            #expect(try await store.auditHead() == AuditHead(seq: 1, hash: entry.hash))
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func attemptsAndUpdatesAreStored(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
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
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func recentIncidentsAndApprovalsComeNewestFirst(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
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
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func heartbeatsAndFollowUpsAreTheirOwnLists(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await store.commit(Records.send("20261123-ALERT1"))
            var heartbeat = Records.incident("20261123-BEAT01", at: Records.baseTime + 5)
            heartbeat.status = "System"
            let update = Records.incident("20261123-UPDT01", at: Records.baseTime + 10, references: "20261123-ALERT1")
            try await store.commit(StoreWrite(incidents: [heartbeat, update]))

            #expect(try await store.lastHeartbeat()?.id == "20261123-BEAT01")
            #expect(try await store.recentIncidents(limit: 10).map(\.id) == ["20261123-UPDT01", "20261123-ALERT1"])
            #expect(try await store.followUps(of: "20261123-ALERT1").map(\.id) == ["20261123-UPDT01"])
            #expect(try await store.followUps(of: "20261123-UPDT01").isEmpty)
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func auditEntriesFilterBySubjectAndPage(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await Records.auditOnly(store, count: 6)
            try await store.commit(StoreWrite(audit: [Records.event("e2", kind: "delivery.attempt")]))

            #expect(try await store.auditEntries(afterSeq: 2, limit: 3, subject: nil, newest: false).map(\.seq) == [3, 4, 5])
            #expect(try await store.auditEntries(afterSeq: 0, limit: 10, subject: "e2", newest: false).map(\.seq) == [2, 7])
            #expect(try await store.auditEntries(afterSeq: 0, limit: 2, subject: nil, newest: true).map(\.seq) == [6, 7])
            #expect(try await store.auditEntries(afterSeq: 0, limit: 1, subject: "e2", newest: true).map(\.seq) == [7], "the newest, in order")
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func twoHundredConcurrentCommitsMakeOneContiguousChain(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
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
        await database.remove()
    }

    /// An edit of one column of entry 3, as SQLite and PostgreSQL name it.
    static let edits: [(sqlite: String, postgres: String)] = [
        ("detail = '{\"route\":\"staff\"}'", "detail = '{\"route\":\"staff\"}'"), ("kind = 'config.load'", "kind = 'config.load'"),
        ("timeMillis = timeMillis + 1", "time_millis = time_millis + 1"), ("actorUID = 0", "actor_uid = 0"),
        ("actorPID = NULL", "actor_pid = NULL"), ("subject = 'e9'", "subject = 'e9'"),
        // Another node named, or none (as if written before entries named their node): both break the entry.
        ("node = 'campus-b'", "node = 'campus-b'"), ("node = NULL", "node = NULL"),
        ("hash = '" + String(repeating: "f", count: 64) + "'", "hash = '" + String(repeating: "f", count: 64) + "'"),
    ]

    @Test(arguments: Backend.all, 0..<edits.count)
    func editedAuditRowIsNamed(backend: Backend, edit: Int) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await Records.auditOnly(store, count: 5)
            #expect(try await store.verifyAudit().problem == nil)

            let (sqlite, postgres) = Self.edits[edit]
            try await database.sql("UPDATE audit SET \(sqlite) WHERE seq = 3", postgres: "UPDATE audit SET \(postgres) WHERE seq = 3")

            let verification = try await store.verifyAudit()
            #expect(verification.problem == .edited(seq: 3))
            #expect(verification.checked == 2)
            #expect(verification.head.seq == 2)
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func rewrittenLinkIsNamed(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await Records.auditOnly(store, count: 5)
            try await database.sql(
                "UPDATE audit SET prevHash = (SELECT prevHash FROM audit WHERE seq = 2) WHERE seq = 4",
                postgres: "UPDATE audit SET prev_hash = (SELECT prev_hash FROM audit WHERE seq = 2) WHERE seq = 4"
            )
            #expect(try await store.verifyAudit().problem == .unlinked(seq: 4))
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func deletedMiddleRowIsAGap(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await Records.auditOnly(store, count: 5)
            try await database.sql("DELETE FROM audit WHERE seq = 3")
            let verification = try await store.verifyAudit()
            #expect(verification.problem == .gap(expected: 3, found: 4))
            #expect(verification.checked == 2)
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func deletedLastRowsAreATruncation(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await Records.auditOnly(store, count: 5)
            try await database.sql("DELETE FROM audit WHERE seq > 3")
            #expect(try await database.sql("SELECT count(*) FROM audit") == "3")

            let verification = try await store.verifyAudit()
            #expect(verification.problem == .truncated(lastSeq: 3, expected: 5))
            #expect(verification.problem?.seq == 4)
            #expect(verification.checked == 3)
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func failingBatchLeavesTheChainAloneAndTheStoreUsable(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
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
            #expect(try await database.sql("SELECT count(*) FROM audit") == "1")

            try await store.commit(Records.send("20261123-CCCCCC"))
            let after = try await store.auditHead()
            #expect(after.seq == 2)
            let entries = try await store.auditEntries(afterSeq: 0, limit: 10, subject: nil, newest: false)
            #expect(entries.map(\.subject) == ["20261123-AAAAAA", "20261123-CCCCCC"])
            #expect(entries.last?.prevHash == before.hash)
            #expect(try await store.verifyAudit().problem == nil)
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func duplicateDeliveryIDIsAConstraintError(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await store.commit(Records.send("20261123-AAAAAA", delivery: "msg_same"))
            await #expect {
                try await store.commit(Records.send("20261123-BBBBBB", delivery: "msg_same"))
            } throws: { error in
                guard let error = error as? StoreError else { return false }
                return error.code == .constraint && error.message.hasPrefix("cannot save to the state database")
            }
            #expect(try await store.verifyAudit() == AuditVerification(checked: 1, head: try await store.auditHead(), problem: nil))
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func unfinishedDeliveriesAreTheNonFinalOnes(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            let incident = "20261123-AAAAAA"
            let deliveries = DeliveryState.allCases.enumerated().map { index, state in
                Records.delivery("msg_\(state.rawValue)", incident: incident, recipient: "r\(index)", state: state, at: Records.baseTime + Int64(index))
            }
            try await store.commit(StoreWrite(incidents: [Records.incident(incident)], payloads: [Records.payload(incident)], deliveries: deliveries))
            #expect(try await store.unfinishedDeliveries().map(\.id) == ["msg_pending", "msg_sending", "msg_retrying"])

            // A delivery that becomes final leaves the list.
            try await store.commit(StoreWrite(updates: [DeliveryUpdate(
                id: "msg_sending", state: .delivered, attempts: 1, nextAttemptAt: nil, lastStatus: 200, lastError: nil,
                misconfiguration: false, deliveredAt: Records.baseTime + 99, updatedAt: Records.baseTime + 99
            )]))
            #expect(try await store.unfinishedDeliveries().map(\.id) == ["msg_pending", "msg_retrying"])
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func reopeningKeepsTheAuditHead(backend: Backend) async throws {
        let database = try await backend.database()
        let head = try await database.withStore { store async throws in
            try await Records.auditOnly(store, count: 4)
            return try await store.auditHead()
        }
        #expect(head.seq == 4)
        try await database.withStore { reopened async throws in
            #expect(try await reopened.auditHead() == head)
            try await reopened.commit(StoreWrite(audit: [Records.event("after-restart", kind: "config.load")]))
            let last = try #require(try await reopened.auditEntries(afterSeq: 4, limit: 10, subject: nil, newest: false).first)
            #expect(last.seq == 5)
            #expect(last.prevHash == head.hash)
            let verification = try await reopened.verifyAudit()
            #expect(verification.problem == nil)
            #expect(verification.checked == 5)
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func channelActivityNamesTheLastDeliveryAndTheLastError(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            let incident = "20261123-ACTV01"
            try await store.commit(StoreWrite(
                incidents: [Records.incident(incident)], payloads: [Records.payload(incident), Records.payload(incident, channel: "sms")],
                deliveries: [Records.delivery("msg_ops", incident: incident), Records.delivery("msg_sms", incident: incident, channel: "sms")]
            ))
            let at = Records.baseTime + 100
            try await store.commit(StoreWrite(
                attempts: [
                    AttemptRecord(deliveryID: "msg_ops", number: 1, startedAt: at, latencyMillis: 5, httpStatus: 200, error: nil, outcome: "delivered"),
                    AttemptRecord(deliveryID: "msg_sms", number: 1, startedAt: at + 1, latencyMillis: 5, httpStatus: 401, error: "HTTP 401", outcome: "failed"),
                ],
                updates: [
                    DeliveryUpdate(id: "msg_ops", state: .delivered, attempts: 1, nextAttemptAt: nil, lastStatus: 200, lastError: nil, misconfiguration: false, deliveredAt: at + 5, updatedAt: at + 5),
                    DeliveryUpdate(id: "msg_sms", state: .failed, attempts: 1, nextAttemptAt: nil, lastStatus: 401, lastError: "HTTP 401", misconfiguration: true, deliveredAt: nil, updatedAt: at + 6),
                ]
            ))
            let activity = try await store.channelActivity()
            #expect(activity["ops"]?.lastDeliveredAt == at + 5)
            #expect(activity["ops"]?.lastFinalFailed == false)
            #expect(activity["ops"]?.lastError == nil)
            #expect(activity["sms"]?.lastErrorAt == at + 1)
            #expect(activity["sms"]?.lastError == "HTTP 401")
            #expect(activity["sms"]?.lastFinalFailed == true)
            #expect(try await store.recentFailures(limit: 10).map(\.id) == ["msg_sms"])
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func theHealthProbeWritesAndRewritesItsRow(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await store.probeWrite(at: Records.baseTime)
            try await store.probeWrite(at: Records.baseTime + 1)
        }
        #expect(try await database.sql("SELECT at FROM healthProbe", postgres: "SELECT at FROM health_probe") == "\(Records.baseTime + 1)")
        await database.remove()
    }
}
