public import Foundation
import TocsinAudit
public import TocsinCore

/// Loads `tocsin.yaml` and its templates folder into a validated `Configuration`.
///
/// Every problem is collected, with file and line where the YAML parser gives one; a config with any error is
/// refused whole, so the daemon never runs on half of what the operator wrote.
public enum ConfigLoader {
    /// Reads and validates everything. `diagnostics` holds warnings even when loading succeeds.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> (configuration: Configuration?, diagnostics: [Diagnostic]) {
        let configPath = absolute(path, relativeTo: FileManager.default.currentDirectoryPath)
        guard let text = readText(configPath) else {
            return (nil, [.error("cannot read the config file: \(describeReadFailure(configPath))", file: configPath)])
        }
        var parser = ConfigParser(file: configPath, folder: (configPath as NSString).deletingLastPathComponent, environment: environment)
        guard let draft = parser.parse(text) else { return (nil, parser.diagnostics) }

        var diagnostics = parser.diagnostics
        if !draft.inlineSecrets.isEmpty, isWorldReadable(configPath) {
            for secret in draft.inlineSecrets {
                diagnostics.append(.error(
                    "'\(secret.path)' is written in this file, which every user of the machine can read: "
                        + "run `chmod o-r \(configPath)`, or better, move it to '\(secret.instead):' (systemd LoadCredential=)",
                    file: configPath, line: secret.line
                ))
            }
        }
        var fingerprintInput = Data(Self.withoutClusterSection(text).utf8)
        var templates: [String: MessageTemplate] = [:]
        let templateFiles = listTemplates(in: draft.paths.templates, diagnostics: &diagnostics)
        for file in templateFiles {
            guard let source = readText(file) else {
                diagnostics.append(.error("cannot read template: \(describeReadFailure(file))", file: file))
                continue
            }
            fingerprintInput.append(contentsOf: Array("\u{0}\((file as NSString).lastPathComponent)\u{0}".utf8))
            fingerprintInput.append(contentsOf: Array(source.utf8))
            var templateParser = TemplateParser(file: file)
            guard let template = templateParser.parse(source) else {
                diagnostics += templateParser.diagnostics
                continue
            }
            diagnostics += templateParser.diagnostics
            if let other = templates[template.id] {
                diagnostics.append(.error("template id '\(template.id)' is also used by \(other.sourcePath ?? "another file")", file: file))
                continue
            }
            diagnostics += TemplateLinter.lint(
                template, languages: draft.organization.languages, routes: Set(draft.routes.keys), file: file
            )
            templates[template.id] = template
        }
        if templateFiles.isEmpty, FileManager.default.fileExists(atPath: draft.paths.templates) {
            diagnostics.append(.warning("no templates (*.yaml) in \(draft.paths.templates): nothing can be sent", file: configPath))
        }
        if diagnostics.hasErrors { return (nil, diagnostics) }

        var configuration = Configuration(
            organization: draft.organization, paths: draft.paths, access: draft.access, delivery: draft.delivery,
            channels: draft.channels, routes: draft.routes, templates: templates, metricsFile: draft.metricsFile,
            requiredApprovers: draft.requiredApprovers, objectives: draft.objectives, audit: draft.audit, fingerprint: Digest.sha256(fingerprintInput)
        )
        configuration.monitoring = draft.monitoring
        configuration.cap = draft.cap
        configuration.web = draft.web
        configuration.storage = draft.storage
        configuration.cluster = draft.cluster
        return (configuration, diagnostics)
    }

    /// Who else can touch a file that holds a secret. `refusal` when users other than root and the daemon's own
    /// user could change it (write permission for its group or for others, or, for a daemon not running as root,
    /// another owner, who may chmod it at will): whoever can change a token or a receiver's address can steer or silence alerts. `warning` when every
    /// user of the machine can read it.
    static func secretFileAccess(_ path: String) -> (refusal: String?, warning: String?) {
        var info = stat()
        guard stat(path, &info) == 0 else { return (nil, nil) }
        let mode = Int(info.st_mode) & 0o7777
        let owner = info.st_uid
        // Run as root (`--check-config` by hand), the daemon's user is unknown: only the permission bits count then.
        if owner != 0, geteuid() != 0, owner != geteuid() {
            return ("\(path) belongs to uid \(owner), who could change it: run `chown root \(path)` (or pass it with systemd LoadCredential=)", nil)
        }
        if mode & 0o022 != 0 {
            return ("\(path) can be changed by users other than its owner: run `chmod go-w \(path)`", nil)
        }
        if mode & 0o004 != 0 {
            return (nil, "\(path) holds a secret that every user of the machine can read: run `chmod o-r \(path)` (or pass it with systemd LoadCredential=)")
        }
        return (nil, nil)
    }

    static func isWorldReadable(_ path: String) -> Bool {
        let permissions = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int ?? 0
        return permissions & 0o004 != 0
    }

    static func listTemplates(in folder: String, diagnostics: inout [Diagnostic]) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            diagnostics.append(.error("cannot read the templates folder \(folder): \(describeReadFailure(folder))"))
            return []
        }
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            .map { (folder as NSString).appendingPathComponent($0) }
    }

    static func readText(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    static func describeReadFailure(_ path: String) -> String {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return "\(path) does not exist" }
        if !FileManager.default.isReadableFile(atPath: path) { return "\(path) is not readable by this user" }
        return "\(path) is not UTF-8 text"
    }

    /// A path from the config: `$CREDENTIALS_DIRECTORY` / `${NAME}` expanded (so systemd credentials can be named
    /// portably), then made absolute against the config file's folder.
    static func resolve(_ path: String, folder: String, environment: [String: String]) -> String {
        absolute(expand(path, environment: environment), relativeTo: folder)
    }

    /// Replaces `$NAME` and `${NAME}` by whole variable names only; unknown names stay as written.
    static func expand(_ path: String, environment: [String: String]) -> String {
        guard path.contains("$") else { return path }
        let pattern = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/
        return path.replacing(pattern) { match in
            let name = String(match.output.1 ?? match.output.2 ?? "")
            return environment[name] ?? String(match.output.0)
        }
    }

    static func absolute(_ path: String, relativeTo folder: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return lexicallyNormalized(expanded) }
        return lexicallyNormalized((folder as NSString).appendingPathComponent(expanded))
    }

    /// Drops empty and `.` components and folds `..` into its parent without touching the filesystem.
    /// Not `standardizingPath`: on Linux it also resolves symbolic links, so a link planted at the admin socket
    /// path was followed when the config loaded (the daemon then bound or removed whatever the link named).
    static func lexicallyNormalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part != ".." || !path.hasPrefix("/") {
                parts.append(part)  // "/.." is "/"; a relative path keeps its leading "..".
            }
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// The config text without its top-level `cluster:` section, for the fingerprint: each node of a cluster has
    /// its own `cluster.node` in a file otherwise the same (runbooks/two-node-deployment.md), and `health` compares
    /// the nodes' fingerprints. The section takes effect only at a start, never through a reload, so leaving it
    /// out hides no change a reload applies. Top-level keys start in column 0; the section ends at the next one.
    static func withoutClusterSection(_ text: String) -> String {
        var kept: [Substring] = []
        var inCluster = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let first = line.first
            let topLevel = first != nil && first != " " && first != "\t" && first != "#" && first != "\r"
            if topLevel { inCluster = line.hasPrefix("cluster:") }
            if !inCluster { kept.append(line) }
        }
        return kept.joined(separator: "\n")
    }
}
