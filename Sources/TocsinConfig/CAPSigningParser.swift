import Foundation
public import TocsinCore
import Yams

extension ConfigParser {
    /// `cap: { signing_key_file, certificate_file }`: the key every CAP alert is signed with, and its certificate.
    /// Loaded and checked against each other here, so a bad pair is a config error at check, start and reload
    /// (naming the file), never a surprise at the first alert.
    mutating func parseCAP(_ node: Node?, channels: [String: ChannelDefinition]) -> Configuration.CAPSigning? {
        let map = reader.mapping(node, "cap", allowed: ConfigKeys.allowed(under: "cap"))
        let keyName = reader.string(map["signing_key_file"], "cap.signing_key_file")
        let certificateName = reader.string(map["certificate_file"], "cap.certificate_file")
        guard keyName != nil || certificateName != nil else { return nil }
        guard let keyName, let certificateName else {
            if keyName == nil {
                reader.error("'cap.certificate_file' needs 'cap.signing_key_file': the private key that signs the alerts", at: map["certificate_file"])
            } else {
                reader.error("'cap.signing_key_file' needs 'cap.certificate_file': the certificate receivers check signatures with", at: map["signing_key_file"])
            }
            return nil
        }
        let keyFile = resolve(keyName), certificateFile = resolve(certificateName)
        guard let keyPEM = FileManager.default.contents(atPath: keyFile) else {
            reader.error("cannot read 'cap.signing_key_file': \(ConfigLoader.describeReadFailure(keyFile))", at: map["signing_key_file"])
            return nil
        }
        let access = ConfigLoader.secretFileAccess(keyFile)
        if let refusal = access.refusal {
            reader.error("'cap.signing_key_file': \(refusal)", at: map["signing_key_file"])
        } else if access.warning != nil {
            // Whoever reads it can sign alerts in the college's name, as with the audit key: refused, not warned.
            reader.error("the CAP signing key \(keyFile) can be read by every user of the machine: run `chmod 600 \(keyFile)` (or pass it with systemd LoadCredential=)", at: map["signing_key_file"])
        }
        guard let certificatePEM = FileManager.default.contents(atPath: certificateFile) else {
            reader.error("cannot read 'cap.certificate_file': \(ConfigLoader.describeReadFailure(certificateFile))", at: map["certificate_file"])
            return nil
        }
        let signer: XMLSecCAPSigner
        do {
            signer = try XMLSecCAPSigner(keyPEM: Array(keyPEM), certificatePEM: Array(certificatePEM))
        } catch {
            switch error.kind {
            case .key: reader.error("'cap.signing_key_file' (\(keyFile)) is \(error)", at: map["signing_key_file"])
            case .certificate: reader.error("'cap.certificate_file' (\(certificateFile)) is \(error)", at: map["certificate_file"])
            case .pair: reader.error("'cap.certificate_file' (\(certificateFile)) does not match 'cap.signing_key_file' (\(keyFile)): \(error)", at: map["certificate_file"])
            case .library: reader.error("'cap.signing_key_file': \(error)", at: map["signing_key_file"])
            }
            return nil
        }
        if let notAfter = signer.certificateNotAfter, notAfter < Date() {
            reader.warning("the certificate \(certificateFile) (cap.certificate_file) expired on \(Self.day(notAfter)): receivers that check it refuse every alert; make a new one (runbooks/cap-signing.md)", at: map["certificate_file"])
        }
        if !channels.values.contains(where: { $0.type == .cap }) {
            reader.warning("'cap' signs CAP alerts, but no channel is of type cap: it has no effect", at: node)
        }
        return Configuration.CAPSigning(keyFile: keyFile, certificateFile: certificateFile, signer: signer)
    }

    static func day(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: date)
    }
}

extension Configuration {
    /// What `tocsind --check-config` says of each `cap` channel: signed (how, with which certificate) or not.
    public var capSignatureLines: [String] {
        channels.values.filter { $0.type == .cap }.map(\.name).sorted().map { name in
            guard let cap else { return "cap channel '\(name)': alerts are not signed (no cap.signing_key_file)" }
            let until = cap.signer.certificateNotAfter.map { "; valid until \(ConfigParser.day($0))" } ?? ""
            return "cap channel '\(name)': alerts are signed with \(cap.signer.algorithm) (certificate \(cap.certificateFile): \(cap.signer.certificateSubject)\(until))"
        }
    }
}
