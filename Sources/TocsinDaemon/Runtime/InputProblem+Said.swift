import TocsinCore
import TocsinProtocol

extension InputProblem {
    /// The problem by key, for a client that says it in the operator's language.
    var said: Said {
        switch self {
        case .unknownVariable(let name, let template, let known):
            Said(.unknownVariable, ["name": name, "template": template], lists: ["known": known])
        case .missing(let name, let allowed):
            Said(.missingVariable, ["name": name], lists: ["allowed": allowed])
        case .refusedText(let name, let problem):
            switch problem {
            case .tooLong(let characters, let bytes, let scalars, let limits):
                if bytes > limits.utf8Bytes {
                    Said(.valueTooLong, ["name": name, "measure": "bytes", "count": String(bytes), "limit": String(limits.characters)])
                } else if scalars > limits.scalars {
                    Said(.valueTooLong, ["name": name, "measure": "scalars", "count": String(scalars), "limit": String(limits.characters)])
                } else {
                    Said(.valueTooLong, ["name": name, "measure": "characters", "count": String(characters), "limit": String(limits.characters)])
                }
            case .control:
                Said(.valueControl, ["name": name])
            case .bidirectional(let scalar):
                Said(.valueBidirectional, ["name": name, "character": TextValidator.name(scalar)])
            case .invisible(let scalar):
                Said(.valueInvisible, ["name": name, "character": TextValidator.name(scalar)])
            }
        case .overMaxLength(let name, let characters, let limit):
            Said(.valueOverMaxLength, ["name": name, "count": String(characters), "limit": String(limit)])
        case .notAllowed(let value, let name, let allowed):
            Said(.valueNotAllowed, ["value": value, "name": name], lists: ["allowed": allowed])
        case .empty(let name):
            Said(.valueEmpty, ["name": name])
        }
    }
}
