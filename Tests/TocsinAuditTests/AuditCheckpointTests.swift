import Foundation
import Testing
import TocsinAudit

/// Throw-away keys made for these tests with `openssl genpkey -algorithm ed25519`; they sign nothing real.
enum TestKeys {
    static let signing = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEICvS0JRkUNAZD0/Mdxz7dFt0uL8JDN5mGfjrOhCsYfD2
        -----END PRIVATE KEY-----
        """
    static let signingPublic = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VwAyEAefKkdEBAfO1/DMBCsECO2/W3dFTiMr+vcnbGtrLsdCw=
        -----END PUBLIC KEY-----
        """
    static let other = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIKkHJm5C4CkkG3zLxkI3dPtILQsbmfskdM7BYFbBWVua
        -----END PRIVATE KEY-----
        """
}

struct AuditCheckpointTests {
    /// A chain of `count` entries with a checkpoint appended after entry `signAfter`.
    static func chain(_ count: Int, signAfter: [Int64], signer: AuditSigner) throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        var head = AuditHead.empty
        func append(kind: String, detail: String, time: Int64) {
            let entry = AuditEntry(
                seq: head.seq + 1, timeMillis: time, kind: kind, actorUID: 1000, actorPID: 42, subject: "s",
                detail: detail, prevHash: head.hash
            )
            entries.append(entry)
            head = AuditHead(seq: entry.seq, hash: entry.hash)
        }
        for n in 1...Int64(count) {
            append(kind: "delivery.attempt", detail: #"{"n":\#(n)}"#, time: 1_795_452_042_000 + n)
            if signAfter.contains(n) {
                let time = 1_795_452_043_000 + n
                append(kind: AuditCheckpoint.kind, detail: try signer.checkpointDetail(head: head, timeMillis: time, reason: "test"), time: time)
            }
        }
        return entries
    }

    static func verify(_ entries: [AuditEntry], keys: [AuditPublicKey]) -> (AuditVerifier.Problem?, AuditVerifier) {
        var verifier = AuditVerifier(trusting: keys)
        for entry in entries {
            if let problem = verifier.check(entry) { return (problem, verifier) }
        }
        return (verifier.finish(), verifier)
    }

    /// What someone with write access to the database but not the key can do: change an entry and recompute every
    /// hash after it, so the chain alone verifies again.
    static func rewritten(_ entries: [AuditEntry], at index: Int, detail: String) -> [AuditEntry] {
        var out = Array(entries[..<index])
        var previous = index == 0 ? AuditEntry.genesisHash : entries[index - 1].hash
        for (offset, old) in entries[index...].enumerated() {
            let entry = AuditEntry(
                seq: old.seq, timeMillis: old.timeMillis, kind: old.kind, actorUID: old.actorUID, actorPID: old.actorPID,
                subject: old.subject, detail: offset == 0 ? detail : old.detail, prevHash: previous
            )
            out.append(entry)
            previous = entry.hash
        }
        return out
    }

    @Test func signedChainVerifies() throws {
        let signer = try AuditSigner(pem: TestKeys.signing)
        let entries = try Self.chain(6, signAfter: [3, 6], signer: signer)
        let (problem, verifier) = Self.verify(entries, keys: [signer.publicKey])
        #expect(problem == nil)
        #expect(verifier.checkpoints.verified == 2)
        #expect(verifier.checkpoints.last?.signedSeq == 7)
        #expect(verifier.checkpoints.last?.seq == 8)
    }

    @Test func publicKeyFileMatchesTheSigningKey() throws {
        let signer = try AuditSigner(pem: TestKeys.signing)
        let published = try AuditPublicKey(pem: TestKeys.signingPublic)
        #expect(published.id == signer.publicKey.id)
        #expect(published.id.count == 16)
        // A private key PEM also gives its public half (an auditor may be handed either).
        #expect(try AuditPublicKey(pem: TestKeys.signing).id == signer.publicKey.id)
    }

    @Test func rewrittenChainFailsTheSignatureCheck() throws {
        let signer = try AuditSigner(pem: TestKeys.signing)
        let entries = try Self.chain(6, signAfter: [3, 6], signer: signer)
        let forged = Self.rewritten(entries, at: 1, detail: #"{"n":2,"forged":true}"#)
        // The chain alone cannot tell…
        #expect(Self.verify(forged, keys: []).0 == nil)
        // …the signature can: the first checkpoint (entry 4) signed the original entry 3.
        let (problem, _) = Self.verify(forged, keys: [signer.publicKey])
        guard case .badCheckpoint(let seq, let reason)? = problem else {
            Issue.record("expected a bad checkpoint, got \(String(describing: problem))")
            return
        }
        #expect(seq == 4)
        #expect(reason.contains("entries up to 3 were rewritten"))
    }

    @Test func checkpointCopiedToALaterPlaceIsRefused() throws {
        let signer = try AuditSigner(pem: TestKeys.signing)
        var entries = try Self.chain(4, signAfter: [2], signer: signer)
        // A valid signature pasted after later entries must not vouch for them.
        let original = entries[2]
        entries.append(AuditEntry(
            seq: Int64(entries.count + 1), timeMillis: original.timeMillis, kind: AuditCheckpoint.kind, actorUID: nil,
            actorPID: nil, subject: "audit", detail: original.detail, prevHash: entries[entries.count - 1].hash
        ))
        let (problem, _) = Self.verify(entries, keys: [signer.publicKey])
        guard case .badCheckpoint(let seq, let reason)? = problem else {
            Issue.record("expected a bad checkpoint, got \(String(describing: problem))")
            return
        }
        #expect(seq == 6)
        #expect(reason.contains("not the entry before it"))
    }

    @Test func forgedSignedHashFailsTheSignature() throws {
        let signer = try AuditSigner(pem: TestKeys.signing)
        let entries = try Self.chain(3, signAfter: [3], signer: signer)
        var forged = Self.rewritten(entries, at: 1, detail: #"{"n":2,"forged":true}"#)
        // The forger also points the checkpoint at the new head; only the signature is left to catch it.
        let checkpoint = forged[3]
        let detail = checkpoint.detail.replacingOccurrences(of: entries[2].hash, with: forged[2].hash)
        forged[3] = AuditEntry(
            seq: checkpoint.seq, timeMillis: checkpoint.timeMillis, kind: checkpoint.kind, actorUID: nil, actorPID: nil,
            subject: checkpoint.subject, detail: detail, prevHash: forged[2].hash
        )
        let (problem, _) = Self.verify(forged, keys: [signer.publicKey])
        guard case .badCheckpoint(let seq, let reason)? = problem else {
            Issue.record("expected a bad checkpoint, got \(String(describing: problem))")
            return
        }
        #expect(seq == 4)
        #expect(reason.contains("does not verify"))
    }

    @Test func checkpointByAnUntrustedKeyFails() throws {
        let attacker = try AuditSigner(pem: TestKeys.other)
        let trusted = try AuditPublicKey(pem: TestKeys.signingPublic)
        let entries = try Self.chain(3, signAfter: [3], signer: attacker)
        let (problem, _) = Self.verify(entries, keys: [trusted])
        guard case .badCheckpoint(_, let reason)? = problem else {
            Issue.record("expected a bad checkpoint, got \(String(describing: problem))")
            return
        }
        #expect(reason.contains("not trusted"))
    }

    @Test func rotatedKeysBothVerify() throws {
        let old = try AuditSigner(pem: TestKeys.other)
        let current = try AuditSigner(pem: TestKeys.signing)
        var entries = try Self.chain(2, signAfter: [2], signer: old)
        let head = AuditHead(seq: entries.last!.seq, hash: entries.last!.hash)
        let next = AuditEntry(seq: head.seq + 1, timeMillis: 1_795_452_050_000, kind: AuditCheckpoint.kind, actorUID: nil, actorPID: nil, subject: "audit", detail: try current.checkpointDetail(head: head, timeMillis: 1_795_452_050_000, reason: "rotation"), prevHash: head.hash)
        entries.append(next)
        #expect(Self.verify(entries, keys: [current.publicKey, old.publicKey]).0 == nil)
        #expect(Self.verify(entries, keys: [current.publicKey]).0 != nil)
    }

    @Test func chainWithoutAnyCheckpointIsUnprovenWhenKeysAreGiven() throws {
        let signer = try AuditSigner(pem: TestKeys.signing)
        let entries = AuditVerifierTests.chain(3)
        #expect(Self.verify(entries, keys: [signer.publicKey]).0 == .unsigned(lastSeq: 3))
        #expect(Self.verify(entries, keys: []).0 == nil)
    }

    @Test func badKeyFilesGetAnActionableMessage() {
        #expect(throws: AuditKeyError.self) { try AuditSigner(pem: "not a key") }
        #expect(throws: AuditKeyError.self) { try AuditSigner(pem: TestKeys.signingPublic) }
        do {
            _ = try AuditPublicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
            Issue.record("a bad public key was accepted")
        } catch {
            #expect(error.description.contains("openssl pkey"))
        }
    }

    @Test func signerNeverShowsItsKey() throws {
        let signer = try AuditSigner(pem: TestKeys.signing)
        let secret = "ICvS0JRkUNAZD0/Mdxz7dFt0uL8JDN5mGfjrOhCsYfD2"
        for text in [String(describing: signer), String(reflecting: signer), "\(signer)", { var s = ""; dump(signer, to: &s); return s }()] {
            #expect(!text.contains(secret))
            #expect(!text.contains("PRIVATE"))
        }
    }
}
