extension Configuration {
    /// `web:` — what the daemon needs for the web console's users: the key their TOTP seeds are sealed with
    /// (``SeedSealer``), loaded once per configuration. Nil: `web-users add` and `reset` are refused with how to
    /// give one; nothing else needs it.
    public struct Web: Sendable, CustomStringConvertible {
        /// `web.seed_key_file`, resolved (or `$CREDENTIALS_DIRECTORY/web-seed-key`): what operator text names.
        public var seedKeyFile: String
        public var sealer: SeedSealer

        public init(seedKeyFile: String, sealer: SeedSealer) {
            self.seedKeyFile = seedKeyFile
            self.sealer = sealer
        }

        public var description: String { "Web(seed key \(sealer.keyID) from \(seedKeyFile))" }
    }
}
