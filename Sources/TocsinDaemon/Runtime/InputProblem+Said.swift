import TocsinCore
import TocsinProtocol

extension InputProblem {
    /// The problem by key, for a client that says it in the operator's language (lists travel one item a line:
    /// a value or a name never holds a line break, the validator refuses them).
    var said: Said {
        switch self {
        case .unknownVariable(let name, let template, let known):
            Said(.unknownVariable, ["name": name, "template": template, "known": known.joined(separator: "\n")])
        case .missing(let name, let allowed):
            Said(.missingVariable, ["name": name, "allowed": allowed.joined(separator: "\n")])
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
            Said(.valueNotAllowed, ["value": value, "name": name, "allowed": allowed.joined(separator: "\n")])
        case .empty(let name):
            Said(.valueEmpty, ["name": name])
        }
    }
}
