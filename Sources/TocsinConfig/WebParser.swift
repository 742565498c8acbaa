import Foundation
import TocsinCore
import Yams

extension ConfigParser {
    /// The systemd credential name the seed key is looked for under when `web.seed_key_file` is not set.
    static let seedKeyCredential = "web-seed-key"

    /// `web: { seed_key_file }`, or the systemd credential `web-seed-key` (`LoadCredential=web-seed-key:…`) when
    /// the key is not set. A key that cannot be used is a config error naming the file, never the key.
    mutating func parseWeb(_ node: Node?) -> Configuration.Web? {
        let map = reader.mapping(node, "web", allowed: ConfigKeys.allowed(under: "web"))
        let keyFile: String
        if let name = reader.string(map["seed_key_file"], "web.seed_key_file") {
            keyFile = resolve(name)
        } else if let credentials = environment["CREDENTIALS_DIRECTORY"],
                  FileManager.default.fileExists(atPath: credentials + "/" + Self.seedKeyCredential) {
            keyFile = credentials + "/" + Self.seedKeyCredential
        } else {
            return nil
        }
        let at = map["seed_key_file"] ?? node
        guard let contents = FileManager.default.contents(atPath: keyFile) else {
            reader.error("cannot read the web users' seed key: \(ConfigLoader.describeReadFailure(keyFile))", at: at)
            return nil
        }
        let access = ConfigLoader.secretFileAccess(keyFile)
        if let refusal = access.refusal {
            reader.error("the web users' seed key: \(refusal)", at: at)
        } else if access.warning != nil {
            // Whoever reads it, with a backup, has every web user's second factor.
            reader.error("the web users' seed key \(keyFile) can be read by every user of the machine: run `chmod 600 \(keyFile)` (or pass it with systemd LoadCredential=)", at: at)
        }
        do {
            return Configuration.Web(seedKeyFile: keyFile, sealer: try SeedSealer(keyFile: contents))
        } catch {
            reader.error("'web.seed_key_file' (\(keyFile)): \(error)", at: at)
            return nil
        }
    }
}
