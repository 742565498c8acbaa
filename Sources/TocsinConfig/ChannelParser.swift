import Foundation
import TocsinCore
import Yams

/// The `channels:` section: each destination's type, keys, secrets (inline or `*_file`) and limits.
struct ChannelParser {
    var reader: YAMLReader
    /// Secrets written in the config file itself (`channels.x.secret`, a secret-looking header), with their lines
    /// and the key that could hold them instead: such a file must not be readable by every user.
    var inlineSecrets: [InlineSecret] = []
    let folder: String
    let environment: [String: String]
    let languages: [String]

    mutating func parse(_ node: Node?) -> [String: ChannelDefinition] {
        var channels: [String: ChannelDefinition] = [:]
        for (name, keyNode, value) in reader.orderedMapping(node, "channels") {
            if name.isEmpty || name.contains(where: { $0.isWhitespace || $0 == "," }) {
                reader.error("channel name '\(name)' must not contain spaces or commas", at: keyNode)
            }
            if let channel = parseChannel(name, value) { channels[name] = channel }
        }
        return channels
    }

    private mutating func parseChannel(_ name: String, _ node: Node) -> ChannelDefinition? {
        let path = "channels.\(name)"
        let raw = reader.mapping(node, path)
        guard let typeName = reader.string(raw["type"], "\(path).type", required: true, parent: node) else { return nil }
        guard let type = ChannelType(rawValue: typeName) else {
            let choices = ChannelType.allCases.map(\.rawValue).joined(separator: ", ")
            reader.error("'\(path).type' is '\(typeName)'; it must be one of: \(choices)", at: raw["type"])
            return nil
        }
        let map = reader.mapping(node, path, allowed: ConfigKeys.channel(type))

        var settings: [String: String] = [:]
        var secrets: [String: Secret] = [:]
        var recipients: [String] = []
        var headers: [(name: String, value: Secret)] = []
        var recipientsUnreadable = false
        for key in type.allKeys.sorted() {
            if key == "headers" {
                headers = parseHeaders(map, path: path)
                continue
            }
            if key == "to" {
                recipients += reader.strings(map["to"], "\(path).to") ?? []
                continue
            }
            if key == "recipients_file" {
                if let file = reader.string(map[key], "\(path).\(key)").map(resolvePath) {
                    if let list = readRecipients(file, type: type, at: map[key], path: path) { recipients += list } else { recipientsUnreadable = true }
                }
                continue
            }
            guard var value = value(for: key, in: map, path: path, secretKeys: type.secretKeys) else { continue }
            // A folder the daemon writes into, or a file it reads, resolves like every other path in the config.
            if key == "feed_dir" || key == "ca_file" { value = resolvePath(value) }
            if type.secretKeys.contains(key) { secrets[key] = Secret(value) } else { settings[key] = value }
        }
        for group in type.requiredKeys {
            let present = group.contains { key in
                settings[key] != nil || secrets[key] != nil || map[key] != nil || map[key + "_file"] != nil
            }
            if !present {
                let names = group.map { "'\($0)'" }.joined(separator: " or ")
                reader.error("channel '\(name)' (\(type.rawValue)) needs \(names)", at: node)
            }
        }
        validate(type: type, name: name, settings: settings, secrets: secrets, map: map)
        recipients = deduplicated(recipients, type: type, path: path, at: map["to"] ?? map["recipients_file"])
        if type == .cap {
            recipients = [(ChannelType.CAPTarget.post, "url"), (.feed, "feed_dir")]
                .filter { settings[$0.1] != nil || secrets[$0.1] != nil }.map(\.0.rawValue)
        }
        if type.isPerRecipient, recipients.isEmpty, !recipientsUnreadable, map["to"] != nil || map["recipients_file"] != nil {
            reader.error("channel '\(name)' has no valid recipient: every message to it would go nowhere", at: map["to"] ?? map["recipients_file"])
        }

        let channelLanguages = reader.strings(map["languages"], "\(path).languages") ?? languages
        for language in channelLanguages where !languages.contains(language) {
            reader.error("channel '\(name)' asks for language '\(language)', which 'organization.languages' does not list", at: map["languages"])
        }
        var maxConcurrency = 8
        if let value = reader.number(map["max_concurrency"], "\(path).max_concurrency", minimum: 1) {
            maxConcurrency = Int(value)
        }
        var expires: Date?
        if let text = reader.string(map["expires"], "\(path).expires") {
            expires = ConfigParser.expiryDate(text)
            if expires == nil {
                reader.error("'\(path).expires' must be a date like 2027-03-01 (or 2027-03-01T12:00:00Z), not '\(text)'", at: map["expires"])
            }
        }
        var channel = ChannelDefinition(
            name: name, type: type,
            languages: languages.filter(channelLanguages.contains),
            timeout: reader.duration(map["timeout"], "\(path).timeout"),
            rateLimit: reader.number(map["rate_limit"], "\(path).rate_limit", minimum: 0.001),
            maxConcurrency: maxConcurrency, settings: settings, secrets: secrets, headers: headers, recipients: recipients
        )
        channel.expires = expires
        channel.allowShortening = reader.bool(map["allow_shortening"], "\(path).allow_shortening") ?? false
        return channel
    }

    /// A key given inline or as `KEY_file` (read now, trailing newline dropped); never both.
    private mutating func value(for key: String, in map: [String: Node], path: String, secretKeys: Set<String>) -> String? {
        let inline = map[key], file = map[key + "_file"]
        if inline != nil, file != nil {
            reader.error("'\(path)' gives both '\(key)' and '\(key)_file'; keep one", at: file)
            return nil
        }
        if inline != nil {
            if secretKeys.contains(key) { inlineSecrets.append(InlineSecret(path: "\(path).\(key)", line: inline?.mark?.line, instead: key + "_file")) }
            return reader.string(inline, "\(path).\(key)")
        }
        guard let name = reader.string(file, "\(path).\(key)_file") else { return nil }
        let resolved = resolvePath(name)
        guard let data = FileManager.default.contents(atPath: resolved), let text = String(data: data, encoding: .utf8) else {
            reader.error("cannot read '\(path).\(key)_file': \(ConfigLoader.describeReadFailure(resolved))", at: file)
            return nil
        }
        checkAccess(resolved, key: "\(path).\(key)_file", secret: secretKeys.contains(key), at: file)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { reader.error("'\(path).\(key)_file' (\(resolved)) is empty", at: file) }
        return trimmed
    }

    /// `headers:` (inline) and `headers_file:` (a file of `Name: value` lines) together; a name given twice is an
    /// error. An inline header whose name or value looks like a credential counts as an inline secret.
    private mutating func parseHeaders(_ map: [String: Node], path: String) -> [(name: String, value: Secret)] {
        var headers: [(name: String, value: Secret)] = []
        for (header, _, value) in reader.orderedMapping(map["headers"], "\(path).headers") {
            guard let text = reader.string(value, "\(path).headers.\(header)") else { continue }
            if Self.looksSecret(header: header, value: text) {
                inlineSecrets.append(InlineSecret(path: "\(path).headers.\(header)", line: value.mark?.line, instead: "headers_file"))
            }
            headers.append((header, Secret(text)))
        }
        if let file = map["headers_file"], let name = reader.string(file, "\(path).headers_file") {
            let resolved = resolvePath(name)
            if let data = FileManager.default.contents(atPath: resolved), let text = String(data: data, encoding: .utf8) {
                checkAccess(resolved, key: "\(path).headers_file", secret: true, at: file)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                    if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                    let parts = trimmed.split(separator: ":", maxSplits: 1)
                    let headerName = parts.first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                    guard parts.count == 2, !headerName.isEmpty, headerName.utf8.allSatisfy(HTTPHeaderName.isTokenByte) else {
                        // The line may be a credential: name its number, never its text.
                        reader.error("line \(number + 1) of '\(path).headers_file' (\(resolved)) is not 'Name: value'", at: file)
                        continue
                    }
                    headers.append((headerName, Secret(parts[1].trimmingCharacters(in: .whitespaces))))
                }
            } else {
                reader.error("cannot read '\(path).headers_file': \(ConfigLoader.describeReadFailure(resolved))", at: file)
            }
        }
        var seen = Set<String>()
        for header in headers where !seen.insert(header.name.lowercased()).inserted {
            reader.error("'\(path)' gives header '\(header.name)' twice (in 'headers' or 'headers_file'); keep one", at: map["headers"] ?? map["headers_file"])
        }
        return headers
    }

    /// A header that carries a credential: `Authorization`, a name with `token`, `key`, `secret`, `auth`, `cookie`,
    /// `password` or `session` in it, or a value in an HTTP authentication scheme (`Bearer …`, `Basic …`).
    static func looksSecret(header: String, value: String) -> Bool {
        let name = header.lowercased()
        if ["token", "key", "secret", "auth", "cookie", "password", "session"].contains(where: name.contains) { return true }
        let text = value.lowercased()
        return ["bearer ", "basic ", "token ", "digest "].contains(where: text.hasPrefix)
    }

    /// Refuses a secret file that users other than root and the daemon's own can change; warns when every user can
    /// read a secret one (see ``ConfigLoader/secretFileAccess(_:)``).
    private mutating func checkAccess(_ file: String, key: String, secret: Bool, at node: Node?) {
        let access = ConfigLoader.secretFileAccess(file)
        if let refusal = access.refusal { reader.error("'\(key)': \(refusal)", at: node) }
        if secret, let warning = access.warning { reader.warning("'\(key)': \(warning)", at: node) }
    }

    private mutating func validate(
        type: ChannelType, name: String, settings: [String: String], secrets: [String: Secret], map: [String: Node]
    ) {
        for key in ["url", "api_base", "smtp_url"] {
            guard let url = settings[key] ?? secrets[key]?.reveal() else { continue }
            let schemes = key == "smtp_url" ? ["smtp://", "smtps://"] : ["https://", "http://"]
            if !schemes.contains(where: url.hasPrefix) {
                // The value may be a credential (chat webhook URL): name the key, never echo it.
                reader.error("channel '\(name)': '\(key)' must start with \(schemes.joined(separator: " or "))", at: map[key] ?? map[key + "_file"])
            }
        }
        if let secret = secrets["secret"], type == .webhook {
            do { _ = try WebhookSigner(secret: secret) } catch {
                reader.error("channel '\(name)': \(error)", at: map["secret"] ?? map["secret_file"])
            }
        }
    }

    /// Recipients from a file as people keep them: one per line, or a CSV export with the number or address in the
    /// first column, `,` or `;` (or tab) separated, `#` comments. A first line whose first column is not a recipient
    /// is a header in any language (`numero,nom`, `Téléphone;Nom`, `courriel`). Every other line that is not a
    /// recipient is an error naming the file and its line (not the YAML line), and is left out.
    private mutating func readRecipients(_ file: String, type: ChannelType, at node: Node?, path: String) -> [String]? {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            reader.error("cannot read '\(path).recipients_file': \(ConfigLoader.describeReadFailure(file))", at: node)
            return nil
        }
        var recipients: [String] = []
        var first = true
        // Lines split on line ends alone (a Windows "\r\n" is one Character in Swift), so a number is the file's own.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let field = line.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\t" }).first.map(String.init) ?? ""
            let value = field.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\"\u{FEFF}")))
            if value.isEmpty || value.hasPrefix("#") { continue }
            defer { first = false }
            if let recipient = Self.recipient(value, type: type) {
                recipients.append(recipient)
            } else if !first {
                let expected = type == .twilioSMS ? "a phone number in E.164 form (e.g. +15145551234)" : "an e-mail address"
                reader.error("\(file), line \(index + 1): '\(TextValidator.printable(value, limit: 60))' is not \(expected) (\(path).recipients_file)", at: node)
            }
        }
        return recipients
    }

    /// The recipient `value` stands for on a channel of `type` (a phone number without its spaces, dashes, dots and
    /// brackets), or nil when it is not one.
    static func recipient(_ value: String, type: ChannelType) -> String? {
        switch type {
        case .twilioSMS:
            let number = value.filter { !" -().".contains($0) }
            return RecipientFormat.isE164(number) ? number : nil
        case .email:
            return RecipientFormat.isEmailAddress(value) ? value : nil
        default:
            return value
        }
    }

    private mutating func deduplicated(_ recipients: [String], type: ChannelType, path: String, at node: Node?) -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        for recipient in recipients {
            let normalized = type == .twilioSMS ? recipient.filter { !" -().".contains($0) } : recipient
            if type == .twilioSMS, !RecipientFormat.isE164(normalized) {
                reader.error("'\(path)': '\(recipient)' is not a phone number in E.164 form (e.g. +15145551234)", at: node)
                continue
            }
            if type == .email, !RecipientFormat.isEmailAddress(normalized) {
                reader.error("'\(path)': '\(recipient)' is not an e-mail address", at: node)
                continue
            }
            if seen.insert(normalized.lowercased()).inserted { result.append(normalized) }
        }
        return result
    }

    private func resolvePath(_ path: String) -> String {
        ConfigLoader.resolve(path, folder: folder, environment: environment)
    }
}

/// A secret written in the config file: its dotted path, line, and the key that could hold it instead
/// (`token_file`, `headers_file`).
struct InlineSecret {
    var path: String
    var line: Int?
    var instead: String
}

/// The byte rule of an HTTP field name (RFC 9110 `token`), for names read from a `headers_file`.
enum HTTPHeaderName {
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

/// Address checks for per-recipient channels.
enum RecipientFormat {
    static func isE164(_ text: String) -> Bool {
        guard text.hasPrefix("+"), (8...16).contains(text.count) else { return false }
        let digits = text.dropFirst()
        return digits.first != "0" && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
    }

    static func isEmailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," })
    }
}
