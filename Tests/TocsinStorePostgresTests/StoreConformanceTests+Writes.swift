import Foundation
import Testing
import TocsinAudit
import TocsinCore
import TocsinStore

/// The protocol's cases of CheckpointStoreTests, ReopenStoreTests, ProviderReceiptStoreTests and SharedPayloadTests,
/// on both backends (their migration-from-a-release cases stay SQLite's own).
extension StoreConformanceTests {
    // MARK: Signed checkpoints

    @Test(arguments: Backend.all)
    func checkpointSignsTheHeadInsideTheTransaction(backend: Backend) async throws {
        let database = try await backend.database()
        let signer = try await Records.signer()
        try await database.withStore { store async throws in
            try await Records.auditOnly(store, count: 3)
            try await store.commit(StoreWrite(
                audit: [Records.event("e4", kind: "admin.request")],
                checkpoint: CheckpointRequest(timeMillis: Records.baseTime + 10, reason: "test", signer: signer, verified: .empty)
            ))
            let entries = try await store.auditEntries(afterSeq: 0, limit: 10, subject: nil, newest: false)
            #expect(entries.map(\.kind).last == AuditCheckpoint.kind)
            #expect(entries.last?.subject == "audit")
            #expect(entries.last?.detail.contains(#""signed_seq":4"#) == true)

            let verification = try await store.verifyAudit(trusting: [signer.publicKey])
            #expect(verification.problem == nil)
            #expect(verification.checkpoints == 1)
            #expect(verification.lastCheckpoint?.signedSeq == 4)
            #expect(verification.lastCheckpoint?.seq == 5)
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func aCheckpointRefusesAChainCutAfterItWasVerified(backend: Backend) async throws {
        let database = try await backend.database()
        let signer = try await Records.signer()
        try await database.withStore { store async throws in
            try await Records.auditOnly(store, count: 5)
            let verified = try await store.verifyAudit(from: .empty, trusting: [signer.publicKey])
            #expect(verified.problem == nil)
            #expect(verified.head.seq == 5)
            try await database.sql("DELETE FROM audit WHERE seq >= 4")
            await #expect(throws: StoreError.self) {
                try await store.commit(StoreWrite(checkpoint: CheckpointRequest(
                    timeMillis: Records.baseTime + 10, reason: "test", signer: signer, verified: verified.head
                )))
            }
            #expect(try await database.sql("SELECT count(*) FROM audit WHERE kind = 'audit.checkpoint'") == "0")
            #expect(store.auditHeadMoves.count == 1, "the cut was noticed")
            #expect(store.auditHeadMoves.last?.contains("something other than tocsind") == true)
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func theIncrementFromAnAnchorNamesAReplacedAnchor(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await Records.auditOnly(store, count: 5)
            let anchor = try await store.auditHead()
            try await Records.auditOnly(store, count: 2, from: 6)
            #expect(try await store.verifyAudit(from: anchor, trusting: []).problem == nil)
            #expect(try await store.verifyAudit(from: anchor, trusting: []).head.seq == 7)
            let forged = AuditHead(seq: anchor.seq, hash: String(repeating: "a", count: 64))
            #expect(try await store.verifyAudit(from: forged, trusting: []).problem == .unlinked(seq: 5))
            try await database.sql("DELETE FROM audit WHERE seq >= 5")
            #expect(try await store.verifyAudit(from: anchor, trusting: []).problem == .truncated(lastSeq: 4, expected: 5))
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func aHeadMovedWhileRunningIsNoticedWithoutAWrite(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await Records.auditOnly(store, count: 3)
            try await store.checkAuditHead()
            #expect(store.auditHeadMoves.count == 0)
            try await database.sql("DELETE FROM audit WHERE seq = 3")
            try await store.checkAuditHead()
            #expect(store.auditHeadMoves.count == 1)
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func aMovedHeadBarsCheckpointsUntilAccepted(backend: Backend) async throws {
        let database = try await backend.database()
        let signer = try await Records.signer()
        try await database.withStore { store async throws in
            try await Records.auditOnly(store, count: 4)
            try await database.sql("DELETE FROM audit WHERE seq = 4")
            try await Records.auditOnly(store, count: 1, from: 5)
            #expect(store.auditHeadMoves.unaccepted != nil)
            let head = try await store.auditHead()
            await #expect(throws: StoreError.self) {
                try await store.commit(StoreWrite(checkpoint: CheckpointRequest(timeMillis: Records.baseTime + 10, reason: "test", signer: signer, verified: head)))
            }
            store.acceptAuditHeadMoves()
            try await store.commit(StoreWrite(checkpoint: CheckpointRequest(timeMillis: Records.baseTime + 10, reason: "test", signer: signer, verified: head)))
            #expect(try await database.sql("SELECT count(*) FROM audit WHERE kind = 'audit.checkpoint'") == "1")
        }
        await database.remove()
    }

    // MARK: Resend (reopened deliveries)

    private static let resent = "20261123-R3SEND"

    private static func failedAndDelivered(_ store: any Store) async throws {
        try await store.commit(StoreWrite(
            incidents: [Records.incident(resent)], payloads: [Records.payload(resent)],
            deliveries: [
                Records.delivery("msg_failed", incident: resent, state: .failed),
                Records.delivery("msg_delivered", incident: resent, state: .delivered),
            ],
            audit: [Records.event(resent)]
        ))
        try await store.commit(StoreWrite(updates: [DeliveryUpdate(
            id: "msg_failed", state: .failed, attempts: 4, nextAttemptAt: nil, lastStatus: 500,
            lastError: "gave up: the delivery deadline has passed", misconfiguration: true, deliveredAt: nil, updatedAt: Records.baseTime + 1
        )]))
    }

    @Test(arguments: Backend.all)
    func aFailedDeliveryIsReopenedWithItsAttemptsAndAFreshDeadline(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await Self.failedAndDelivered(store)
            var write = StoreWrite(audit: [Records.event(Self.resent, kind: "incident.resend")])
            write.reopened = [DeliveryReopening(id: "msg_failed", deadlineAt: Records.baseTime + 5_000_000, updatedAt: Records.baseTime + 2)]
            try await store.commit(write)

            let reopened = try #require(try await store.deliveries(ofIncident: Self.resent).first { $0.id == "msg_failed" })
            #expect(reopened.state == "pending")
            #expect(reopened.attempts == 4, "the attempt log goes on")
            #expect(reopened.deadlineAt == Records.baseTime + 5_000_000)
            #expect(reopened.lastError == nil && !reopened.misconfiguration)
            #expect(try await store.unfinishedDeliveries().map(\.id) == ["msg_failed"], "a restart would send it again")
            #expect(try await store.auditEntries(afterSeq: 0, limit: 10, subject: Self.resent, newest: false).last?.kind == "incident.resend")
            #expect(try await store.verifyAudit().problem == nil)
        }
        await database.remove()
    }

    @Test(arguments: Backend.all, ["msg_delivered", "msg_failed_twice", "msg_unknown"])
    func onlyAStillFailedDeliveryIsReopenedAndOtherwiseNothingIsWritten(backend: Backend, id: String) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await Self.failedAndDelivered(store)
            var first = StoreWrite()
            first.reopened = [DeliveryReopening(id: "msg_failed", deadlineAt: Records.baseTime + 5_000_000, updatedAt: Records.baseTime + 2)]
            if id == "msg_failed_twice" { try await store.commit(first) }
            let head = try await store.auditHead()
            let before = try await store.deliveries(ofIncident: Self.resent)

            var write = StoreWrite(audit: [Records.event(Self.resent, kind: "incident.resend")])
            write.reopened = [DeliveryReopening(id: id == "msg_failed_twice" ? "msg_failed" : id, deadlineAt: Records.baseTime + 9_000_000, updatedAt: Records.baseTime + 3)]
            await #expect {
                try await store.commit(write)
            } throws: { error in
                (error as? StoreError)?.code == .constraint
            }
            #expect(try await store.auditHead() == head, "nor its audit entry: one transaction")
            #expect(try await store.deliveries(ofIncident: Self.resent) == before)
        }
        await database.remove()
    }

    // MARK: Provider receipts

    @Test(arguments: Backend.all)
    func anAttemptAndItsDeliveryKeepTheReceiptAndLaterUpdatesNeverClearIt(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await store.commit(Records.send("20261123-RCPT01", delivery: "msg_sms1"))
            let at = Records.baseTime + 400
            let sid = "SM29f4f980778e4621b72df75ac82f5000"
            try await store.commit(StoreWrite(
                attempts: [AttemptRecord(
                    deliveryID: "msg_sms1", number: 1, startedAt: at, latencyMillis: 85, httpStatus: 201, error: nil, outcome: "delivered", receipt: sid
                )],
                updates: [DeliveryUpdate(
                    id: "msg_sms1", state: .delivered, attempts: 1, nextAttemptAt: nil, lastStatus: 201, lastError: nil,
                    misconfiguration: false, deliveredAt: at, updatedAt: at, receipt: sid
                )],
                audit: [Records.event("20261123-RCPT01", kind: "delivery.attempt", at: at)]
            ))
            #expect(try await store.attempts(ofIncident: "20261123-RCPT01").map(\.receipt) == [sid])
            #expect(try await store.deliveries(ofIncident: "20261123-RCPT01").map(\.receipt) == [sid])

            // An update without a receipt leaves the recorded one alone, in a later write or later in the same one.
            let close = DeliveryUpdate(
                id: "msg_sms1", state: .delivered, attempts: 1, nextAttemptAt: nil, lastStatus: 201, lastError: nil,
                misconfiguration: false, deliveredAt: at, updatedAt: at + 1
            )
            try await store.commit(StoreWrite(updates: [close]))
            #expect(try await store.deliveries(ofIncident: "20261123-RCPT01").first?.receipt == sid)
            var again = close
            again.receipt = "SM-second"
            try await store.commit(StoreWrite(updates: [again, close]))
            let delivery = try #require(try await store.deliveries(ofIncident: "20261123-RCPT01").first)
            #expect(delivery.receipt == "SM-second")
            #expect(delivery.updatedAt == at + 1)
        }
        await database.remove()
    }

    // MARK: Shared payloads

    @Test(arguments: Backend.all)
    func channelsWithTheSameBodyShareOneRowAndEachReadsItsOwn(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            let incident = Records.incident("20261123-SHARED")
            let other = PayloadRecord(incidentID: incident.id, channel: "sms", contentType: "application/x-www-form-urlencoded", body: Data("Body=EVACUATE".utf8))
            let payloads = (1...100).map { Records.payload(incident.id, channel: "c\($0)") } + [other]
            let deliveries = (1...100).map { Records.delivery("msg_\($0)", incident: incident.id, channel: "c\($0)") }
                + [Records.delivery("msg_sms1", incident: incident.id, channel: "sms", recipient: "+15145550001"),
                   Records.delivery("msg_sms2", incident: incident.id, channel: "sms", recipient: "+15145550002")]
            try await store.commit(StoreWrite(incidents: [incident], payloads: payloads, deliveries: deliveries, audit: [Records.event(incident.id)]))

            #expect(try await database.sql("SELECT count(*) FROM payload") == "2", "100 identical webhook bodies and one SMS form")
            let keys = Set(payloads.map { PayloadKey(incidentID: $0.incidentID, channel: $0.channel) })
            let stored = try await store.payloads(for: keys)
            #expect(stored.count == 101)
            for payload in payloads {
                #expect(stored[PayloadKey(incidentID: incident.id, channel: payload.channel)] == payload)
            }
            #expect(Set(try await store.deliveries(ofIncident: incident.id)) == Set(deliveries))
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func aDeliveryWithoutAPayloadIsRefusedAndNothingOfItsBatchIsStored(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            let incident = Records.incident("20261123-NOBODY")
            let write = StoreWrite(
                incidents: [incident], payloads: [Records.payload(incident.id, channel: "ops")],
                deliveries: [Records.delivery("msg_ops", incident: incident.id), Records.delivery("msg_x", incident: incident.id, channel: "x")],
                audit: [Records.event(incident.id)]
            )
            await #expect(throws: StoreError.self) { try await store.commit(write) }
            #expect(try await store.incident(incident.id) == nil)
            #expect(try await store.auditHead() == .empty)
        }
        await database.remove()
    }

    @Test(arguments: Backend.all)
    func aLaterDeliveryOfAChannelUsesTheChannelsStoredPayload(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await store.commit(Records.send("20261123-LATER1", delivery: "msg_first"))
            try await store.commit(StoreWrite(deliveries: [Records.delivery("msg_again", incident: "20261123-LATER1")]))
            let stored = try await store.payloads(for: [PayloadKey(incidentID: "20261123-LATER1", channel: "ops")])
            #expect(stored.first?.value == Records.payload("20261123-LATER1"))
            // A second body for the same incident later continues its numbering.
            let later = PayloadRecord(incidentID: "20261123-LATER1", channel: "x", contentType: "text/plain", body: Data("later".utf8))
            try await store.commit(StoreWrite(payloads: [later], deliveries: [Records.delivery("msg_x", incident: "20261123-LATER1", channel: "x")]))
            #expect(try await store.payloads(for: [PayloadKey(incidentID: "20261123-LATER1", channel: "x")]).first?.value == later)
        }
        #expect(try await database.sql("SELECT group_concat(payload) FROM (SELECT payload FROM delivery ORDER BY id)", postgres: "SELECT string_agg(payload::text, ',' ORDER BY id) FROM delivery") == "1,1,2")
        await database.remove()
    }
}
