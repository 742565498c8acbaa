import Crypto
import FoundationEssentials
import TocsinText

/// One line of the heads record: a copy, kept outside the database, of each signed head of the audit chain, of
/// each gap an approver accepted, and of each problem found. The heads file, the witness channel and an auditor's
/// offline check all read the same JSON lines.
///
/// Why: a signature proves the entries a checkpoint covers, but someone who can write the database can delete the
/// checkpoints with the entries (a cut tail, a rewrite renumbered from scratch). Only a record of what was signed,
/// held elsewhere, shows that something signed is gone.
public struct AuditHeadRecord: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        case checkpoint = "tocsin.audit.checkpoint"
        case accept = "tocsin.audit.accept"
        case problem = "tocsin.audit.problem"
    }

    public var type: Kind
    /// The checkpoint's (or the accept's) own entry; for a problem, the head when it was found.
    public var seq: Int64
    /// That entry's hash: it fixes every entry up to `seq` through the chain.
    public var hash: String
    public var timeMillis: Int64
    /// A checkpoint: the entry its signature covers (the one before it), the key and the Ed25519 signature.
    public var signedSeq: Int64?
    public var signedHash: String?
    public var key: String?
    public var signature: String?
    /// A problem or an accept: what was found, and (accept) the approver's reason.
    public var problem: String?
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case type, seq, hash, timeMillis = "time_ms", signedSeq = "signed_seq", signedHash = "signed_hash", key, signature
        case problem, reason
    }

    public init(
        type: Kind, seq: Int64, hash: String, timeMillis: Int64, signedSeq: Int64? = nil, signedHash: String? = nil,
        key: String? = nil, signature: String? = nil, problem: String? = nil, reason: String? = nil
    ) {
        self.type = type
        self.seq = seq
        self.hash = hash
        self.timeMillis = timeMillis
        self.signedSeq = signedSeq
        self.signedHash = signedHash
        self.key = key
        self.signature = signature
        self.problem = problem
        self.reason = reason
    }

    /// The record of a checkpoint entry as stored, or nil when `entry` is not a well-formed checkpoint.
    public init?(checkpoint entry: AuditEntry) {
        guard entry.kind == AuditCheckpoint.kind,
            let detail = try? JSONDecoder().decode(AuditCheckpoint.Detail.self, from: Data(entry.detail.utf8))
        else { return nil }
        self.init(
            type: .checkpoint, seq: entry.seq, hash: entry.hash, timeMillis: entry.timeMillis, signedSeq: detail.signedSeq,
            signedHash: detail.signedHash, key: detail.key, signature: detail.signature
        )
    }

    /// One compact JSON line (no newline), keys sorted so equal records are equal bytes.
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// Reads JSON lines; lines that are not head records (a witness log may hold other events) are skipped, and
    /// a webhook body (`{"type":…,"data":{…}}`) is read through its `data`.
    public static func parse(lines text: String) -> [AuditHeadRecord] {
        let decoder = JSONDecoder()
        var records: [AuditHeadRecord] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let data = Data(line.utf8)
            if let record = try? decoder.decode(AuditHeadRecord.self, from: data) {
                records.append(record)
            } else if let wrapped = try? decoder.decode(Wrapped.self, from: data) {
                records.append(wrapped.data)
            }
        }
        return records
    }

    private struct Wrapped: Decodable { var data: AuditHeadRecord }
}

/// Compares a chain with its heads record. Pure: the caller reads the chain and the record.
public enum AuditHeads {
    /// What still binds the chain: the records after the last accepted gap (an accept starts a new baseline, as
    /// after restoring an older backup), the last checkpoint among them, and a problem recorded after it.
    public struct Binding: Sendable, Hashable {
        public var checkpoints: [AuditHeadRecord] = []
        public var lastAccept: AuditHeadRecord?
        /// A problem recorded and not yet accepted: it stands, even if the chain looks whole now (the cut may have
        /// been of entries no record names).
        public var openProblem: AuditHeadRecord?

        /// The newest head the chain must still contain: the last checkpoint, or the accept.
        public var anchor: AuditHeadRecord? { checkpoints.last ?? lastAccept }
    }

    public static func binding(_ records: [AuditHeadRecord]) -> Binding {
        var binding = Binding()
        for record in records {
            switch record.type {
            case .accept:
                binding = Binding(lastAccept: record)
            case .checkpoint:
                binding.checkpoints.append(record)
            case .problem:
                if binding.openProblem == nil { binding.openProblem = record }
            }
        }
        return binding
    }

    /// Why the chain contradicts `record`, or nil when it contains it.
    ///
    /// - Parameters:
    ///   - chainEnd: the seq of the chain's last entry.
    ///   - hash: the hash of the entry at `record.seq`, or nil when the chain has no such entry.
    public static func contradiction(_ record: AuditHeadRecord, chainEnd: Int64, hash: String?, source: String) -> String? {
        let what = record.type == .accept ? "an accepted gap" : "a signed head"
        let when = UTCTime.internetDateTime(millis: record.timeMillis, offsetMinutes: 0)
        if record.seq > chainEnd {
            return "the audit log ends at entry \(chainEnd) but \(what) at entry \(record.seq) was recorded on \(when) (\(source)): entries after \(chainEnd) were deleted"
        }
        guard let hash else {
            return "entry \(record.seq) is missing, but \(what) at entry \(record.seq) was recorded on \(when) (\(source)): entries were deleted"
        }
        if hash != record.hash {
            return "entry \(record.seq) is not the one whose head was recorded on \(when) (\(source)): the log was rewritten up to entry \(record.seq)"
        }
        return nil
    }

    /// Why a checkpoint line's own signature is bad, or nil when it verifies under `keys` (a heads file copied by
    /// someone without the key cannot gain a line).
    public static func signatureProblem(_ record: AuditHeadRecord, keys: [AuditPublicKey], source: String) -> String? {
        guard record.type == .checkpoint else { return nil }
        guard let signedSeq = record.signedSeq, let signedHash = record.signedHash, let keyID = record.key,
            let signature = record.signature.flatMap({ Data(base64Encoded: $0) })
        else { return "the line for entry \(record.seq) in \(source) is malformed" }
        guard signedSeq == record.seq - 1 else {
            return "the line for entry \(record.seq) in \(source) signs entry \(signedSeq), not the entry before it: the record was edited"
        }
        guard let key = keys.first(where: { $0.id == keyID }) else {
            return "the line for entry \(record.seq) in \(source) is signed by key \(keyID), which is not trusted"
        }
        let message = AuditCheckpoint.message(seq: signedSeq, hash: signedHash, timeMillis: record.timeMillis, key: keyID)
        guard key.key.isValidSignature(signature, for: message) else {
            return "the signature of the line for entry \(record.seq) in \(source) does not verify: the record was edited"
        }
        return nil
    }
}

extension Date {
    fileprivate init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}
