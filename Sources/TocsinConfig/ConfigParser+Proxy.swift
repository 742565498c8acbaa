import Foundation
import TocsinCore
import Yams

extension ConfigParser {
    /// The schemes libcurl accepts in `CURLOPT_PROXY`.
    static let proxySchemes = ["http", "https", "socks4", "socks4a", "socks5", "socks5h"]

    /// `delivery.proxy` (`none`, `environment` or a proxy URL) or `delivery.proxy_file` (a URL read from a file);
    /// with the inline secret to report when an inline URL carries credentials (`http://user:pass@host:3128`).
    mutating func parseProxy(_ delivery: Node?) -> (choice: DeliveryProxy, inline: InlineSecret?) {
        var map: [String: Node] = [:]
        // `parseDelivery` reports unknown and repeated keys; this only reads the two it owns.
        if let mapping = delivery?.mapping {
            for (key, value) in mapping {
                if let name = key.scalar?.string { map[name] = value }
            }
        }
        let inline = map["proxy"], file = map["proxy_file"]
        if inline != nil, file != nil {
            reader.error("'delivery' gives both 'proxy' and 'proxy_file'; keep one", at: file)
            return (.none, nil)
        }
        if let inline, let text = reader.string(inline, "delivery.proxy") {
            switch text {
            case "none": return (.none, nil)
            case "environment": return (.environment, nil)
            default:
                guard checkProxyURL(text, key: "delivery.proxy", at: inline) else { return (.none, nil) }
                let secret = Self.proxyCredentials(text)
                    ? InlineSecret(path: "delivery.proxy", line: inline.mark?.line, instead: "proxy_file") : nil
                return (.url(Secret(text)), secret)
            }
        }
        guard let file, let name = reader.string(file, "delivery.proxy_file") else { return (.none, nil) }
        let path = resolve(name)
        guard let text = ConfigLoader.readText(path)?.trimmingCharacters(in: .whitespacesAndNewlines) else {
            reader.error("cannot read 'delivery.proxy_file': \(ConfigLoader.describeReadFailure(path))", at: file)
            return (.none, nil)
        }
        let access = ConfigLoader.secretFileAccess(path)
        if let refusal = access.refusal { reader.error("'delivery.proxy_file': \(refusal)", at: file) }
        if let warning = access.warning { reader.warning("'delivery.proxy_file': \(warning)", at: file) }
        guard checkProxyURL(text, key: "delivery.proxy_file", at: file) else { return (.none, nil) }
        return (.url(Secret(text)), nil)
    }

    /// A proxy URL with a scheme libcurl knows and a host; the value is never echoed (it may hold a password).
    private mutating func checkProxyURL(_ text: String, key: String, at node: Node?) -> Bool {
        let schemes = Self.proxySchemes.map { $0 + "://" }
        guard schemes.contains(where: { text.lowercased().hasPrefix($0) }),
            let host = URLComponents(string: text)?.host, !host.isEmpty, !text.contains(where: \.isWhitespace)
        else {
            reader.error(
                "'\(key)' must be none, environment, or a proxy URL with a host, starting with \(schemes.joined(separator: ", ")) (e.g. http://proxy.example:3128)",
                at: node
            )
            return false
        }
        return true
    }

    static func proxyCredentials(_ text: String) -> Bool {
        guard let components = URLComponents(string: text) else { return false }
        return components.user != nil || components.password != nil
    }
}
