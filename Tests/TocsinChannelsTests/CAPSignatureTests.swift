import Foundation
import Testing
import TocsinChannels
import TocsinConfig
import TocsinCore
import TocsinTestSupport

/// Signed CAP alerts (issue 19, item 2) checked by tools that share nothing with the signer: `xmlsec1 --verify`,
/// the WMO's `capvalidator` in strict mode and `xmllint` with the OASIS schema, on keys made by `openssl`.
@Suite(.enabled("needs openssl, xmlsec1, xmllint and capvalidator (scripts/install-deps.sh)") { await required { await CAPSigningTools.available() } })
struct CAPSignatureTests {
    static func signedAlert(_ kind: CAPSigningTools.KeyKind, in folder: TemporaryDirectory) async throws -> (alert: [UInt8], certificate: String, signer: XMLSecCAPSigner) {
        let (key, certificate) = try await CAPSigningTools.makeKey(kind, in: folder)
        let signer = try XMLSecCAPSigner(keyFile: key, certificateFile: certificate)
        let endpoint = try ChannelEndpoints.make(
            CAPEndpointTests.definition(url: CAPEndpointTests.postURL, feed: folder.file("feed")), defaultTimeout: .seconds(5), capSigner: signer
        )
        let payload = try endpoint.encode(CAPEndpointTests.message(body: "Quittez <Pavillon A> & « attendez » l'appel."))
        #expect(payload.contentType == "application/cap+xml")
        return (payload.body, certificate, signer)
    }

    @Test(arguments: CAPSigningTools.KeyKind.allCases)
    func aSignedAlertPassesXmlsecCapvalidatorAndTheSchema(kind: CAPSigningTools.KeyKind) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (alert, certificate, signer) = try await Self.signedAlert(kind, in: folder)
        #expect(signer.algorithm == (kind == .rsa ? "RSA-SHA256" : "ECDSA-SHA256"))
        #expect(signer.certificateSubject.contains("CN=Alertes CAP (\(kind))"))
        #expect(try #require(signer.certificateNotAfter) > Date())
        let file = try folder.write("alert.xml", String(decoding: alert, as: UTF8.self))

        let xmlsec = try await CAPSigningTools.xmlsec(file, certificate: certificate)
        #expect(xmlsec.status == 0 && xmlsec.stderr.contains("OK"), "\(xmlsec)")
        let validator = try await CAPSigningTools.capvalidator(file)
        #expect(validator.status == 0, "\(validator)")
        #expect(validator.stdout.contains("CAP XML file is valid."), "\(validator)")
        let schema = try await CAPSigningTools.schema(file)
        #expect(schema.status == 0, "\(schema)")

        // What the signature is made of: the whole alert, exclusive c14n, SHA-256, the certificate in KeyInfo.
        let text = String(decoding: alert, as: UTF8.self)
        let method = kind == .rsa ? "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" : "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
        for expected in [
            "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>", "<SignatureMethod Algorithm=\"\(method)\"/>",
            "<Reference URI=\"\">", "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>",
            "<DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>", "<X509Data><X509Certificate>",
        ] {
            #expect(text.contains(expected), "missing \(expected) in \(text)")
        }
        // The Signature is the alert's last child, and the alert has no whitespace-only text node (capvalidator
        // drops those before it checks).
        #expect(text.hasSuffix("</Signature></alert>\n"), "\(text)")
        let declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        #expect(text.hasPrefix(declaration))
        #expect(text.dropFirst(declaration.count).firstRange(of: />\s+</) == nil, "\(text)")
        #expect(text.components(separatedBy: "<Signature ").count == 2)
        // The values read back as written: escaping survives the library's serialisation.
        let parsed = try await CAPEndpointTests.parse(alert)
        #expect(parsed.infos.first?.description == "Quittez <Pavillon A> & « attendez » l'appel.")
        #expect(parsed.identifier == "20261123-K7QF2A")
    }

    /// One byte changed in the signed alert: a value the schema still accepts fails both signature checks; a value it
    /// refuses (`scope`) fails all three.
    @Test(arguments: CAPSigningTools.KeyKind.allCases)
    func oneChangedByteFailsEveryCheck(kind: CAPSigningTools.KeyKind) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (alert, certificate, _) = try await Self.signedAlert(kind, in: folder)

        let headline = try #require(CAPSigningTools.tampered(alert, "Pavillon A</headline>", "Pavillon B</headline>"))
        let changedText = try folder.write("headline.xml", String(decoding: headline, as: UTF8.self))
        let xmlsecText = try await CAPSigningTools.xmlsec(changedText, certificate: certificate)
        #expect(xmlsecText.status != 0, "\(xmlsecText)")
        let validatorText = try await CAPSigningTools.capvalidator(changedText)
        #expect(validatorText.status != 0, "\(validatorText)")
        #expect(validatorText.stdout.contains("signature is invalid"), "\(validatorText)")

        let scope = try #require(CAPSigningTools.tampered(alert, "<scope>Public</scope>", "<scope>Publik</scope>"))
        let changedScope = try folder.write("scope.xml", String(decoding: scope, as: UTF8.self))
        let xmlsec = try await CAPSigningTools.xmlsec(changedScope, certificate: certificate)
        #expect(xmlsec.status != 0, "\(xmlsec)")
        let validator = try await CAPSigningTools.capvalidator(changedScope)
        #expect(validator.status != 0, "\(validator)")
        let schema = try await CAPSigningTools.schema(changedScope)
        #expect(schema.status != 0, "\(schema)")
    }

    /// A signature made with another key than the certificate's does not verify against the certificate.
    @Test func anotherKeysCertificateDoesNotVerify() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (alert, _, _) = try await Self.signedAlert(.ecdsa, in: folder)
        let other = try await CAPSigningTools.makeKey(.ecdsa, named: "other", in: folder)
        let file = try folder.write("alert.xml", String(decoding: alert, as: UTF8.self))
        let xmlsec = try await CAPSigningTools.xmlsec(file, certificate: other.certificate)
        #expect(xmlsec.status != 0, "\(xmlsec)")
    }

    /// The signer is the same object for every alert and thread: concurrent signatures all verify.
    @Test func concurrentSignaturesAllVerify() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (_, certificate, signer) = try await Self.signedAlert(.rsa, in: folder)
        let endpoint = try ChannelEndpoints.make(CAPEndpointTests.definition(), defaultTimeout: .seconds(5), capSigner: signer)
        let alerts = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for index in 0..<8 {
                group.addTask { try endpoint.encode(CAPEndpointTests.message(id: "20261123-K7QF2\(index)")).body }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (index, alert) in alerts.enumerated() {
            let file = try folder.write("alert-\(index).xml", String(decoding: alert, as: UTF8.self))
            let xmlsec = try await CAPSigningTools.xmlsec(file, certificate: certificate)
            #expect(xmlsec.status == 0, "\(xmlsec)")
        }
    }

    /// Without a key, the alert is the unsigned, indented one it always was.
    @Test func withoutAKeyTheAlertIsUnsigned() throws {
        let endpoint = try ChannelEndpoints.make(CAPEndpointTests.definition(), defaultTimeout: .seconds(5))
        let text = String(decoding: try endpoint.encode(CAPEndpointTests.message()).body, as: UTF8.self)
        #expect(!text.contains("Signature"))
        #expect(text.contains("\n  <identifier>20261123-K7QF2A</identifier>\n"))
    }
}
