extension StringProtocol {
    /// Without the white space (spaces, tabs, line ends) at either end.
    ///
    /// Foundation's `trimmingCharacters(in:)` is in the part of Foundation that `tocsinctl` does not link: its
    /// conformance records alone cost every start of the CLI a millisecond (BENCHMARKS.md, "tocsinctl without
    /// Foundation").
    public func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }
}
