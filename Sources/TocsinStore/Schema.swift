import GRDB

/// Migrations, registered under descriptive names and never edited once shipped.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: incidents, deliveries, attempts, approvals, audit") { db in
            try db.create(table: "incident") { t in
                t.primaryKey("id", .text)
                t.column("templateID", .text).notNull()
                t.column("templateHash", .text).notNull()
                t.column("approved", .boolean).notNull()
                t.column("status", .text).notNull()
                t.column("msgType", .text).notNull()
                t.column("references", .text).references("incident")
                t.column("route", .text).notNull()
                t.column("variables", .text).notNull()
                t.column("messages", .text).notNull()
                t.column("contentHash", .text).notNull()
                t.column("sent", .text).notNull()
                t.column("createdAt", .integer).notNull().indexed()
                t.column("actorUID", .integer)
                t.column("actorPID", .integer)
                t.column("actorName", .text)
            }
            try db.create(table: "payload") { t in
                t.column("incidentID", .text).notNull().references("incident")
                t.column("channel", .text).notNull()
                t.column("contentType", .text).notNull()
                t.column("body", .blob).notNull()
                t.primaryKey(["incidentID", "channel"])
            }
            try db.create(table: "delivery") { t in
                t.primaryKey("id", .text)
                t.column("incidentID", .text).notNull().references("incident").indexed()
                t.column("channel", .text).notNull()
                t.column("recipient", .text)
                t.column("state", .text).notNull()
                t.column("attempts", .integer).notNull()
                t.column("createdAt", .integer).notNull()
                t.column("deadlineAt", .integer).notNull()
                t.column("nextAttemptAt", .integer)
                t.column("lastStatus", .integer)
                t.column("lastError", .text)
                t.column("misconfiguration", .boolean).notNull()
                t.column("deliveredAt", .integer)
                t.column("updatedAt", .integer).notNull()
                t.foreignKey(["incidentID", "channel"], references: "payload")
            }
            // Recovery at start reads only unfinished deliveries; keep that cheap however long the history grows.
            try db.execute(sql: """
                CREATE INDEX delivery_unfinished ON delivery(state)
                WHERE state NOT IN ('delivered', 'failed', 'cancelled')
                """)
            try db.create(table: "attempt") { t in
                t.autoIncrementedPrimaryKey("rowid")
                t.column("deliveryID", .text).notNull().references("delivery").indexed()
                t.column("number", .integer).notNull()
                t.column("startedAt", .integer).notNull()
                t.column("latencyMillis", .integer).notNull()
                t.column("httpStatus", .integer)
                t.column("error", .text)
                t.column("outcome", .text).notNull()
            }
            try db.create(table: "approval") { t in
                t.autoIncrementedPrimaryKey("rowid")
                t.column("templateID", .text).notNull().indexed()
                t.column("contentHash", .text).notNull()
                t.column("approverUID", .integer).notNull()
                t.column("approverName", .text)
                t.column("approvedAt", .integer).notNull()
            }
            try db.create(table: "audit") { t in
                t.primaryKey("seq", .integer)
                t.column("timeMillis", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("actorUID", .integer)
                t.column("actorPID", .integer)
                t.column("subject", .text).notNull().indexed()
                t.column("detail", .text).notNull()
                t.column("prevHash", .text).notNull()
                t.column("hash", .text).notNull()
            }
        }
        // The health check writes here: an empty commit succeeded on a full disk (WAL space is reused) while every
        // send was refused, so the probe writes a row about the size of a send's.
        migrator.registerMigration(StoreMigrations.headsRecord) { db in
            try db.create(table: "healthProbe") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("at", .integer).notNull()
                t.column("filler", .blob).notNull()
            }
        }
        return migrator
    }
}
