import Foundation
import TocsinCore

/// The evacuation template of DESIGN.md, as content that tests can vary.
enum SampleTemplate {
    static let buildings = ["Pavillon A", "Pavillon des sciences"]

    static var content: MessageTemplate.Content {
        MessageTemplate.Content(
            id: "evacuation", category: .fire, severity: .extreme, urgency: .immediate, certainty: .observed,
            response: .evacuate, route: "campus", drillRoute: "drill",
            variables: [
                VariableSpec(name: "building", required: true, allowed: buildings),
                VariableSpec(name: "assembly_point", defaultValue: "Stationnement P1"),
            ],
            event: ["fr": "Évacuation", "en": "Evacuation"],
            title: ["fr": "ÉVACUATION — {{building}}", "en": "EVACUATION — {{building}}"],
            body: [
                "fr": "Quittez {{building}} immédiatement. Point de rassemblement : {{assembly_point}}.",
                "en": "Leave {{building}} now. Assembly point: {{assembly_point}}.",
            ],
            instruction: ["fr": "Ne revenez pas.", "en": "Do not come back."]
        )
    }

    static func template(_ change: (inout MessageTemplate.Content) -> Void = { _ in }) throws -> MessageTemplate {
        var content = content
        change(&content)
        return try MessageTemplate(content: content)
    }
}
