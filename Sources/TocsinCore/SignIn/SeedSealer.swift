import Crypto
public import Foundation
import TocsinAudit

/// Seals web users' TOTP seeds for the store with AES-256-GCM under a key the daemon gets as a credential
/// (`LoadCredential=`), so a copy of the database or a backup alone reveals no seed. The user's name is the
/// additional authenticated data: an insider who moves one user's sealed seed onto another's row gets a seal that
/// does not open, rather than the other user's second factor.
///
/// Sealed form: nonce (12 bytes), ciphertext, tag (16 bytes) — swift-crypto's `combined` representation.
public struct SeedSealer: Sendable, CustomStringConvertible, CustomReflectable {
    private let key: SymmetricKey
    /// A short name for the key (first 8 hex digits of SHA-256 over it): tells which key sealed what, reveals nothing.
    public let keyID: String

    /// Why a key or a seal could not be used, in words for the operator.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// A key file's content: 32 bytes, raw or in base64 (`openssl rand -base64 32`), surrounding whitespace ignored.
    public init(keyFile contents: Data) throws(Problem) {
        var bytes = [UInt8](contents)
        if bytes.count != 32 {
            let text = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let decoded = Data(base64Encoded: text), decoded.count == 32 else {
                throw Problem(description: "the web users' key must be 32 random bytes, raw or in base64 (make one with: openssl rand -base64 32); this one has \(contents.count) bytes")
            }
            bytes = [UInt8](decoded)
        }
        key = SymmetricKey(data: bytes)
        keyID = String(SHA256.hash(data: bytes).hexString.prefix(8))
    }

    /// Seals `seed` for the web user `user`.
    public func seal(_ seed: [UInt8], for user: String) throws(Problem) -> Data {
        do {
            let box = try AES.GCM.seal(seed, using: key, authenticating: Data(user.utf8))
            guard let combined = box.combined else { throw Problem(description: "cannot seal the seed") }
            return combined
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(description: "cannot seal the seed: \(error)")
        }
    }

    /// Opens a seal made for `user`; fails when the key is another, the seal was edited or made for someone else.
    public func open(_ sealed: Data, for user: String) throws(Problem) -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return [UInt8](try AES.GCM.open(box, using: key, authenticating: Data(user.utf8)))
        } catch {
            throw Problem(description: "the TOTP seed of web user '\(user)' does not open with key \(keyID): it was sealed with another key, edited, or moved from another user (tocsinctl web-users reset \(user) enrols a new one)")
        }
    }

    public var description: String { "SeedSealer(key \(keyID))" }
    public var customMirror: Mirror { Mirror(self, children: ["key": keyID]) }
}
