import Foundation
import Testing
import TocsinAudit
import TocsinCore
import TocsinStore

/// SQLite's own behaviour (its file, what it refuses). What every store must do is in StoreConformanceTests
/// (Tests/TocsinStorePostgresTests), which runs each case on SQLite and on PostgreSQL.
struct SQLiteStoreTests {
    @Test func createsTheStateFolderAndAnEmptyChain() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let path = (folder.path as NSString).appendingPathComponent("state/nested/tocsin.db")
        let store = try SQLiteStore(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try await store.auditHead() == .empty)
        let verification = try await store.verifyAudit()
        #expect(verification == AuditVerification(checked: 0, head: .empty, problem: nil))
    }


    /// The daemon turns SQLite's allocation statistics off before its first connection. Too late (a database is
    /// already open in this process), SQLite refuses and nothing changes: the open store still writes and reads.
    @Test func allocationStatisticsCannotBeTurnedOffOnceADatabaseIsOpen() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        #expect(SQLiteStore.turnOffAllocationStatistics() == false)
        try await Records.auditOnly(store, count: 2)
        #expect(try await store.auditHead().seq == 2)
        #expect(try await store.verifyAudit().problem == nil)
    }

    @Test func fileThatIsNotADatabaseIsRefusedWithAdvice() throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let text = String(repeating: "This is not an SQLite database, just a text file.\n", count: 200)
        try text.write(toFile: folder.database, atomically: true, encoding: .utf8)

        #expect {
            _ = try SQLiteStore(path: folder.database)
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return (error.code == .corrupt || error.code == .open)
                && error.message.contains(folder.database)
                && error.message.contains("restore it from a backup")
        }
        // The damaged file is left as it was, for the operator to inspect.
        #expect(try String(contentsOfFile: folder.database, encoding: .utf8) == text)
    }
}
