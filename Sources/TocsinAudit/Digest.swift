import Crypto
public import FoundationEssentials

/// SHA-256 in the lower-case hex form used across Tocsin (approvals, audit, config fingerprints).
public enum Digest {
    public static func sha256(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).hexString
    }

    public static func sha256(_ text: String) -> String {
        sha256(Data(text.utf8))
    }
}
