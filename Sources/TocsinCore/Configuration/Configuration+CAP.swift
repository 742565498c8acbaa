public import Foundation

extension Configuration {
    /// `cap:` — the key and certificate every CAP alert is signed with (an enveloped XML Signature, CAP 1.2 §3.3.2.1),
    /// loaded once per configuration. Nil: alerts go out unsigned.
    public struct CAPSigning: Sendable, CustomStringConvertible {
        /// `cap.signing_key_file` and `cap.certificate_file`, resolved: what operator text names (never the key).
        public var keyFile: String
        public var certificateFile: String
        public var signer: any CAPAlertSigner

        public init(keyFile: String, certificateFile: String, signer: any CAPAlertSigner) {
            self.keyFile = keyFile
            self.certificateFile = certificateFile
            self.signer = signer
        }

        public var description: String { "CAPSigning(\(signer.algorithm), certificate \(certificateFile))" }
    }
}

/// Signs a CAP alert document. Implemented over libxmlsec1 in TocsinConfig (which loads the key), so that neither
/// this module nor the CLI links the XML security library; channels see only this.
public protocol CAPAlertSigner: Sendable {
    /// `RSA-SHA256` or `ECDSA-SHA256`.
    var algorithm: String { get }
    /// The certificate's subject, as `openssl x509 -subject` prints it (RFC 2253 order).
    var certificateSubject: String { get }
    /// When the certificate stops being valid; receivers that check it then refuse every alert.
    var certificateNotAfter: Date? { get }
    /// SHA-256 of the certificate (DER), as `openssl x509 -fingerprint -sha256` prints it: what receivers pin.
    var certificateFingerprint: String { get }
    /// `alert` (a CAP 1.2 document without whitespace-only text nodes) with an enveloped `<Signature>` as the last
    /// child of `<alert>`, serialized without indentation. Throws only when the library fails (memory, a broken
    /// document): never a reason to send the alert unsigned.
    func sign(_ alert: [UInt8]) throws -> [UInt8]
}
