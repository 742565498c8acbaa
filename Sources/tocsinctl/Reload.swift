import ArgumentParser
import TocsinClient
import TocsinProtocol

extension Tocsinctl {
    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reload",
            abstract: "Load the config and templates again; on any error the running configuration is kept.",
            discussion: "Deliveries in progress are not interrupted. A template whose text changed needs approval again."
        )

        @OptionGroup var global: GlobalOptions

        func run() throws {
            try runReporting(json: global.json) {
                let result = try global.connect().call(.reload, EmptyParams(), as: ReloadResult.self)
                if global.json { Console.json(result); return }
                print(result.changed ? "Configuration reloaded (fingerprint \(result.fingerprint.prefix(12)))." : "Configuration reloaded: nothing changed.")
                for warning in result.warnings { print("  warning: \(warning)") }
                if !result.needApproval.isEmpty {
                    print("Templates changed, to be approved again before a live send: \(result.needApproval.joined(separator: ", "))")
                }
                if !result.credentialsChanged.isEmpty {
                    print("Credentials or recipient lists re-read for: \(result.credentialsChanged.joined(separator: ", "))")
                }
            }
        }
    }
}
