// swift-tools-version:6.0
import PackageDescription

/// The ring consumer and the counters run once per dropped packet. Their state is
/// owned by one thread, so the runtime's dynamic exclusivity checks only cost time
/// there (measured with `make bench`, consumer capacity).
let perEventCode: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

let package = Package(
    name: "dropledger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dropledger", targets: ["dropledger"]),
        .executable(name: "dropledger-inject", targets: ["dropledger-inject"]),
        .executable(name: "dropledger-bench", targets: ["dropledger-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // Pure logic: TLV decoding, reason table, aggregation, exposition. No C imports
        // (Yams, for the web config, is a Swift package with libyaml inside).
        .target(name: "DropledgerCore", dependencies: [
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: perEventCode),

        // C glue, kept thin: libbpf, the embedded BPF skeletons, libmicrohttpd.
        .systemLibrary(name: "CLibBPF", pkgConfig: "libbpf",
                       providers: [.apt(["libbpf-dev", "libelf-dev"])]),
        .target(name: "CBPFPrograms", dependencies: ["CLibBPF"]),
        .target(name: "CMicroHTTPD", linkerSettings: [.linkedLibrary("microhttpd"), .linkedLibrary("crypt")]),
        .target(name: "CLinux"),
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl-gnutls")]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

        // Child processes for synchronous code, shared by the runtime (the demo's network
        // tools) and the integration tests (their commands, exporters and servers).
        .target(name: "ChildProcesses", dependencies: [
            "CLinux", .product(name: "SystemPackage", package: "swift-system"),
        ]),

        // Owns kernel and HTTP resources; turns C errors into typed Swift errors.
        .target(name: "DropledgerRuntime", dependencies: [
            "DropledgerCore", "ChildProcesses", "CLibBPF", "CBPFPrograms", "CMicroHTTPD", "CLinux", "CCurl", "CZlib",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "SystemPackage", package: "swift-system"),
        ], swiftSettings: perEventCode),

        .executableTarget(name: "dropledger", dependencies: [
            "DropledgerRuntime", "DropledgerCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Test and benchmark traffic: injects frames carrying chosen metadata (BPF_PROG_TEST_RUN live frames).
        .executableTarget(name: "dropledger-inject", dependencies: [
            "DropledgerRuntime", "DropledgerCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // `make bench` (issue 6): consumer capacity, scrape rendering and memory, in process.
        .executableTarget(name: "dropledger-bench", dependencies: [
            "DropledgerRuntime", "DropledgerCore",
            .product(name: "Logging", package: "swift-log"),
        ]),

        .testTarget(name: "DropledgerCoreTests", dependencies: [
            "DropledgerCore", .product(name: "PropertyBased", package: "swift-property-based"),
        ],
                    resources: [.copy("Golden")]),
        // Root, real kernel: namespaces, injected frames, the built binaries. See Tests/IntegrationTests.
        .testTarget(name: "IntegrationTests", dependencies: [
            "DropledgerCore", "ChildProcesses", .product(name: "Yams", package: "Yams"),
        ]),
    ]
)
