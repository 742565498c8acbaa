/// The one version string of Tocsin: `tocsinctl --version`, `tocsind --version`, `tocsinctl status` and the man
/// pages all read it here, so they cannot disagree.
///
/// No `git describe` is added at build time: a release tarball has no `.git`, and a build step that may fail (or
/// differ between a checkout and an export) is worse than one number bumped by hand at each release.
public enum TocsinVersion {
    public static let string = "0.1.0"
}
