/// A message language as the config names it (`fr`, `en`), with the regional tag CAP carries.
public enum LanguageTag {
    /// `fr` → `fr-CA`, `en` → `en-CA`; a tag that already has a region is kept.
    public static func capLanguage(_ code: String, region: String = "CA") -> String {
        code.contains("-") ? code : "\(code)-\(region)"
    }
}
