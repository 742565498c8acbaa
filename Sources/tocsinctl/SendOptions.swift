import ArgumentParser

/// What `send` and `drill` share.
struct SendOptions: ParsableArguments {
    @Argument(help: "The template id (see `tocsinctl templates list`).")
    var template: String

    @Option(name: .customLong("set"), help: ArgumentHelp("A template variable, name=value; repeat for each.", valueName: "name=value"))
    var assignments: [String] = []

    @Option(name: .long, help: "Send over this route instead of the template's own.")
    var route: String?

    @Flag(name: .long, help: "Do not ask for confirmation.")
    var yes = false

    @Flag(name: .long, help: "Return once the incident is stored, without following delivery.")
    var noWait = false
}
