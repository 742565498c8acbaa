import Testing
import TocsinAudit

struct AuditEntryTests {
    @Test func hashFollowsTheDocumentedLayout() {
        // Expected value from: python3 -c 'import hashlib; print(hashlib.sha256(("0"*64 + "\n1\n1795452042000\n
        //   incident.create\n1000\n4242\n20261123-K7QF2A\n" + "{\"template\":\"evacuation\"}").encode()).hexdigest())'
        let entry = AuditEntry(
            seq: 1, timeMillis: 1_795_452_042_000, kind: "incident.create", actorUID: 1000, actorPID: 4242,
            subject: "20261123-K7QF2A", detail: #"{"template":"evacuation"}"#, prevHash: AuditEntry.genesisHash
        )
        #expect(entry.hash == "6bc08f0cb0115a8d9f3d334ace97d05b37d9acfd89aef1fcd1507291af535a5e")
        #expect(entry.computedHash() == entry.hash)
    }

    @Test func missingActorIsWrittenAsDash() {
        // python3: hashlib.sha256(("0"*64 + "\n1\n1795452042000\nconfig.load\n-\n-\nconfig\n{}").encode()).hexdigest()
        let entry = AuditEntry(
            seq: 1, timeMillis: 1_795_452_042_000, kind: "config.load", actorUID: nil, actorPID: nil,
            subject: "config", detail: "{}", prevHash: AuditEntry.genesisHash
        )
        #expect(entry.hash == "16c152bed0a4dd05c8de8475cd7796fb9b7dbecf33add3380c498e045d845b27")
    }

    @Test func anEntryThatNamesItsNodeFollowsFormatTwo() {
        // python3: hashlib.sha256(("tocsin-audit/v2\n" + "0"*64 + "\n1\n1795452042000\nincident.create\n1000\n4242\n
        //   20261123-K7QF2A\ncampus-a\n" + "{\"template\":\"evacuation\"}").encode()).hexdigest()
        let entry = AuditEntry(
            seq: 1, timeMillis: 1_795_452_042_000, kind: "incident.create", actorUID: 1000, actorPID: 4242,
            subject: "20261123-K7QF2A", node: "campus-a", detail: #"{"template":"evacuation"}"#, prevHash: AuditEntry.genesisHash
        )
        #expect(entry.hash == "fa0ea51a51b0dbb8edc48d4d862dbea33c61a04f011605d69bf6cd3dad4fe85b")
        #expect(entry.hashMatches)
    }

    enum NodeEdit: String, CaseIterable, Sendable {
        case anotherNode, nodeCleared, nodeMovedIntoTheDetail, nodeAddedToAFormatOneEntry
    }

    /// The insider who can write the table: naming another node, clearing the node (reading the entry as format
    /// 1), or moving the node into the detail so the bytes hashed stay the same — each breaks the entry.
    @Test(arguments: NodeEdit.allCases)
    func rewritingTheNodeIsSeen(_ edit: NodeEdit) {
        let original = AuditEntry(
            seq: 1, timeMillis: 1_795_452_042_000, kind: "delivery.attempt", actorUID: nil, actorPID: nil,
            subject: "dlv_1", node: edit == .nodeAddedToAFormatOneEntry ? nil : "campus-a", detail: #"{"status":200}"#,
            prevHash: AuditEntry.genesisHash
        )
        #expect(original.hashMatches)
        var edited = original
        switch edit {
        case .anotherNode: edited.node = "campus-b"
        case .nodeCleared: edited.node = nil
        case .nodeMovedIntoTheDetail:
            edited.detail = "campus-a\n" + edited.detail
            edited.node = nil
        case .nodeAddedToAFormatOneEntry: edited.node = "campus-a"
        }
        #expect(!edited.hashMatches)
        var verifier = AuditVerifier()
        #expect(verifier.check(edited) == .edited(seq: 1))
    }

    @Test func aChainMayHoldBothFormats() {
        var verifier = AuditVerifier()
        let old = AuditEntry(seq: 1, timeMillis: 1, kind: "config.load", actorUID: nil, actorPID: nil, subject: "config", detail: "{}", prevHash: AuditEntry.genesisHash)
        let new = AuditEntry(seq: 2, timeMillis: 2, kind: "config.load", actorUID: nil, actorPID: nil, subject: "config", node: "campus-a", detail: "{}", prevHash: old.hash)
        let other = AuditEntry(seq: 3, timeMillis: 3, kind: "incident.create", actorUID: 0, actorPID: 9, subject: "x", node: "campus-b", detail: "{}", prevHash: new.hash)
        for entry in [old, new, other] { #expect(verifier.check(entry) == nil) }
        #expect(verifier.checked == 3)
    }

    @Test func aNodeIsKeptOnOneLine() {
        let entry = AuditEntry(seq: 1, timeMillis: 0, kind: "k", actorUID: nil, actorPID: nil, subject: "s", node: "a\nb", detail: "{}", prevHash: AuditEntry.genesisHash)
        #expect(entry.node == "a b")
    }

    @Test func genesisHashIsSixtyFourZeros() {
        #expect(AuditEntry.genesisHash == String(repeating: "0", count: 64))
    }

    @Test func kindAndSubjectAreKeptOnOneLine() {
        let entry = AuditEntry(
            seq: 1, timeMillis: 0, kind: "admin\nrequest", actorUID: 0, actorPID: 1, subject: "a\nb",
            detail: "{\"x\":\"1\\n2\"}", prevHash: AuditEntry.genesisHash
        )
        #expect(entry.kind == "admin request")
        #expect(entry.subject == "a b")
    }

    @Test func uidAndPidCannotBeSwappedUnnoticed() {
        let one = AuditEntry(seq: 1, timeMillis: 0, kind: "k", actorUID: 1, actorPID: 2, subject: "s", detail: "{}", prevHash: AuditEntry.genesisHash)
        let two = AuditEntry(seq: 1, timeMillis: 0, kind: "k", actorUID: 2, actorPID: 1, subject: "s", detail: "{}", prevHash: AuditEntry.genesisHash)
        #expect(one.hash != two.hash)
    }
}

struct AuditVerifierTests {
    static func chain(_ count: Int = 5) -> [AuditEntry] {
        var entries: [AuditEntry] = []
        var previous = AuditEntry.genesisHash
        for seq in 1...Int64(count) {
            let entry = AuditEntry(
                seq: seq, timeMillis: 1_795_452_042_000 + seq, kind: seq == 1 ? "config.load" : "delivery.attempt",
                actorUID: seq.isMultiple(of: 2) ? nil : 1000, actorPID: seq.isMultiple(of: 2) ? nil : 4000 + seq,
                subject: "msg_\(seq)", detail: #"{"status":200,"n":\#(seq)}"#, prevHash: previous
            )
            entries.append(entry)
            previous = entry.hash
        }
        return entries
    }

    static func verify(_ entries: [AuditEntry]) -> (problem: AuditVerifier.Problem?, verifier: AuditVerifier) {
        var verifier = AuditVerifier()
        for entry in entries {
            if let problem = verifier.check(entry) { return (problem, verifier) }
        }
        return (nil, verifier)
    }

    /// One field of an entry changed in place, its stored hash kept: what someone editing the table does.
    struct Edit: Sendable, CustomTestStringConvertible {
        var field: String
        var apply: @Sendable (inout AuditEntry) -> Void
        var testDescription: String { field }
    }

    static let edits: [Edit] = [
        Edit(field: "timeMillis") { $0.timeMillis += 1 },
        Edit(field: "kind") { $0.kind = "config.load" },
        Edit(field: "actorUID") { $0.actorUID = 0 },
        Edit(field: "actorUID and actorPID swapped") { swap(&$0.actorUID, &$0.actorPID) },
        Edit(field: "actorUID removed") { $0.actorUID = nil },
        Edit(field: "actorPID") { $0.actorPID = 1 },
        Edit(field: "actorPID removed") { $0.actorPID = nil },
        Edit(field: "subject") { $0.subject = "msg_other" },
        Edit(field: "detail") { $0.detail = #"{"status":500,"n":3}"# },
        Edit(field: "hash") { $0.hash = String(repeating: "a", count: 64) },
    ]

    @Test func intactChainVerifies() {
        let entries = Self.chain()
        let (problem, verifier) = Self.verify(entries)
        #expect(problem == nil)
        #expect(verifier.checked == 5)
        #expect(verifier.head == entries.last?.hash)
    }

    @Test func emptyChainHasTheGenesisHead() {
        let verifier = AuditVerifier()
        #expect(verifier.checked == 0)
        #expect(verifier.head == AuditEntry.genesisHash)
    }

    @Test(arguments: edits)
    func editingAnyFieldOfAMiddleEntryIsFoundAtThatEntry(edit: Edit) {
        var entries = Self.chain()
        edit.apply(&entries[2])
        let (problem, verifier) = Self.verify(entries)
        #expect(problem == .edited(seq: 3))
        #expect(problem?.seq == 3)
        #expect(verifier.checked == 2)
    }

    @Test func deletingAMiddleEntryIsAGap() {
        var entries = Self.chain()
        entries.remove(at: 2)
        let (problem, _) = Self.verify(entries)
        #expect(problem == .gap(expected: 3, found: 4))
        #expect(problem?.seq == 3)
        #expect(problem?.description.contains("entry 3 is missing") == true)
    }

    @Test func deletingTheFirstEntryIsAGap() {
        let (problem, _) = Self.verify(Array(Self.chain().dropFirst()))
        #expect(problem == .gap(expected: 1, found: 2))
    }

    @Test func relinkedEntryIsUnlinked() {
        // Entry 3 replaced by a self-consistent entry that links to entry 1 instead of entry 2.
        var entries = Self.chain()
        let forged = AuditEntry(
            seq: 3, timeMillis: entries[2].timeMillis, kind: "delivery.attempt", actorUID: nil, actorPID: nil,
            subject: "msg_3", detail: #"{"status":200}"#, prevHash: entries[0].hash
        )
        entries[2] = forged
        let (problem, verifier) = Self.verify(entries)
        #expect(problem == .unlinked(seq: 3))
        #expect(verifier.checked == 2)
        #expect(problem?.description.contains("entry 3 does not link") == true)
    }

    @Test func renumberedEntryAfterADeletionIsUnlinked() {
        // Entry 3 deleted, entry 4 renumbered 3 and rehashed: the chain still breaks at 3.
        var entries = Self.chain()
        let old = entries[3]
        entries[2] = AuditEntry(
            seq: 3, timeMillis: old.timeMillis, kind: old.kind, actorUID: old.actorUID, actorPID: old.actorPID,
            subject: old.subject, detail: old.detail, prevHash: old.prevHash
        )
        entries.remove(at: 3)
        #expect(Self.verify(entries).problem == .unlinked(seq: 3))
    }

    @Test func truncatedProblemNamesTheFirstMissingEntry() {
        let problem = AuditVerifier.Problem.truncated(lastSeq: 3, expected: 5)
        #expect(problem.seq == 4)
        #expect(problem.description.contains("ends at entry 3"))
    }
}
