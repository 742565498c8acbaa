public import TocsinCore

/// Whether each approved template reaches each channel whole.
///
/// Every template is rendered with its worst-case values (each allowed value, the default, a free variable at its
/// `max_length` or ``defaultFreeLength``), live and as an update, a drill and a drilled update (their words lead the
/// title and the short text), and shaped by the channel's own encoder exactly as a send would be. A shaping note
/// saying the text was shortened is a cut: the person at the other end would miss part of what was approved. Pure:
/// the daemon runs it at load and reload and before an approval.
public enum FitCheck {
    /// The length assumed for a free variable without `max_length` (the send refuses more than `max_length`, never
    /// more than this when it is undeclared, only the shared limit of 200).
    public static let defaultFreeLength = 60

    /// One way a template would be shortened on one channel.
    public struct Cut: Sendable, Hashable, CustomStringConvertible {
        public var template: String
        public var channel: String
        /// `live`, `update`, `drill` or `drill update`.
        public var kind: String
        /// The values that produce the cut, `name=value` sorted by name.
        public var values: String
        /// The encoder's words: what was measured and the limit (`text shortened from 5 to 4 SMS segments …`).
        public var note: String

        public var description: String {
            "template '\(template)' does not fit channel '\(channel)' (\(kind)\(values.isEmpty ? "" : ", \(values)")): \(note)"
        }
    }

    /// The first cut of `template` on each channel of `endpoints` that does not allow shortening, in channel order.
    public static func cuts(
        of template: MessageTemplate, on endpoints: [(name: String, endpoint: any ChannelEndpoint)], organization: Configuration.Organization
    ) -> [Cut] {
        let cases = renderings(of: template, languages: organization.languages).map { rendering in
            Case(
                kind: rendering.kind, values: rendering.values, messages: rendering.messages,
                status: rendering.kind.hasPrefix("drill") ? .exercise : .actual, msgType: rendering.kind.hasSuffix("update") ? .update : .alert
            )
        }
        return firstCuts(of: template, cases: cases, on: endpoints, organization: organization)
    }

    /// The cuts of Tocsin's built-in all-clear (used when no template `all-clear` is configured): it repeats the
    /// title of the message it follows, so every template's worst-case titles are its values, live and as a drill.
    public static func builtInAllClearCuts(
        after templates: [MessageTemplate], on endpoints: [(name: String, endpoint: any ChannelEndpoint)], organization: Configuration.Organization
    ) -> [Cut] {
        let languages = organization.languages
        let allClear = BuiltInAllClear.template(languages: languages)
        var cases: [Case] = []
        for template in templates.sorted(by: { $0.id < $1.id }) {
            for values in worstCaseValues(of: template) {
                let followed = TemplateRenderer.render(template, values: values, languages: languages)
                var messages = TemplateRenderer.render(allClear, values: BuiltInAllClear.values(following: followed, languages: languages), languages: languages)
                cases.append(Case(kind: "all-clear after \(template.id)", values: values, messages: messages, status: .actual, msgType: .cancel))
                TemplateRenderer.Marking.exercise.apply(to: &messages)
                cases.append(Case(kind: "drill all-clear after \(template.id)", values: values, messages: messages, status: .exercise, msgType: .cancel))
            }
        }
        return firstCuts(of: allClear, cases: cases, on: endpoints, organization: organization)
    }

    /// One way a send can go out: the texts, and the CAP status and type the encoder sees.
    private struct Case {
        var kind: String
        var values: [String: String]
        var messages: [RenderedMessage]
        var status: CAP.Status
        var msgType: CAP.MessageType
    }

    private static func firstCuts(
        of template: MessageTemplate, cases: [Case], on endpoints: [(name: String, endpoint: any ChannelEndpoint)],
        organization: Configuration.Organization
    ) -> [Cut] {
        var cuts: [Cut] = []
        // Channels with the same `payloadKey` get byte-identical bodies, so the same cut: each key is checked once.
        // Encoding every case for each of 1,000 webhooks made such a config take ~2 s to load.
        var checked: [String: Cut?] = [:]
        // `cap` carries every text whole (nothing to cut), and encoding it would sign it: skipped.
        for (name, endpoint) in endpoints.sorted(by: { $0.name < $1.name }) where !endpoint.definition.allowShortening && endpoint.definition.type != .cap {
            if let key = endpoint.payloadKey, let known = checked[key] {
                if var cut = known {
                    cut.channel = name
                    cuts.append(cut)
                }
                continue
            }
            let cut = firstCut(of: template, cases: cases, on: endpoint, named: name, organization: organization)
            if let cut { cuts.append(cut) }
            if let key = endpoint.payloadKey { checked[key] = .some(cut) }
        }
        return cuts
    }

    private static func firstCut(
        of template: MessageTemplate, cases: [Case], on endpoint: any ChannelEndpoint, named name: String,
        organization: Configuration.Organization
    ) -> Cut? {
        for rendering in cases {
            let message = OutgoingMessage(
                incidentID: "20261204-K7QF2A", status: rendering.status,
                msgType: rendering.msgType, references: [], templateID: template.id,
                approved: true, organization: organization.name, sender: organization.sender,
                sent: "2026-12-04T09:26:15-05:00", category: template.content.category, severity: template.content.severity,
                urgency: template.content.urgency, certainty: template.content.certainty, response: template.content.response,
                messages: rendering.messages, variableValues: Array(rendering.values.values)
            )
            // A channel that cannot encode at all is reported by the send itself (and by health), not here.
            guard let payload = try? endpoint.encode(message) else { continue }
            if let note = payload.notes.first(where: { $0.contains("shortened") }) {
                let values = rendering.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                return Cut(template: template.id, channel: name, kind: rendering.kind, values: values, note: note)
            }
        }
        return nil
    }

    /// Why this send's own text would be cut on a channel where the template's worst case fits — the values typed
    /// for it, since the worst case assumes the SMS alphabet: one `ô` turns a whole SMS into UCS-2 (70 characters a
    /// segment, not 160). `note` is the encoder's; the answer names the characters to blame when there are some.
    public static func sendCut(channel: String, type: ChannelType, note: String, values: [String: String]) -> String {
        var text = "the text for channel '\(channel)' would be cut (\(note))"
        guard type == .twilioSMS else { return text + "; shorten the values typed for this send" }
        let culprits = values.sorted { $0.key < $1.key }.compactMap { name, value -> String? in
            let characters = SMSEncoding.nonGSMCharacters(in: value)
            return characters.isEmpty ? nil : "\(name) holds \(characters.map { "'\($0)'" }.joined(separator: ", "))"
        }
        guard !culprits.isEmpty else { return text + "; shorten the values typed for this send" }
        text += ": \(culprits.joined(separator: "; ")), outside the SMS alphabet, so the whole SMS would be sent in UCS-2 "
            + "(70 characters a segment instead of 160); type the value without these characters (o for ô, c for ç)"
        return text
    }

    /// The template rendered for every case a send can produce, with each set of worst-case values.
    public static func renderings(of template: MessageTemplate, languages: [String]) -> [(kind: String, values: [String: String], messages: [RenderedMessage])] {
        let kinds: [(String, [TemplateRenderer.Marking])] = [("live", []), ("update", [.update]), ("drill", [.exercise]), ("drill update", [.update, .exercise])]
        var result: [(kind: String, values: [String: String], messages: [RenderedMessage])] = []
        for values in worstCaseValues(of: template) {
            for (kind, markings) in kinds {
                var messages = TemplateRenderer.render(template, values: values, languages: languages)
                for marking in markings { marking.apply(to: &messages) }
                result.append((kind, values, messages))
            }
        }
        return result
    }

    /// One set of values per allowed value of each variable with a list, the others at their longest: the longest
    /// allowed value, the default, or a free variable at `max_length` (``defaultFreeLength`` when undeclared).
    public static func worstCaseValues(of template: MessageTemplate) -> [[String: String]] {
        var base: [String: String] = [:]
        for spec in template.content.variables {
            if let allowed = spec.allowed, let longest = allowed.max(by: { $0.count < $1.count }) {
                base[spec.name] = longest
            } else {
                // "W" is in GSM-7 and as wide as any letter: the longest text an operator can type without
                // leaving the SMS alphabet.
                let free = String(repeating: "W", count: spec.maxLength ?? defaultFreeLength)
                base[spec.name] = [free, spec.defaultValue ?? ""].max { $0.count < $1.count }
            }
        }
        var sets = [base]
        for spec in template.content.variables {
            for value in spec.allowed ?? [] where value != base[spec.name] {
                var values = base
                values[spec.name] = value
                sets.append(values)
            }
        }
        return sets
    }
}
