import Logging
import PostgresNIO
import TocsinAudit
import TocsinCore
import TocsinStore

/// The PostgreSQL schema: the tables and meanings of SQLite's (Schema.swift, as of its v4), in PostgreSQL's words.
///
/// Names are snake_case (PostgreSQL folds unquoted names to lower case; `references` is a reserved word, hence
/// `references_id`); times are BIGINT milliseconds since 1970 UTC, text TEXT, bodies BYTEA. Two tables SQLite does
/// not need: `audit_head`, the one row every commit that appends to the chain locks (`FOR UPDATE`), so several nodes
/// append one after the other; and `tocsin_migration`, the migrations applied, by name.
///
/// Migrations are registered by name and never edited once shipped, as SQLite's are; they run in one transaction
/// that first takes a transaction-level advisory lock, so two nodes starting together apply them once.
enum PostgresSchema {
    /// `pg_advisory_xact_lock` key of migrations: "tocsin" in ASCII, chosen to stay clear of other applications'.
    static let migrationLock: Int64 = 0x74_6F_63_73_69_6E

    struct Migration {
        var name: String
        var statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(name: "v1: incidents, payloads, deliveries, attempts, approvals, audit and its head, health probe", statements: [
            """
            CREATE TABLE incident (
                id TEXT PRIMARY KEY,
                template_id TEXT NOT NULL,
                template_hash TEXT NOT NULL,
                approved BOOLEAN NOT NULL,
                status TEXT NOT NULL,
                msg_type TEXT NOT NULL,
                references_id TEXT REFERENCES incident(id),
                route TEXT NOT NULL,
                variables TEXT NOT NULL,
                messages TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                sent TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                actor_uid BIGINT,
                actor_pid BIGINT,
                actor_name TEXT
            )
            """,
            "CREATE INDEX incident_created_at ON incident (created_at)",
            "CREATE INDEX incident_references_id ON incident (references_id)",
            // One row per distinct body of an incident (SQLite's v3); deliveries name theirs by number.
            """
            CREATE TABLE payload (
                incident_id TEXT NOT NULL REFERENCES incident(id),
                number INTEGER NOT NULL,
                content_type TEXT NOT NULL,
                body BYTEA NOT NULL,
                PRIMARY KEY (incident_id, number)
            )
            """,
            """
            CREATE TABLE delivery (
                id TEXT PRIMARY KEY,
                incident_id TEXT NOT NULL REFERENCES incident(id),
                channel TEXT NOT NULL,
                recipient TEXT,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                created_at BIGINT NOT NULL,
                deadline_at BIGINT NOT NULL,
                next_attempt_at BIGINT,
                last_status INTEGER,
                last_error TEXT,
                misconfiguration BOOLEAN NOT NULL,
                delivered_at BIGINT,
                updated_at BIGINT NOT NULL,
                payload INTEGER NOT NULL,
                receipt TEXT,
                FOREIGN KEY (incident_id, payload) REFERENCES payload (incident_id, number)
            )
            """,
            "CREATE INDEX delivery_incident_id ON delivery (incident_id)",
            // Recovery reads only unfinished deliveries; keep that cheap however long the history grows.
            """
            CREATE INDEX delivery_unfinished ON delivery (created_at, id)
                WHERE state <> 'delivered' AND state <> 'failed' AND state <> 'cancelled'
            """,
            """
            CREATE TABLE attempt (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                delivery_id TEXT NOT NULL REFERENCES delivery(id),
                number INTEGER NOT NULL,
                started_at BIGINT NOT NULL,
                latency_millis BIGINT NOT NULL,
                http_status INTEGER,
                error TEXT,
                outcome TEXT NOT NULL,
                receipt TEXT
            )
            """,
            "CREATE INDEX attempt_delivery_id ON attempt (delivery_id)",
            """
            CREATE TABLE approval (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                template_id TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                approver_uid BIGINT NOT NULL,
                approver_name TEXT,
                approved_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX approval_template_id ON approval (template_id)",
            """
            CREATE TABLE audit (
                seq BIGINT PRIMARY KEY,
                time_millis BIGINT NOT NULL,
                kind TEXT NOT NULL,
                actor_uid BIGINT,
                actor_pid BIGINT,
                subject TEXT NOT NULL,
                detail TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_subject ON audit (subject)",
            // The chain's head as the last append left it: the row appends lock, so they queue across nodes.
            "CREATE TABLE audit_head (id SMALLINT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL)",
            // The genesis hash (AuditEntry.genesisHash): 64 zeros.
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64))",
            // What `health` writes: a row about the size of a send's.
            "CREATE TABLE health_probe (id SMALLINT PRIMARY KEY CHECK (id = 1), at BIGINT NOT NULL, filler BYTEA NOT NULL)",
        ]),
        Migration(name: "v2: delivery leases and nodes", statements: [
            // Who holds each delivery and until when; the generation only grows (the fencing token).
            "ALTER TABLE delivery ADD COLUMN lease_node TEXT, ADD COLUMN lease_generation BIGINT NOT NULL DEFAULT 0, ADD COLUMN lease_expires_at BIGINT",
            // Each running node and its heartbeat.
            "CREATE TABLE node (name TEXT PRIMARY KEY, host TEXT NOT NULL, pid BIGINT NOT NULL, fingerprint TEXT NOT NULL, started_at BIGINT NOT NULL, last_seen BIGINT NOT NULL)",
        ]),
        Migration(name: "v3: attempt lease generations", statements: [
            // The lease generation each attempt ran under, and whether its outcome came after a take-over (SQLite's v5).
            "ALTER TABLE attempt ADD COLUMN generation BIGINT NOT NULL DEFAULT 1, ADD COLUMN late BOOLEAN NOT NULL DEFAULT FALSE",
            // What a take-over looks for: unfinished deliveries by lease expiry.
            """
            CREATE INDEX delivery_unfinished_lease ON delivery (lease_expires_at)
                WHERE state <> 'delivered' AND state <> 'failed' AND state <> 'cancelled'
            """,
        ]),
        Migration(name: "v4: audit entry nodes", statements: [
            // The node that appended each entry, part of its hash from now on (AuditEntry's format 2; SQLite's v6).
            // Older entries keep none and verify as they always did.
            "ALTER TABLE audit ADD COLUMN node TEXT",
        ]),
        Migration(name: "v5: node busy channels", statements: [
            // The channels each node has work on, written at its every poll, and when (the database's clock, in
            // milliseconds): a channel's limits are shared among the nodes busy on it (issue 17, item 3).
            "ALTER TABLE node ADD COLUMN busy_channels TEXT[], ADD COLUMN busy_at BIGINT",
        ]),
        Migration(name: "v6: web users", statements: [
            // The web console's users (issue 18; SQLite's v7): a bcrypt hash and a sealed TOTP seed, never in clear.
            """
            CREATE TABLE web_user (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, sealed_seed BYTEA NOT NULL,
            seed_key_id TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0, last_failure_at BIGINT NOT NULL DEFAULT 0, last_totp_step BIGINT)
            """,
        ]),
        Migration(name: "v7: send request keys", statements: [
            // The request key of each send that gave one (SQLite's v8): the key is unique across the cluster, so
            // the same request reaching two nodes makes one incident.
            """
            CREATE TABLE send_request (key TEXT PRIMARY KEY, digest TEXT NOT NULL,
            incident_id TEXT NOT NULL REFERENCES incident(id), created_at BIGINT NOT NULL)
            """,
        ]),
    ]

    /// The LISTEN/NOTIFY channel on which a node asks the others to look at their leases at once.
    static let wakeChannel = "tocsin_wake"
    /// `pg_advisory_xact_lock` key of node starts ("tocsinn"): two nodes starting together see each other.
    static let nodeLock: Int64 = 0x74_6F_63_73_69_6E_6E

    /// Applies the migrations not yet applied, in one transaction under the advisory lock; returns their names.
    static func migrate(_ client: PostgresClient, logger: Logger, at timeMillis: Int64) async throws -> [String] {
        try await client.withTransaction(logger: logger) { connection in
            // Held until this transaction ends: a second node waits here, then finds everything applied.
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS tocsin_migration (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)", logger: logger
            )
            var applied: Set<String> = []
            for try await name in try await connection.query("SELECT name FROM tocsin_migration", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            var now: [String] = []
            for migration in migrations where !applied.contains(migration.name) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO tocsin_migration (name, applied_at) VALUES (\(migration.name), \(timeMillis))", logger: logger
                )
                now.append(migration.name)
            }
            return now
        }
    }
}
