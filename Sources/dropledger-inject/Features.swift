import ArgumentParser
import DropledgerRuntime

/// `dropledger-inject features`: what this kernel lets the tagger and the injector do,
/// one `name=yes|no` per line, for tests and scripts to decide what they can run.
struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print whether this kernel allows XDP metadata writes and live-frame test runs.")

    func run() {
        print("xdp_metadata=\(KernelSupport.xdpMetadataWritable ? "yes" : "no")")
        print("live_frames=\(KernelSupport.liveFramesInjectable ? "yes" : "no")")
    }
}
