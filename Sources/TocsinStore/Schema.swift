import GRDB
import TocsinAudit

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
        // One payload row per distinct body of an incident, not one per channel: 1,000 webhook channels of one send
        // carry the same bytes, which were written (and fsynced) 1,000 times. A delivery names its incident's payload
        // by number. SQLite cannot drop the old (incidentID, channel) foreign key in place, so both tables are
        // rebuilt (GRDB runs migrations with foreign keys off and checks them all before the commit). Old rows keep
        // one payload each, numbered by channel; nothing of them is lost or merged.
        // The partial index of unfinished deliveries says `<>` three times instead of `NOT IN (…)`: SQLite evaluated
        // the IN list through a temporary b-tree on every insert and update of a delivery (three per delivery, 12 %
        // of the daemon's instructions per send, seen with callgrind).
        migrator.registerMigration(StoreMigrations.sharedPayloads) { db in
            try db.execute(sql: """
                CREATE TEMP TABLE payloadNumber AS
                    SELECT incidentID, channel, ROW_NUMBER() OVER (PARTITION BY incidentID ORDER BY channel) AS number
                    FROM payload;
                CREATE TABLE payloadV3 (
                    incidentID TEXT NOT NULL REFERENCES incident(id),
                    number INTEGER NOT NULL,
                    contentType TEXT NOT NULL,
                    body BLOB NOT NULL,
                    PRIMARY KEY (incidentID, number)
                );
                INSERT INTO payloadV3 (incidentID, number, contentType, body)
                    SELECT p.incidentID, n.number, p.contentType, p.body
                    FROM payload p JOIN payloadNumber n ON n.incidentID = p.incidentID AND n.channel = p.channel;
                CREATE TABLE deliveryV3 (
                    id TEXT PRIMARY KEY NOT NULL,
                    incidentID TEXT NOT NULL REFERENCES incident(id),
                    channel TEXT NOT NULL,
                    recipient TEXT,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    createdAt INTEGER NOT NULL,
                    deadlineAt INTEGER NOT NULL,
                    nextAttemptAt INTEGER,
                    lastStatus INTEGER,
                    lastError TEXT,
                    misconfiguration BOOLEAN NOT NULL,
                    deliveredAt INTEGER,
                    updatedAt INTEGER NOT NULL,
                    payload INTEGER NOT NULL,
                    FOREIGN KEY (incidentID, payload) REFERENCES payload(incidentID, number)
                );
                -- A LEFT JOIN into a NOT NULL column: a delivery without a payload stops the migration (and the
                -- daemon's start) with an error rather than vanishing from the history.
                INSERT INTO deliveryV3 (id, incidentID, channel, recipient, state, attempts, createdAt, deadlineAt,
                        nextAttemptAt, lastStatus, lastError, misconfiguration, deliveredAt, updatedAt, payload)
                    SELECT d.id, d.incidentID, d.channel, d.recipient, d.state, d.attempts, d.createdAt, d.deadlineAt,
                        d.nextAttemptAt, d.lastStatus, d.lastError, d.misconfiguration, d.deliveredAt, d.updatedAt, n.number
                    FROM delivery d LEFT JOIN payloadNumber n ON n.incidentID = d.incidentID AND n.channel = d.channel;
                DROP TABLE delivery;
                DROP TABLE payload;
                DROP TABLE payloadNumber;
                ALTER TABLE payloadV3 RENAME TO payload;
                ALTER TABLE deliveryV3 RENAME TO delivery;
                CREATE INDEX delivery_on_incidentID ON delivery(incidentID);
                CREATE INDEX delivery_unfinished ON delivery(state)
                    WHERE state <> 'delivered' AND state <> 'failed' AND state <> 'cancelled';
                """)
        }
        // Provider receipts: the service's own id (Twilio SID, post id, SMTP queue id) for an accepted attempt, and
        // on its delivery for status and reports. Nullable columns added in place (no table rebuild): every older
        // row reads as "no receipt", which is what it had.
        migrator.registerMigration(StoreMigrations.providerReceipts) { db in
            try db.alter(table: "attempt") { t in t.add(column: "receipt", .text) }
            try db.alter(table: "delivery") { t in t.add(column: "receipt", .text) }
        }
        // The lease generation each attempt ran under (the fencing token of several nodes on PostgreSQL) and whether
        // its outcome came after a take-over. One node on SQLite always holds generation 1, which every older
        // attempt gets; none of them was late.
        migrator.registerMigration(StoreMigrations.leaseGenerations) { db in
            try db.alter(table: "attempt") { t in
                t.add(column: "generation", .integer).notNull().defaults(to: 1)
                t.add(column: "late", .boolean).notNull().defaults(to: false)
            }
        }
        // The node that appended each entry, part of its hash from now on (AuditEntry's format 2). A nullable
        // column added in place: older entries keep no node and verify as they always did (format 1).
        migrator.registerMigration(StoreMigrations.auditNodes) { db in
            try db.alter(table: "audit") { t in t.add(column: "node", .text) }
        }
        // The web console's users: a new table, so nothing older changes and an older release ignores it.
        migrator.registerMigration(StoreMigrations.webUsers) { db in
            try db.create(table: "web_user") { t in
                t.primaryKey("name", .text)
                t.column("passwordHash", .text).notNull()
                t.column("sealedSeed", .blob).notNull()
                t.column("seedKeyID", .text).notNull()
                t.column("createdAt", .integer).notNull()
                t.column("updatedAt", .integer).notNull()
                t.column("failures", .integer).notNull().defaults(to: 0)
                t.column("lastFailureAt", .integer).notNull().defaults(to: 0)
                t.column("lastTOTPStep", .integer)
            }
        }
        // Send request keys: a new table, so nothing older changes and an older release ignores it. Its rows are
        // written with their incident, in the same transaction.
        migrator.registerMigration(StoreMigrations.sendRequests) { db in
            try db.create(table: "send_request") { t in
                t.primaryKey("key", .text)
                t.column("digest", .text).notNull()
                t.column("incidentID", .text).notNull().references("incident")
                t.column("createdAt", .integer).notNull()
            }
        }
        return migrator
    }
}
