// swift-tools-version:6.1
import PackageDescription

/// ocore: a terminal dashboard and CLI for operating Odoo deployments.
///
/// Modules read like the product: a pure domain model, the state store, executors (local and
/// SSH), Odoo/PostgreSQL operations, storage providers, the TUI and the CLI. The C libraries the
/// product names (ncursesw, libssh2, libcurl) come in through system-library targets whose shim
/// headers wrap the macros and variadic functions Swift cannot import.
let package = Package(
    name: "ocore",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ocore", targets: ["ocore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // C libraries, each behind a module map and a shim header.
        .systemLibrary(name: "CNcursesw", pkgConfig: "ncursesw",
                       providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "CLibssh2", pkgConfig: "libssh2",
                       providers: [.apt(["libssh2-1-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COcoreZlib", providers: [.apt(["zlib1g-dev"])]),
        // Process-level C helpers Swift cannot express safely (signal handlers).
        .target(name: "COcoreSupport"),

        // Pure values and rules: no I/O.
        .target(name: "OcoreModel"),
        // SQLite state store shared by the TUI, the CLI and workers.
        .target(name: "OcoreStore", dependencies: [
            "OcoreModel",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Executors: run argument vectors locally or over SSH (libssh2).
        .target(name: "OcoreRemote", dependencies: [
            "OcoreModel", "CLibssh2", "COcoreSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Odoo and PostgreSQL operations: psql/pg_dump through executors, clusters, the demo dataset.
        .target(name: "OcoreOdoo", dependencies: [
            "OcoreModel", "OcoreRemote",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        // Backup archives: a streaming ZIP64 writer (Odoo's backup format), tar streams, reading ZIPs.
        .target(name: "OcoreArchive", dependencies: [
            "OcoreModel", "OcoreRemote", "COcoreZlib",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        // Backup storage providers (local directory, SFTP, S3-compatible).
        .target(name: "OcoreStorage", dependencies: [
            "OcoreModel", "OcoreRemote", "CCurl", "COcoreSupport",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The job engine: queue, detached worker, steps with compensation, recovery, notifications.
        .target(name: "OcoreEngine", dependencies: [
            "OcoreModel", "OcoreStore", "OcoreRemote", "OcoreOdoo", "OcoreStorage", "OcoreArchive", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        // The terminal UI: state, messages, update, views into a cell buffer, ncurses backend.
        .target(name: "OcoreTUI", dependencies: [
            "OcoreModel", "OcoreStore", "CNcursesw", "COcoreSupport",
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        // Command-line surface (swift-argument-parser).
        .target(name: "OcoreCLI", dependencies: [
            "OcoreModel", "OcoreStore", "OcoreRemote", "OcoreOdoo", "OcoreStorage", "OcoreArchive", "OcoreEngine", "OcoreTUI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .executableTarget(name: "ocore", dependencies: ["OcoreCLI"]),

        // Real test services (PostgreSQL, sshd, S3) and helpers shared by the test targets.
        .target(name: "OcoreTestSupport", dependencies: ["OcoreModel", "OcoreRemote", "OcoreOdoo"],
                path: "Tests/OcoreTestSupport"),
        .testTarget(name: "OcoreModelTests", dependencies: ["OcoreModel"]),
        .testTarget(name: "OcoreStoreTests", dependencies: ["OcoreStore", "OcoreModel", "OcoreTestSupport"]),
        .testTarget(name: "OcoreRemoteTests", dependencies: [
            "OcoreRemote", "OcoreModel", "OcoreTestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "OcoreOdooTests", dependencies: ["OcoreOdoo"]),
        .testTarget(name: "OcoreArchiveTests", dependencies: ["OcoreArchive", "OcoreRemote", "OcoreTestSupport"]),
        .testTarget(name: "OcoreTUITests", dependencies: ["OcoreTUI", "OcoreModel"]),
        // The engine's request rules, checked directly (no binary in between).
        .testTarget(name: "OcoreEngineTests", dependencies: ["OcoreEngine", "OcoreStore", "OcoreModel", "OcoreOdoo", "OcoreTestSupport"]),
        .testTarget(name: "OcoreCLITests", dependencies: [
            "OcoreTestSupport", "OcoreModel", "OcoreOdoo",
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
    ]
)
