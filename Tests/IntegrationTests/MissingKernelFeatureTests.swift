import Foundation
import Testing

/// On a kernel that refuses what the tagger and the injector need (HostKernel), users
/// are told what is missing, and nothing is left behind. Runs only there: elsewhere the
/// tagger's and the injector's own tests run instead.
@Suite(.serialized, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct MissingKernelFeatureTests {
    @Test(.enabled(if: !HostKernel.tagsPackets, "this kernel lets XDP programs write metadata"))
    func tagSaysTheKernelCannotTag() throws {
        let network = try TaggerNetwork(tag: "nom", customerNets: [])
        let result = try network.dropledger(["tag", "--interface", network.dev, "--prefix", "10.0.0.0/8=5"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("this kernel does not let XDP programs write packet metadata (it refuses bpf_xdp_adjust_meta)"),
                "\(result.stderr)")
        #expect(result.stderr.contains("Drops are still counted"), "\(result.stderr)")
        #expect(try network.xdpPrograms().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: network.pinDirectory))
    }

    @Test(.enabled(if: !HostKernel.injectsFrames, "this kernel injects live frames"))
    func injectSaysTheKernelRefusesLiveFrames() throws {
        let network = try TaggerNetwork(tag: "nol", customerNets: [])
        let result = try Command.capture(["ip", "netns", "exec", network.receiver, Binaries.inject, "send", "--interface", network.dev,
                                          "--customer", "5", "--dst", network.receiverAddress, "--src", network.senderAddress,
                                          "--dport", "9", "--count", "10"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("this kernel refuses BPF_PROG_TEST_RUN with live frames"), "\(result.stderr)")
    }
}
