import TocsinChannels
import TocsinCore
import TocsinProtocol

extension FitCheck.Cut {
    /// The cut by key, for a client that says it in the operator's language; the encoder's note stays as measured.
    var said: Said {
        Said(.templateCut, [
            "template": template, "channel": channel, "kind": kind,
            "values": TextValidator.printable(values, limit: 200), "note": TextValidator.printable(note, limit: 200),
        ])
    }
}
