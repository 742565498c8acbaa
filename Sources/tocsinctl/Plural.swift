import TocsinProtocol
import TocsinText

extension Plural {
    /// In the operator's language (``OperatorLanguage/current``).
    static func tr(_ count: Int, fr: (String, String), en: (String, String)) -> String {
        OperatorLanguage.current == .fr ? self.fr(count, fr.0, fr.1) : self.en(count, en.0, en.1)
    }
}
