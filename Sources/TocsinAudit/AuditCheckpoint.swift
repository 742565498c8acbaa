import Crypto
import CryptoExtras
import FoundationEssentials

/// A signed audit checkpoint: an `audit.checkpoint` entry whose detail carries an Ed25519 signature over the
/// chain head just before it (its own `prevHash`). The hash chain makes every earlier entry part of that head, so
/// someone who can write the database but does not hold the key cannot rewrite anything a checkpoint covers.
///
/// Signed message, one field per line: `tocsin-audit-checkpoint/v1`, the signed entry's seq, its hash, the
/// checkpoint's time in milliseconds and the key id. The version line keeps the signature from meaning anything
/// outside this use.
public enum AuditCheckpoint {
    public static let kind = "audit.checkpoint"

    /// The `detail` of a checkpoint entry.
    public struct Detail: Sendable, Hashable, Codable {
        public var signedSeq: Int64
        public var signedHash: String
        public var key: String
        public var signature: String
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case signedSeq = "signed_seq", signedHash = "signed_hash", key, signature, reason
        }
    }

    static func message(seq: Int64, hash: String, timeMillis: Int64, key: String) -> Data {
        Data("tocsin-audit-checkpoint/v1\n\(seq)\n\(hash)\n\(timeMillis)\n\(key)".utf8)
    }

    /// A short, stable name for a public key: the first 16 hex digits of SHA-256 over its 32 raw bytes.
    static func keyID(_ key: Curve25519.Signing.PublicKey) -> String {
        String(SHA256.hash(data: key.rawRepresentation).hexString.prefix(16))
    }
}

/// Why a key file could not be used, in words for the config diagnostics.
public struct AuditKeyError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// The daemon's signing key. The key itself never leaves this type: no description, no reflection.
public struct AuditSigner: Sendable, CustomStringConvertible, CustomReflectable {
    private let key: Curve25519.Signing.PrivateKey
    public let publicKey: AuditPublicKey

    /// Reads a PKCS#8 PEM private key, as written by `openssl genpkey -algorithm ed25519`.
    public init(pem: String) throws(AuditKeyError) {
        do {
            key = try Curve25519.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw AuditKeyError(description: "not an Ed25519 private key in PEM form (make one with: openssl genpkey -algorithm ed25519 -out audit-signing.pem)")
        }
        publicKey = AuditPublicKey(key.publicKey)
    }

    /// The detail of a checkpoint signing `head`, written at `timeMillis`.
    /// Throws when signing fails, so the transaction carrying the checkpoint aborts rather than storing one that can
    /// never verify.
    public func checkpointDetail(head: AuditHead, timeMillis: Int64, reason: String) throws -> String {
        let message = AuditCheckpoint.message(seq: head.seq, hash: head.hash, timeMillis: timeMillis, key: publicKey.id)
        let signature = try key.signature(for: message)
        var detail = AuditDetail()
        detail.set("signed_seq", Int(head.seq))
        detail.set("signed_hash", head.hash)
        detail.set("key", publicKey.id)
        detail.set("signature", signature.base64EncodedString())
        detail.set("reason", reason)
        return detail.json
    }

    public var description: String { "AuditSigner(key \(publicKey.id))" }
    public var customMirror: Mirror { Mirror(self, children: ["key": publicKey.id]) }
}

/// A public key that checkpoints are verified against.
public struct AuditPublicKey: Sendable, Hashable, CustomStringConvertible {
    let key: Curve25519.Signing.PublicKey
    public let id: String

    init(_ key: Curve25519.Signing.PublicKey) {
        self.key = key
        id = AuditCheckpoint.keyID(key)
    }

    /// Reads a PEM public key (`openssl pkey -in audit-signing.pem -pubout`); a private key PEM gives its public half.
    public init(pem: String) throws(AuditKeyError) {
        if let key = try? Curve25519.Signing.PublicKey(pemRepresentation: pem) {
            self.init(key)
        } else if let key = try? Curve25519.Signing.PrivateKey(pemRepresentation: pem) {
            self.init(key.publicKey)
        } else {
            throw AuditKeyError(description: "not an Ed25519 public key in PEM form (make one with: openssl pkey -in audit-signing.pem -pubout -out audit-signing.pub)")
        }
    }

    public var pemRepresentation: String { key.pemRepresentation }
    public var description: String { "Ed25519 key \(id)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

/// Checks the checkpoints of a chain as `AuditVerifier` walks it, against the keys trusted to sign them.
public struct CheckpointVerifier: Sendable {
    private let keys: [String: AuditPublicKey]
    public private(set) var verified: Int64 = 0
    /// The last checkpoint whose signature verified: every entry up to its `signedSeq` is proven.
    public private(set) var last: VerifiedCheckpoint?

    public init(trusting keys: [AuditPublicKey]) {
        self.keys = Dictionary(keys.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var isEmpty: Bool { keys.isEmpty }

    /// Checks one entry already known to be intact and linked; returns why its checkpoint is bad, if it is one.
    mutating func check(_ entry: AuditEntry) -> String? {
        guard entry.kind == AuditCheckpoint.kind else { return nil }
        guard let detail = try? JSONDecoder().decode(AuditCheckpoint.Detail.self, from: Data(entry.detail.utf8)) else {
            return "checkpoint entry \(entry.seq) is malformed"
        }
        guard detail.signedSeq == entry.seq - 1 else {
            return "checkpoint entry \(entry.seq) signs entry \(detail.signedSeq), not the entry before it: it was moved, the chain was rewritten"
        }
        guard detail.signedHash == entry.prevHash else {
            return "checkpoint entry \(entry.seq) signed a different entry \(detail.signedSeq) than the one in the log: entries up to \(detail.signedSeq) were rewritten"
        }
        guard let key = keys[detail.key] else {
            return "checkpoint entry \(entry.seq) is signed by key \(detail.key), which is not trusted (add its public key to audit.trusted_keys, or pass it with --public-key)"
        }
        let message = AuditCheckpoint.message(seq: detail.signedSeq, hash: detail.signedHash, timeMillis: entry.timeMillis, key: detail.key)
        guard let signature = Data(base64Encoded: detail.signature), key.key.isValidSignature(signature, for: message) else {
            return "the signature of checkpoint entry \(entry.seq) does not verify: entries up to \(detail.signedSeq) were rewritten"
        }
        verified += 1
        last = VerifiedCheckpoint(seq: entry.seq, signedSeq: detail.signedSeq, timeMillis: entry.timeMillis, key: detail.key)
        return nil
    }
}

/// A checkpoint whose signature verified.
public struct VerifiedCheckpoint: Sendable, Hashable {
    /// The checkpoint entry itself.
    public var seq: Int64
    /// The last entry its signature covers (the one just before it).
    public var signedSeq: Int64
    public var timeMillis: Int64
    public var key: String
}
