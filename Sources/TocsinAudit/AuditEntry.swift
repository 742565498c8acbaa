import Crypto
import FoundationEssentials
import TocsinText

/// One entry of the append-only, hash-chained audit log.
///
/// Two formats, told apart by `node`:
/// - format 1, written before entries named their node (`node` nil), and still verified as it was:
///   `hash = SHA-256(prevHash "\n" seq "\n" time "\n" kind "\n" uid "\n" pid "\n" subject "\n" detail)`;
/// - format 2, every entry since (the node that wrote it, so a cluster's one chain says who appended what):
///   `hash = SHA-256("tocsin-audit/v2" "\n" prevHash "\n" seq "\n" time "\n" kind "\n" uid "\n" pid "\n" subject "\n" node "\n" detail)`.
///
/// Every field but `detail` is a number or a single-line identifier, so the newline separators cannot be forged
/// by a value; `detail` (JSON) comes last and may hold anything. The version line cannot begin a format-1 entry
/// (those begin with a 64-digit hash), so no entry can be read as the other format with the same hash: clearing
/// `node` and moving it into `detail` breaks the entry.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var seq: Int64
    /// Milliseconds since 1970, UTC: exact, so recomputing the hash never depends on date formatting.
    public var timeMillis: Int64
    /// What happened: `admin.request`, `config.load`, `template.approve`, `incident.create`, `delivery.attempt`, …
    public var kind: String
    public var actorUID: Int64?
    public var actorPID: Int64?
    /// What it happened to: an incident, delivery or template id.
    public var subject: String
    /// The node that appended it (`cluster.node`); nil in entries of format 1, written before entries named it.
    public var node: String?
    /// Compact JSON with the particulars.
    public var detail: String
    public var prevHash: String
    public var hash: String

    /// The hash of the empty chain's head.
    public static let genesisHash = String(repeating: "0", count: 64)

    public init(
        seq: Int64, timeMillis: Int64, kind: String, actorUID: Int64?, actorPID: Int64?,
        subject: String, node: String? = nil, detail: String, prevHash: String
    ) {
        self.seq = seq
        self.timeMillis = timeMillis
        self.kind = Self.singleLine(kind)
        self.actorUID = actorUID
        self.actorPID = actorPID
        self.subject = Self.singleLine(subject)
        self.node = node.map(Self.singleLine)
        self.detail = detail
        self.prevHash = prevHash
        self.hash = ""
        self.hash = computedHash()
    }

    /// An entry as stored, hash included, without recomputing anything: what verification reads row by row.
    public init(
        stored seq: Int64, timeMillis: Int64, kind: String, actorUID: Int64?, actorPID: Int64?, subject: String,
        node: String?, detail: String, prevHash: String, hash: String
    ) {
        self.seq = seq
        self.timeMillis = timeMillis
        self.kind = kind
        self.actorUID = actorUID
        self.actorPID = actorPID
        self.subject = subject
        self.node = node
        self.detail = detail
        self.prevHash = prevHash
        self.hash = hash
    }

    /// The hash this entry's fields give; differs from `hash` when the row was edited.
    public func computedHash() -> String { digest().hexString }

    /// Whether the stored `hash` is what the fields give, compared without building the hex string: verification
    /// does this a million times.
    public var hashMatches: Bool {
        let stored = hash.utf8
        guard stored.count == 64 else { return false }
        var index = stored.startIndex
        for byte in digest() {
            let digits = Self.hexDigits
            guard stored[index] == digits[Int(byte >> 4)] else { return false }
            index = stored.index(after: index)
            guard stored[index] == digits[Int(byte & 0x0F)] else { return false }
            index = stored.index(after: index)
        }
        return true
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The first line of a format-2 entry's hashed text.
    private static let version2 = "tocsin-audit/v2"

    /// SHA-256 over the documented layout: the fields before `detail` are written into one buffer (on the stack
    /// when small) and hashed in one update, then `detail`. Verifying a million entries must not build a million
    /// strings, and an update per field cost ~300 instructions of overhead each (eight per entry, three entries per
    /// delivery; callgrind). A writer passed `inout`, not closures capturing state, avoids a dynamic exclusivity
    /// check per field, which showed in the `audit verify` profile.
    private func digest() -> SHA256.Digest {
        var hasher = SHA256()
        // Each number takes at most 20 digits and a sign; each field ends with a newline.
        let capacity = Self.version2.utf8.count + prevHash.utf8.count + kind.utf8.count + subject.utf8.count
            + (node?.utf8.count ?? 0) + 4 * 21 + 9
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var out = ByteWriter(buffer)
            if node != nil { Self.field(Self.version2, to: &out) }
            Self.field(prevHash, to: &out)
            Self.field(seq, to: &out)
            Self.field(timeMillis, to: &out)
            Self.field(kind, to: &out)
            Self.field(actorUID, to: &out)
            Self.field(actorPID, to: &out)
            Self.field(subject, to: &out)
            if let node { Self.field(node, to: &out) }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<out.end])))
        }
        var detail = detail
        detail.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return hasher.finalize()
    }

    /// The text and its newline separator.
    private static func field(_ text: String, to out: inout ByteWriter) {
        out.put(text)
        out.put(UInt8(ascii: "\n"))
    }

    /// A number in decimal (`-` when absent) and its newline.
    private static func field(_ number: Int64?, to out: inout ByteWriter) {
        if let number { out.put(number) } else { out.put(UInt8(ascii: "-")) }
        out.put(UInt8(ascii: "\n"))
    }

    /// Looks at UTF-8 bytes: `String.contains("\n")` went through Foundation's NSString search (two objects and
    /// ~5,000 instructions per call, twice per entry).
    private static func singleLine(_ text: String) -> String {
        text.replacing(ascii: 0x0A, with: " ")
    }
}

/// The position of the audit chain: how many entries and the hash of the last.
public struct AuditHead: Sendable, Hashable, Codable {
    public var seq: Int64
    public var hash: String

    public init(seq: Int64, hash: String) {
        self.seq = seq
        self.hash = hash
    }

    public static let empty = AuditHead(seq: 0, hash: AuditEntry.genesisHash)
}

/// Walks a chain in order and finds the first entry that does not follow from the one before it.
///
/// With trusted keys, it also checks every signed checkpoint on the way (see `AuditCheckpoint`).
public struct AuditVerifier: Sendable {
    public private(set) var checked: Int64 = 0
    public private(set) var head: String = AuditEntry.genesisHash
    private var expectedSeq: Int64 = 1
    public private(set) var checkpoints: CheckpointVerifier

    public init(trusting keys: [AuditPublicKey] = []) {
        checkpoints = CheckpointVerifier(trusting: keys)
    }

    /// Starts mid-chain: the first entry checked must be `afterSeq + 1` and link to `head` (an export of a window).
    public init(afterSeq: Int64, head: String, trusting keys: [AuditPublicKey] = []) {
        self.head = head
        expectedSeq = afterSeq + 1
        checkpoints = CheckpointVerifier(trusting: keys)
    }

    /// Continues mid-chain from `afterSeq`/`head` with the checkpoint results gathered so far (a partial export).
    public mutating func restart(afterSeq: Int64, head: String) {
        self.head = head
        expectedSeq = afterSeq + 1
    }

    public enum Problem: Sendable, Hashable, CustomStringConvertible {
        case gap(expected: Int64, found: Int64)
        case edited(seq: Int64)
        case unlinked(seq: Int64)
        /// The chain ends before an entry known to exist (the daemon's head, a signed checkpoint).
        case truncated(lastSeq: Int64, expected: Int64)
        /// A signed checkpoint that does not verify: the entries it covers were rewritten, or it was forged.
        case badCheckpoint(seq: Int64, reason: String)
        /// Keys were given but no checkpoint signed by them was found: nothing in the chain is proven.
        case unsigned(lastSeq: Int64)
        /// The entry at `seq` is not the one this daemon wrote there (its hash changed): rewritten while running.
        case replaced(seq: Int64)

        public var seq: Int64 {
            switch self {
            case .gap(let expected, _): expected
            case .edited(let seq), .unlinked(let seq), .badCheckpoint(let seq, _), .replaced(let seq): seq
            case .truncated(let lastSeq, _): lastSeq + 1
            case .unsigned(let lastSeq): lastSeq
            }
        }

        public var description: String {
            switch self {
            case .gap(let expected, let found):
                "entry \(expected) is missing (the next entry found is \(found)): entries were deleted"
            case .edited(let seq): "entry \(seq) was altered: its content no longer matches its hash"
            case .unlinked(let seq): "entry \(seq) does not link to the entry before it: the chain was rewritten"
            case .truncated(let lastSeq, let expected):
                "the log ends at entry \(lastSeq) but entry \(expected) was written: entries after \(lastSeq) were deleted"
            case .badCheckpoint(_, let reason): reason
            case .replaced(let seq):
                "entry \(seq) is not the entry tocsind wrote there (its hash changed): the log was rewritten up to entry \(seq)"
            case .unsigned(let lastSeq):
                "no checkpoint signed by a trusted key in entries up to \(lastSeq): the chain may have been rewritten whole"
            }
        }
    }

    /// Checks the next entry; returns the problem it shows, if any.
    public mutating func check(_ entry: AuditEntry) -> Problem? {
        if entry.seq != expectedSeq { return .gap(expected: expectedSeq, found: entry.seq) }
        if entry.prevHash != head { return .unlinked(seq: entry.seq) }
        if !entry.hashMatches { return .edited(seq: entry.seq) }
        if !checkpoints.isEmpty, let reason = checkpoints.check(entry) { return .badCheckpoint(seq: entry.seq, reason: reason) }
        head = entry.hash
        expectedSeq += 1
        checked += 1
        return nil
    }

    /// Called after the last entry: with trusted keys, a chain without any verified checkpoint is not proven.
    public func finish() -> Problem? {
        if !checkpoints.isEmpty, checkpoints.verified == 0, checked > 0 { return .unsigned(lastSeq: expectedSeq - 1) }
        return nil
    }
}
