import ArgumentParser

/// What every sending verb shares.
struct SendOptions: ParsableArguments {
    @Option(name: .customLong("set"), help: ArgumentHelp("A template variable, name=value; repeat for each.", valueName: "name=value"), completion: .assignments)
    var assignments: [String] = []

    @Option(name: .long, help: "Send over this route instead of the template's own (or the incident's, for follow-ups).", completion: .routeNames)
    var route: String?

    @Flag(name: .long, help: "Do not ask for confirmation.")
    var yes = false

    @Flag(name: .long, help: "Return once the incident is stored, without following delivery.")
    var noWait = false
}
