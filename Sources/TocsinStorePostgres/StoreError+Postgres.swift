import PostgresNIO
import TocsinStore

extension StoreError {
    /// Maps PostgreSQL's SQLSTATE classes and postgres-nio's connection errors to what an operator should do.
    ///
    /// Built from the server's message and SQLSTATE only: `PSQLError`'s own description hides everything, and its
    /// debug description carries the query's bound values (message bodies), which must not reach a log.
    static func wrap(postgres error: any Error, doing what: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresTransactionError {
            // The first of BEGIN, the work or COMMIT that failed says why; a failed ROLLBACK only follows from it.
            if let inner = error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError {
                return wrap(postgres: inner, doing: what)
            }
            return StoreError(.other, "cannot \(what): the transaction failed")
        }
        guard let error = error as? PSQLError else {
            // The pool's own error (its module is not exported): shut down (this node moved to another server, or
            // stops), or no connection could be made for a minute.
            if String(describing: type(of: error)) == "ConnectionPoolError" {
                return StoreError(.open, "cannot \(what): the connection to the PostgreSQL server was closed or cannot be made (a failover moves this node to the new primary); try again")
            }
            return StoreError(.other, "cannot \(what): \(error)")
        }
        guard error.code == .server, let info = error.serverInfo else {
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
                // The socket's or TLS's own error (refused, timed out, certificate not trusted) says what to fix; it
                // carries no query and no password.
                let cause = error.underlying.map { " — \($0)" } ?? ""
                return StoreError(.open, "cannot \(what): the PostgreSQL server cannot be reached or closed the connection (\(error.code)\(cause)); check that it runs and accepts this node")
            default:
                return StoreError(.other, "cannot \(what): PostgreSQL client error (\(error.code))")
            }
        }
        let state = info[.sqlState] ?? ""
        let message = info[.message] ?? "no detail"
        switch state.prefix(2) {
        case "23":
            return StoreError(.constraint, "cannot \(what): \(message)")
        case "53":
            if state == "53100" {
                return StoreError(.full, "cannot \(what): the disk holding the PostgreSQL database is full; free space and try again")
            }
            return StoreError(.io, "cannot \(what): the PostgreSQL server is out of resources (\(state): \(message))")
        case "40", "55":
            return StoreError(.busy, "cannot \(what): the PostgreSQL database is busy (\(state): \(message)); try again")
        case "57", "08":
            return StoreError(.open, "cannot \(what): the PostgreSQL server is shutting down or unreachable (\(state): \(message))")
        case "25":
            // 25006: read_only_sql_transaction, what a standby answers a write with (a failover in progress).
            return StoreError(.open, "cannot \(what): the PostgreSQL server does not accept writes (\(state): \(message)); is it a standby?")
        case "28":
            return StoreError(.open, "cannot \(what): PostgreSQL refused this node's user (\(state): \(message)); check its password and pg_hba.conf")
        case _ where state == "42501":
            return StoreError(.open, "cannot \(what): PostgreSQL refused this node's user (\(state): \(message)); check its grants")
        case "58", "XX":
            return StoreError(.io, "cannot \(what): the PostgreSQL server reported an internal or I/O error (\(state): \(message))")
        default:
            return StoreError(.other, "cannot \(what): \(message) (\(state))")
        }
    }
}
