// swift-tools-version:6.2
import PackageDescription

// Where Debian's libxmlsec1-dev puts its headers (`pkg-config --cflags-only-I xmlsec1-openssl`).
let xmlsecInclude: SwiftSetting = .unsafeFlags(["-Xcc", "-I/usr/include/xmlsec1"])

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    // Every target that imports TocsinConfig (whose CXMLSec import is internal, yet loaded by its clients) may be
    // the one to build the CXMLSec clang module: each needs xmlsec's headers (see `xmlsecInclude`).
    xmlsecInclude,
    .enableUpcomingFeature("ExistentialAny"),
    // A file sees only the members of modules it imports itself, not of whatever a neighbour imports.
    .enableUpcomingFeature("MemberImportVisibility"),
]

// Library targets: an import is internal unless a public signature needs it (`public import`), so a client
// does not pick up a dependency's API by accident.
let librarySettings: [SwiftSetting] = swiftSettings + [
    .enableUpcomingFeature("InternalImportsByDefault"),
]


let package = Package(
    name: "tocsin",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tocsind", targets: ["tocsind"]),
        .executable(name: "tocsinctl", targets: ["tocsinctl"]),
        .executable(name: "tocsin-web", targets: ["tocsin-web"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Several machines on one PostgreSQL (DESIGN.md "Several machines"): PostgresClient with its pool.
        .package(url: "https://github.com/vapor/postgres-nio.git", .upToNextMinor(from: "1.33.2")),
        // bcrypt for web users' passwords (HummingbirdBcrypt builds on its own C target only, not on Hummingbird).
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        // The web console (tocsin-web): HTTP/1.1 over TLS, server-side sessions.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C shim over libcurl's variadic calls; no logic.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // C shim over libxmlsec1 (OpenSSL backend) for the XML Signature of CAP alerts; no logic. SwiftPM refuses
        // the -D flags of `pkg-config xmlsec1-openssl` with a warning on every build, so the module takes only
        // libxml2's -I from pkg-config; xmlsec's own -I is `xmlsecInclude` above and its -D's are in shim.h
        // (CXMLSecShimTests keeps both in step with pkg-config).
        .systemLibrary(
            name: "CXMLSec",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxmlsec1-dev"])]
        ),
        // C shim over SQLite's variadic sqlite3_config; no logic.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Text with no dependency: a count with its noun in French and English, HTML escaping, UTC date-times in the
        // fixed forms of the audit log, CAP and ids.
        .target(
            name: "TocsinText",
            dependencies: [],
            swiftSettings: librarySettings
        ),
        // The hash-chained audit log, pure: entries and their hashes, heads, signed checkpoints, verification; and
        // the SHA-256 hex form approvals share. Apart from TocsinCore so that `tocsinctl audit verify` checks the
        // chain on the operator's side without linking the template engine (whose Foundation costs each start).
        .target(
            name: "TocsinAudit",
            dependencies: [
                "TocsinText",
                .product(name: "Crypto", package: "swift-crypto"),
                // PEM keys for signed audit checkpoints (what `openssl genpkey -algorithm ed25519` writes).
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: librarySettings
        ),
        // Pure domain: templates, rendering, retry policy, delivery state machine. No I/O.
        .target(
            name: "TocsinCore",
            dependencies: [
                "TocsinAudit", "TocsinText",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: librarySettings
        ),
        // YAML config and template loading with file/line diagnostics and lint. CXMLSec: the `cap:` key is loaded
        // (and checked against its certificate) here, like the audit key, so a bad one is a config error.
        .target(
            name: "TocsinConfig",
            dependencies: ["TocsinCore", "TocsinAudit", "Yams", "CXMLSec"],
            swiftSettings: librarySettings
        ),
        // Durable state and the audit chain (SQLite through GRDB).
        .target(
            name: "TocsinStore",
            dependencies: [
                "TocsinCore", "TocsinAudit", .product(name: "GRDB", package: "GRDB.swift"),
                // sqlite3_bind_* for the hot rows of a commit (Statement+Row.swift).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                // SQLite's allocation statistics turned off at the daemon's start (SQLiteStore+Process.swift).
                "CSQLite",
            ],
            swiftSettings: librarySettings
        ),
        // The same `Store` on PostgreSQL (postgres-nio), for several tocsind nodes sharing one database.
        .target(
            name: "TocsinStorePostgres",
            dependencies: [
                "TocsinStore", "TocsinCore", "TocsinAudit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: librarySettings
        ),
        // Outbound request values (HTTP and mail) that channels build and the transport sends: no I/O, no curl.
        .target(
            name: "TocsinRequests",
            dependencies: [],
            swiftSettings: librarySettings
        ),
        // libcurl multi loop on one thread behind an async facade.
        .target(
            name: "TocsinTransport",
            dependencies: ["CCurl", "TocsinRequests"],
            swiftSettings: librarySettings
        ),
        // Payload shaping per channel type (pure): builds requests, never sends them.
        .target(
            name: "TocsinChannels",
            dependencies: ["TocsinCore", "TocsinText", "TocsinRequests"],
            swiftSettings: librarySettings
        ),
        // Admin JSON-RPC protocol types shared by the daemon and the CLI.
        .target(
            name: "TocsinProtocol",
            dependencies: [],
            swiftSettings: librarySettings
        ),
        // What people read, shared by the CLI and the web console: times in the local zone with their offset, failures
        // in words, the incident report as one HTML page.
        .target(
            name: "TocsinDisplay",
            dependencies: ["TocsinText", "TocsinProtocol", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: librarySettings
        ),
        // Blocking Unix-socket client for the admin protocol (the CLI's one I/O edge).
        .target(
            name: "TocsinClient",
            dependencies: ["TocsinProtocol"],
            swiftSettings: librarySettings
        ),
        // The daemon's services: admin socket, dispatcher, lifecycle.
        .target(
            name: "TocsinDaemon",
            dependencies: [
                "TocsinCore", "TocsinAudit", "TocsinText", "TocsinConfig", "TocsinStore", "TocsinStorePostgres", "TocsinRequests", "TocsinTransport", "TocsinChannels",
                "TocsinProtocol",
                // PostgresClient, run beside the services when `storage.postgresql` is set.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            swiftSettings: librarySettings
        ),
        .executableTarget(
            name: "tocsind",
            dependencies: [
                "TocsinDaemon", "TocsinConfig", "TocsinCore", "TocsinProtocol", "TocsinText",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tocsinctl",
            dependencies: [
                "TocsinClient", "TocsinProtocol", "TocsinAudit", "TocsinText", "TocsinDisplay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // The web console: pages, sessions and the gateway's link to tocsind (the admin protocol, as a web gateway).
        .target(
            name: "TocsinWeb",
            dependencies: [
                "TocsinCore", "TocsinProtocol", "TocsinDisplay",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: librarySettings
        ),
        .executableTarget(
            name: "tocsin-web",
            dependencies: [
                "TocsinWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Helpers for tests: temp folders, the loopback receiver, daemon processes.
        .target(
            name: "TocsinTestSupport",
            dependencies: ["TocsinClient", "TocsinProtocol", "TocsinAudit"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TocsinTextTests", dependencies: ["TocsinText"], swiftSettings: swiftSettings),
        .testTarget(name: "TocsinAuditTests", dependencies: ["TocsinAudit", "TocsinTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "TocsinCoreTests", dependencies: ["TocsinCore", "TocsinAudit", "TocsinText", "TocsinTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "TocsinConfigTests", dependencies: ["TocsinConfig", "TocsinTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "TocsinStoreTests", dependencies: ["TocsinStore", "TocsinAudit", "TocsinTestSupport"], swiftSettings: swiftSettings),
        // The Store conformance suite on both backends, against a real PostgreSQL started by the test.
        .testTarget(
            name: "TocsinStorePostgresTests",
            dependencies: [
                "TocsinStore", "TocsinStorePostgres", "TocsinCore", "TocsinAudit", "TocsinTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TocsinTransportTests", dependencies: ["TocsinTransport", "TocsinRequests", "TocsinTestSupport"], swiftSettings: swiftSettings),
        // TocsinConfig: the example templates' short texts are checked against the real SMS and X shaping.
        .testTarget(name: "TocsinChannelsTests", dependencies: ["TocsinChannels", "TocsinConfig", "TocsinRequests", "TocsinTestSupport"], swiftSettings: swiftSettings),
        // The daemon's services against real parts in-process (a real store, real sockets), below the process level.
        .testTarget(
            name: "TocsinDaemonTests",
            dependencies: [
                "TocsinDaemon", "TocsinConfig", "TocsinStore", "TocsinTransport", "TocsinAudit", "TocsinText", "TocsinTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TocsinDisplayTests", dependencies: ["TocsinDisplay", "TocsinProtocol"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TocsinWebTests",
            dependencies: ["TocsinWeb", "TocsinDisplay", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TocsinIntegrationTests",
            // TocsinAudit: audit key ids (AuditPublicKey) in the cluster audit tests.
            dependencies: ["TocsinTestSupport", "TocsinClient", "TocsinProtocol", "TocsinAudit"],
            swiftSettings: swiftSettings
        ),
    ]
)
