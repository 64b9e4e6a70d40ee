import Foundation
import Testing

/// Bad input to `dropledger tag`: one clear message naming the flag or line, a
/// non-zero exit, and nothing attached or pinned afterwards.
@Suite(.serialized, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct TaggerCommandLineTests {
    static func file(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dl-prefixes-\(UUID().uuidString)")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func rejectsBadPrefixesNamingTheFlagOrLine() throws {
        let network = try TaggerNetwork(tag: "bad", customerNets: [])
        let badFile = try Self.file("# customers\n10.0.0.0/8 5\n\n10.1.0.0/16 7 extra\n")
        let zeroFile = try Self.file("10.0.0.0/8 0\n")
        let dupFile = try Self.file("10.0.0.0/8 5\n2001:db8::/32 6\n2001:0db8::/32 9\n")
        defer { for path in [badFile, zeroFile, dupFile] { unlink(path) } }
        let cases: [([String], String)] = [
            (["--prefix", "10.0.0.0/33=5"], "--prefix '10.0.0.0/33=5': '10.0.0.0/33' has a prefix length outside 0...32"),
            (["--prefix", "10.0.0.1/8=5"], "'10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)"),
            (["--prefix", "10.0.0/8=5"], "'10.0.0/8' is not an IPv4 or IPv6 prefix"),
            (["--prefix", "10.0.0.0/8"], "--prefix '10.0.0.0/8': expected CIDR=CUSTOMER"),
            (["--prefix", "10.0.0.0/8=18446744073709551616"], "customer 18446744073709551616 is out of range"),
            (["--prefix", "10.0.0.0/8=-1"], "customer '-1' is not a decimal number"),
            (["--prefix", "10.0.0.0/8=5", "--prefix", "10.0.0.0/8=6"], "prefix 10.0.0.0/8 is already given at --prefix '10.0.0.0/8=5'"),
            (["--prefixes", badFile], "\(badFile):4: expected 'CIDR CUSTOMER', got '10.1.0.0/16 7 extra'"),
            (["--prefixes", zeroFile], "\(zeroFile):1: customer 0 is out of range: IDs are 1...18446744073709551615 (0 is reserved)"),
            (["--prefixes", dupFile], "\(dupFile):3: prefix 2001:db8::/32 is already given at \(dupFile):2"),
            (["--prefixes", "/nonexistent/prefixes"], "--prefixes: opening /nonexistent/prefixes"),
            ([], "no prefixes: give --prefix CIDR=CUSTOMER or --prefixes FILE"),
            (["--prefix", "10.0.0.0/8=5", "--xdp-mode", "offload"], "xdp-mode"),
        ]
        for (arguments, message) in cases {
            let result = try network.dropledger(["tag", "--interface", network.dev] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"))
        }
        #expect(try network.xdpPrograms().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: network.pinDirectory))
    }

    @Test func rejectsAnUnknownInterface() throws {
        let result = try Command.capture(["timeout", "20", Binaries.dropledger, "tag", "--interface", "dlnosuch0",
                                          "--prefix", "10.0.0.0/8=5"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no network interface named 'dlnosuch0' in this network namespace"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/bpf/dropledger/tag-dlnosuch0"))
    }

    @Test func refusesAnInterfaceWithAnotherXDPProgram() throws {
        let network = try TaggerNetwork(tag: "oth", customerNets: [])
        let object = Binaries.packageRoot.appendingPathComponent(".build/bpf/inject.bpf.o").path
        try network.exec(network.receiver, ["ip", "link", "set", "dev", network.dev, "xdpgeneric", "obj", object, "sec", "xdp"])
        let before = try network.xdpPrograms()
        #expect(before.map(\.name) == ["inject_meta"])
        for mode in ["native", "generic"] {
            let result = try network.dropledger(["tag", "--interface", network.dev, "--xdp-mode", mode, "--prefix", "10.0.0.0/8=5"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("already has an XDP program attached that is not dropledger's (id \(before[0].id), name inject_meta)"),
                    "\(result.stderr)")
            #expect(try network.xdpPrograms().map(\.id) == before.map(\.id), "the other program stays, alone")
            #expect(!FileManager.default.fileExists(atPath: network.pinDirectory))
        }
    }

    @Test(.needsTagger) func refusesToSwitchModeInPlace() throws {
        let network = try TaggerNetwork(tag: "mod", customerNets: [])
        #expect(try network.dropledger(["tag", "--interface", network.dev, "--prefix", "10.0.0.0/8=5"]).status == 0)
        let before = try network.xdpPrograms()
        let result = try network.dropledger(["tag", "--interface", network.dev, "--xdp-mode", "generic", "--prefix", "10.0.0.0/8=6"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("already tagged by dropledger in native XDP mode"), "\(result.stderr)")
        #expect(try network.xdpPrograms().map(\.id) == before.map(\.id))
        let untag = try network.dropledger(["untag", "--interface", network.dev])
        #expect(untag.status == 0)
        let again = try network.dropledger(["untag", "--interface", network.dev])
        #expect(again.status == 0 && again.stdout.contains("is not tagged by dropledger"), "\(again.stdout)")
    }

    @Test func explainsIPNetnsExec() throws {
        let network = try TaggerNetwork(tag: "ipx", customerNets: [])
        let result = try Command.capture(["ip", "netns", "exec", network.receiver, Binaries.dropledger, "tag",
                                          "--interface", network.dev, "--prefix", "10.0.0.0/8=5"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("nsenter --net=/run/netns/NAME"), "\(result.stderr)")
        #expect(result.stderr.contains("in this mount namespace, which ends with this command"), "\(result.stderr)")
        #expect(try network.xdpPrograms().isEmpty)
    }
}
