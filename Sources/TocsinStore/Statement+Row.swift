import Foundation
import GRDB
import GRDBSQLite

/// The values of one row, bound straight into a prepared statement with `sqlite3_bind_*`, in parameter order.
///
/// GRDB's `StatementArguments` boxes every value as an existential `DatabaseValueConvertible`, converts it to a
/// `DatabaseValue` and keeps them in an array: in callgrind's profile of a 100-channel send that was more of a
/// commit's instructions than SQLite's own work for the ~500 hot rows (deliveries, attempts, updates, audit entries).
struct RowBinder {
    private let statement: OpaquePointer
    private var index: CInt = 0
    /// The first binding that failed (out of memory, a value too big): the row is not stepped.
    private(set) var failure: CInt = SQLITE_OK

    fileprivate init(_ statement: OpaquePointer) { self.statement = statement }

    /// `SQLITE_TRANSIENT`: SQLite copies the bytes, which a Swift buffer lends only for the call.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    private mutating func next(_ bind: (OpaquePointer, CInt) -> CInt) {
        index += 1
        let code = bind(statement, index)
        if code != SQLITE_OK, failure == SQLITE_OK { failure = code }
    }

    mutating func bind(_ text: String) {
        var text = text
        next { statement, index in
            text.withUTF8 { bytes in
                // An empty buffer may have no address, and a NULL pointer binds SQL NULL, not ''.
                withUnsafePointer(to: CChar(0)) { empty in
                    let start = bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } ?? empty
                    return sqlite3_bind_text(statement, index, start, CInt(bytes.count), Self.transient)
                }
            }
        }
    }

    mutating func bind(_ text: String?) {
        if let text { bind(text) } else { next { sqlite3_bind_null($0, $1) } }
    }

    mutating func bind(_ number: Int64?) {
        if let number { next { sqlite3_bind_int64($0, $1, number) } } else { next { sqlite3_bind_null($0, $1) } }
    }

    mutating func bind(_ number: Int?) { bind(number.map(Int64.init)) }

    /// As GRDB stores a `Bool`: the integer 0 or 1.
    mutating func bind(_ flag: Bool) { bind(Int64(flag ? 1 : 0)) }
}

extension Statement {
    /// Runs this (cached, non-query) statement once with the values `bind` gives, bypassing `StatementArguments`.
    ///
    /// Only for `SQLiteStore`'s own writes inside its transactions: GRDB's transaction observers (none in Tocsin) do
    /// not hear of these statements. Errors are GRDB's `DatabaseError` with SQLite's extended code, as
    /// `execute(arguments:)` throws them, so `StoreError.wrap` maps a full disk or a constraint the same way.
    func execute(binding bind: (inout RowBinder) -> Void) throws {
        let statement = sqliteStatement
        sqlite3_reset(statement)
        var binder = RowBinder(statement)
        bind(&binder)
        var code = binder.failure
        if code == SQLITE_OK {
            code = sqlite3_step(statement)
            if code == SQLITE_DONE || code == SQLITE_ROW { code = SQLITE_OK }
        }
        guard code != SQLITE_OK else {
            sqlite3_reset(statement)
            return
        }
        let message = sqlite3_db_handle(statement).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        sqlite3_reset(statement)
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
    }
}
