import Foundation
import TocsinConfig
import TocsinCore

/// A config folder under the system temp directory: `tocsin.yaml`, `templates/`, secrets; removed by `remove()`.
struct ConfigFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true
        )
        try text.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `tocsin.yaml` (and the sample template unless told otherwise) and loads it.
    func load(
        config: String, templates: [String: String] = ["evacuation.yaml": Samples.template],
        environment: [String: String] = [:]
    ) throws -> (configuration: Configuration?, diagnostics: [Diagnostic]) {
        let path = try write("tocsin.yaml", config)
        // Like a real deployment (0640): inline secrets in a world-readable file are refused.
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        try FileManager.default.createDirectory(atPath: file("templates"), withIntermediateDirectories: true)
        for (name, text) in templates { try write("templates/\(name)", text) }
        return ConfigLoader.load(path: file("tocsin.yaml"), environment: environment)
    }
}

enum Samples {
    static let header = """
        organization:
          name: Cégep de l'Exemple
          sender: alertes@cegep.example
          languages: [fr, en]
        paths:
          state: state
          socket: run/admin.sock
          templates: templates

        """

    /// A valid minimal config: one webhook channel, one route.
    static let config = header + channelsAndRoutes

    /// What `config` adds to `header`: the webhook channel `hook` and the route `campus`.
    static let channelsAndRoutes = """
        channels:
          hook:
            type: webhook
            url: https://hooks.example.org/tocsin
        routes:
          campus: [hook]

        """

    /// `config` with other channels (the `channels:` section's body, indented by 2) and `hook` kept for the route.
    static func config(channels: String) -> String {
        header + "channels:\n  hook:\n    type: webhook\n    url: https://hooks.example.org/tocsin\n"
            + channels + "routes:\n  campus: [hook]\n"
    }

    static let template = """
        id: evacuation
        category: Fire
        severity: Extreme
        urgency: Immediate
        certainty: Observed
        response: Evacuate
        route: campus
        variables:
          building: { required: true, allowed: [Pavillon A, Pavillon des sciences] }
        event: { fr: Évacuation, en: Evacuation }
        title:
          fr: "ÉVACUATION — {{building}}"
          en: "EVACUATION — {{building}}"
        body:
          fr: "Quittez {{building}} immédiatement."
          en: "Leave {{building}} now."

        """

    /// A valid `whsec_` secret (32 bytes).
    static let webhookSecret = "whsec_" + Data((0..<32).map { UInt8($0 * 7 % 256) }).base64EncodedString()
}

extension Array where Element == Diagnostic {
    /// Every diagnostic on its own line, for failure messages.
    var listing: String { map(\.description).joined(separator: "\n") }
}
