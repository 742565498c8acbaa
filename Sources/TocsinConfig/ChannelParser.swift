import Foundation
import TocsinCore
import Yams

/// The `channels:` section: each destination's type, keys, secrets (inline or `*_file`) and limits.
struct ChannelParser {
    var reader: YAMLReader
    /// Secrets written in the config file itself (`channels.x.secret`), with their lines: such a file must not
    /// be readable by every user.
    var inlineSecrets: [(path: String, line: Int?)] = []
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
                for (header, _, value) in reader.orderedMapping(map["headers"], "\(path).headers") {
                    if let text = reader.string(value, "\(path).headers.\(header)") { headers.append((header, Secret(text))) }
                }
                continue
            }
            if key == "to" {
                recipients += reader.strings(map["to"], "\(path).to") ?? []
                continue
            }
            if key == "recipients_file" {
                if let file = reader.string(map[key], "\(path).\(key)").map(resolvePath) {
                    if let list = readRecipients(file, at: map[key], path: path) { recipients += list } else { recipientsUnreadable = true }
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
            if secretKeys.contains(key) { inlineSecrets.append(("\(path).\(key)", inline?.mark?.line)) }
            return reader.string(inline, "\(path).\(key)")
        }
        guard let name = reader.string(file, "\(path).\(key)_file") else { return nil }
        let resolved = resolvePath(name)
        guard let data = FileManager.default.contents(atPath: resolved), let text = String(data: data, encoding: .utf8) else {
            reader.error("cannot read '\(path).\(key)_file': \(ConfigLoader.describeReadFailure(resolved))", at: file)
            return nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { reader.error("'\(path).\(key)_file' (\(resolved)) is empty", at: file) }
        return trimmed
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

    /// Recipients from a file: one per line or CSV with the address or number in the first column; `#` comments.
    private mutating func readRecipients(_ file: String, at node: Node?, path: String) -> [String]? {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            reader.error("cannot read '\(path).recipients_file': \(ConfigLoader.describeReadFailure(file))", at: node)
            return nil
        }
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let first = line.split(separator: ",", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let value = first.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\"")))
            if value.isEmpty || value.hasPrefix("#") { return nil }
            // A CSV header row names its column instead of holding a recipient.
            if ["phone", "number", "email", "e-mail", "address", "to", "recipient"].contains(value.lowercased()) { return nil }
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
