import FoundationEssentials
import TocsinClient
import TocsinProtocol
import TocsinText

/// On a terminal, asks for the required values a send lacks instead of failing (issue 16, item 5).
///
/// The daemon decides what is missing (it knows what a follow-up carries over from its thread) and names it in the
/// refusal's `missing`; the template's allowed values come from `templates.show`. Without a terminal on standard
/// input nothing is asked: the refusal stands (exit 2, nothing sent), as scripts expect.
struct MissingValues {
    let client: AdminClient
    var interactive = Console.inputIsTerminal
    /// Answers refused before one is taken; then the send fails as without a terminal.
    static let tries = 3

    init(client: AdminClient) { self.client = client }

    /// Runs `call` with `params`; when the daemon names missing values and a person is at the terminal, asks for
    /// them, adds them to `params` and runs it again.
    mutating func retrying<T>(_ params: inout SendParams, _ call: (SendParams) throws -> T) throws -> T {
        // Twice at most: the second round only happens if the daemon found something else missing after the first.
        for _ in 0..<2 {
            do {
                return try call(params)
            } catch let error as ClientError {
                guard interactive, case .refused(let rpc) = error, let missing = rpc.data?.missing, !missing.isEmpty else { throw error }
                try ask(missing, into: &params)
            }
        }
        return try call(params)
    }

    private func ask(_ missing: [String], into params: inout SendParams) throws {
        let detail = try client.call(.templateShow, TemplateParams(template: params.template), as: TemplateDetail.self)
        // A live alert that would be refused anyway: say what to do instead of asking for values first.
        if !params.drill, params.references == nil, detail.summary.approval != "approved" {
            Console.error(SendFlow.notApproved(params.template, note: detail.summary.approval == "changed" ? "changed since approval" : nil))
            throw Exit.refused
        }
        for name in missing {
            let variable = detail.summary.variables.first { $0.name == name }
                ?? VariableInfo(name: name, required: true, defaultValue: nil, allowed: nil)
            params.variables[name] = try Self.ask(variable)
        }
    }

    /// One value, asked until it is valid (``tries`` times at most): a number or a value from the list, or free text.
    static func ask(_ variable: VariableInfo) throws -> String {
        Console.note(tr("Valeur manquante : \(variable.name) (obligatoire)", "Missing value: \(variable.name) (required)"))
        let allowed = variable.allowed ?? []
        for (index, value) in allowed.enumerated() { Console.note("  \(index + 1)) \(value)") }
        let prompt = allowed.isEmpty
            ? tr("Tapez la valeur de \(variable.name) : ", "Type the value of \(variable.name): ")
            : tr("Tapez le numéro ou la valeur : ", "Type the number or the value: ")
        for attempt in 1...tries {
            guard let answer = Console.ask(prompt) else {
                Console.note(tr("Pas de réponse (fin de l'entrée). Rien n'a été envoyé.", "No answer (end of input). Nothing was sent."))
                throw Exit.usage
            }
            if let value = choose(answer, from: allowed) { return value }
            let left = tries - attempt
            guard left > 0 else { break }
            Console.note(allowed.isEmpty
                ? tr("Une valeur est obligatoire.", "A value is required.")
                : tr("Ni un numéro de 1 à \(allowed.count) ni une valeur de la liste.", "Neither a number from 1 to \(allowed.count) nor a value of the list."))
        }
        Console.note(tr(
            "Aucune valeur valable pour \(variable.name). Rien n'a été envoyé ; recommencez avec --set \(variable.name)=…",
            "No valid value for \(variable.name). Nothing was sent; run it again with --set \(variable.name)=…"
        ))
        throw Exit.usage
    }

    /// The value `answer` picks: a list number, or a listed value typed in any case and with or without accents
    /// (given back as listed), or any non-blank text when there is no list.
    static func choose(_ answer: String, from allowed: [String]) -> String? {
        let typed = answer.trimmingWhitespace()
        guard !typed.isEmpty else { return nil }
        guard !allowed.isEmpty else { return typed }
        if let number = Int(typed), allowed.indices.contains(number - 1) { return allowed[number - 1] }
        let folded = ConfirmationWord.fold(typed)
        return allowed.first { ConfirmationWord.fold($0) == folded }
    }
}
