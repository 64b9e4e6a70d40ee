import Foundation
import Testing

/// dropledger on a host where nothing is mounted at /sys/fs/bpf (a fresh Debian machine,
/// a container, a CI runner): `tag` and `demo` mount a BPF filesystem themselves and
/// say so. Each runs in a private mount namespace of its own (`Tests/fresh-host.sh`),
/// whatever the machine running the tests has mounted.
@Suite(.serialized, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct FreshHostTests {
    static var freshHost: String { Binaries.packageRoot.appendingPathComponent("Tests/fresh-host.sh").path }

    static func filesystemType() throws -> String {
        try Command.run(["stat", "-f", "-c", "%T", "/sys/fs/bpf"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.needsTagger) func tagMountsABPFFilesystemAndPinsThere() throws {
        let network = try TaggerNetwork(tag: "frs")
        let hostBefore = try Self.filesystemType()
        let dropledger = "nsenter --net=\(network.netnsPath) \(Binaries.dropledger)"
        let script = """
            echo "before: $(stat -f -c %T /sys/fs/bpf)"
            \(dropledger) tag --interface \(network.dev) --prefix 10.214.1.0/24=101 || exit 1
            echo "after: $(stat -f -c %T /sys/fs/bpf)"
            echo "pins: $(ls /sys/fs/bpf/dropledger/tag-\(network.dev) | tr '\\n' ' ')"
            echo "xdp: $(ip netns exec \(network.receiver) ip -d link show \(network.dev) | grep -o 'name tag_customer')"
            \(dropledger) untag --interface \(network.dev) || exit 2
            echo "left: $(ls /sys/fs/bpf | tr '\\n' ' ')"
            """
        let result = try Command.capture([Self.freshHost, "bash", "-c", script])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("before: sysfs\n"), "the namespace was not fresh: \(result.stdout)")
        #expect(result.stderr.contains("mounted a BPF filesystem at /sys/fs/bpf"), "\(result.stderr)")
        #expect(result.stdout.contains("after: bpf_fs\n"))
        #expect(result.stdout.contains("pins: attachment counters customer_slots link prefixes_v4 prefixes_v6 program traffic"), "\(result.stdout)")
        #expect(result.stdout.contains("xdp: name tag_customer\n"), "\(result.stdout)")
        // (Newer kernels show maps.debug and progs.debug in every BPF filesystem.)
        #expect(result.stdout.contains("left: ") && !result.stdout.contains("left: dropledger") && !result.stdout.contains(" dropledger "),
                "untag leaves pins: \(result.stdout)")
        // Nothing reached the mounts of the namespace the tests run in.
        #expect(try Self.filesystemType() == hostBefore)
        #expect(try network.xdpPrograms().isEmpty)
    }

    @Test func demoRunsOnAFreshHost() throws {
        let result = try Command.capture([Self.freshHost, "timeout", "120", Binaries.dropledger, "demo",
                                          "--web.listen-address", "127.0.0.1:0", "--duration", "6"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // Without XDP metadata writes (HostKernel) the demo runs without its tagger, which
        // is what pins: nothing to mount, every drop for `none`.
        let customers = HostKernel.tagsPackets ? ["101", "202", "303"] : ["none"]
        #expect(result.stderr.contains("mounted a BPF filesystem at /sys/fs/bpf") == HostKernel.tagsPackets, "\(result.stderr)")
        // "  101      NO_SOCKET            1234" per counted series, after the demo's run.
        let counted = result.stdout.split(separator: "\n").compactMap { line -> (String, UInt64)? in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let drops = UInt64(fields[2]) else { return nil }
            return (String(fields[0]), drops)
        }
        for customer in customers {
            #expect(counted.contains { $0.0 == customer && $0.1 > 0 }, "no drops for \(customer): \(result.stdout)")
        }
        if !HostKernel.tagsPackets { #expect(counted.allSatisfy { $0.0 == "none" }, "\(result.stdout)") }
        #expect(result.stdout.contains("The lab is removed."))
    }

    @Test func withoutThePrivilegeToMountSaysWhatToRun() throws {
        let network = try TaggerNetwork(tag: "frp", customerNets: [])
        let result = try Command.capture([Self.freshHost, "nsenter", "--net=\(network.netnsPath)",
                                          "setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin",
                                          Binaries.dropledger, "tag", "--interface", network.dev, "--prefix", "10.0.0.0/8=5"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no BPF filesystem is mounted at /sys/fs/bpf, and mounting one failed: Operation not permitted"),
                "\(result.stderr)")
        #expect(result.stderr.contains("run `sudo mount -t bpf bpf /sys/fs/bpf` once"), "\(result.stderr)")
        #expect(try network.xdpPrograms().isEmpty)
    }

    @Test func aStateDirectoryBelowSysFsBpfMountsItToo() throws {
        let network = try TestNetwork(tag: "frst")
        let state = "/sys/fs/bpf/dropledger-fresh-\(getpid())/state"
        // serve with a state, stopped by SIGTERM after it is ready; then cleanup, in the same namespace.
        let script = """
            \(Binaries.dropledger) serve --web.listen-address 127.0.0.1:0 --filter.netns \(network.netnsPath) --state-dir \(state) &
            pid=$!
            for i in $(seq 100); do [ -e \(state)/link ] && break; sleep 0.1; done
            echo "pinned: $(ls \(state) | wc -l)"
            kill -TERM $pid; wait $pid; echo "serve: $?"
            \(Binaries.dropledger) cleanup --state-dir \(state); echo "cleanup: $?"
            rmdir /sys/fs/bpf/dropledger-fresh-\(getpid())
            """
        let result = try Command.capture([Self.freshHost, "bash", "-c", script])
        #expect(result.stderr.contains("mounted a BPF filesystem at /sys/fs/bpf"), "\(result.stderr)")
        #expect(!result.stdout.contains("pinned: 0"), "\(result.stdout)")
        #expect(result.stdout.contains("serve: 0\n") && result.stdout.contains("cleanup: 0\n"), "\(result.stdout)\(result.stderr)")
    }
}
