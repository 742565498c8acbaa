/// A count with its noun, in French and in English: `Plural.fr(1, "échec", "échecs")` is "1 échec".
///
/// French takes the singular for 0 and 1 ("0 échec", "1 échec", "2 échecs"); English only for 1 ("0 failures").
/// Here so both programs use it (`tocsind --check-config` says "1 template"); tocsinctl adds the operator's language.
public enum Plural {
    public static func fr(_ count: Int, _ one: String, _ many: String) -> String {
        "\(count) \(abs(count) < 2 ? one : many)"
    }

    public static func en(_ count: Int, _ one: String, _ many: String) -> String {
        "\(count) \(count == 1 ? one : many)"
    }

    /// Both, for bilingual labels: `Plural.both(2, fr: ("échec", "échecs"), en: ("failure", "failures"))` is
    /// "2 échecs / failures".
    public static func both(_ count: Int, fr: (String, String), en: (String, String)) -> String {
        "\(self.fr(count, fr.0, fr.1)) / \(count == 1 ? en.0 : en.1)"
    }
}
