internal import CSQLite

extension SQLiteStore {
    /// Turns off SQLite's allocation statistics for the whole process; call once, before any database is opened.
    ///
    /// With them on (the library's default), every `sqlite3_malloc` and `sqlite3_free` takes a global mutex to count
    /// bytes: ~12,000 lock/unlock pairs per 100-channel send, 1.6 M instructions with their bookkeeping (callgrind). Tocsin reads none of
    /// these statistics and sets no soft heap limit, which is all they serve. Returns false when SQLite was already
    /// initialised (a connection had been opened), which leaves them on: slower, nothing else.
    public static func turnOffAllocationStatistics() -> Bool {
        tocsin_sqlite3_config_memstatus(0) == 0  // SQLITE_OK
    }
}
