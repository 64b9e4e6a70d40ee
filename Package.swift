// swift-tools-version:6.0
import PackageDescription

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
        // The contract with the BPF programs (bpf/dropledger.h): types and constants only.
        .target(name: "CDropledgerABI"),
        // Pure logic: TLV decoding, reason table, aggregation, exposition. No C code but
        // the shared header's types and constants (and Yams, for the web config, a Swift
        // package with libyaml inside).
        .target(name: "DropledgerCore", dependencies: [
            "CDropledgerABI", .product(name: "Yams", package: "Yams"),
        ]),

        // C glue, kept thin: libbpf, the embedded BPF skeletons, libmicrohttpd.
        .systemLibrary(name: "CLibBPF", pkgConfig: "libbpf",
                       providers: [.apt(["libbpf-dev", "libelf-dev"])]),
        .target(name: "CBPFPrograms", dependencies: ["CLibBPF"]),
        .target(name: "CMicroHTTPD", linkerSettings: [.linkedLibrary("microhttpd"), .linkedLibrary("crypt")]),
        .target(name: "CLinux"),
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl-gnutls")]),
        .target(name: "CGzip", linkerSettings: [.linkedLibrary("isal"), .linkedLibrary("z")]),

        // Child processes for synchronous code, shared by the demo (the system's network
        // tools) and the integration tests (their commands, exporters and servers).
        .target(name: "ChildProcesses", dependencies: [
            "CLinux", .product(name: "SystemPackage", package: "swift-system"),
        ]),

        // Owns kernel and HTTP resources; turns C errors into typed Swift errors.
        .target(name: "DropledgerRuntime", dependencies: [
            "DropledgerCore", "CLibBPF", "CBPFPrograms", "CMicroHTTPD", "CLinux", "CCurl", "CGzip",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // The demo lab (`dropledger demo`): namespaces, the system's network tools, real traffic.
        .target(name: "DropledgerDemo", dependencies: ["DropledgerRuntime", "ChildProcesses", "CLinux"]),
        // Test only: the kernel program's metadata verdict on chosen bytes (`dropledger-inject parse-check`).
        .target(name: "DropledgerTesting", dependencies: [
            "DropledgerRuntime", "DropledgerCore", "CBPFPrograms",
            .product(name: "SystemPackage", package: "swift-system"),
        ]),

        .executableTarget(name: "dropledger", dependencies: [
            "DropledgerRuntime", "DropledgerCore", "DropledgerDemo",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Test and benchmark traffic: injects frames carrying chosen metadata (BPF_PROG_TEST_RUN live frames).
        .executableTarget(name: "dropledger-inject", dependencies: [
            "DropledgerRuntime", "DropledgerCore", "DropledgerTesting",
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
            "DropledgerCore", "DropledgerRuntime", "ChildProcesses", .product(name: "Yams", package: "Yams"),
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
    ]
)
