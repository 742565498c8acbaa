import ArgumentParser

/// `tocsinctl`: the operator's command line for `tocsind`.
@main
struct Tocsinctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tocsinctl",
        abstract: "Send, drill and follow urgent notices through tocsind, and review its audit log.",
        discussion: """
            Exit codes: 0 all delivered (or done) · 1 some deliveries failed (or the audit chain is broken) · \
            2 usage or validation error, nothing sent · 3 tocsind unreachable · 4 refused (not authorised, template not approved).
            """,
        subcommands: [Send.self, Drill.self, Status.self, Preview.self, Templates.self, Audit.self]
    )
}
