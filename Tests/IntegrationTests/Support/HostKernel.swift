import Testing

/// What the host kernel lets the tests do, asked of the kernel itself
/// (`dropledger-inject features`, KernelSupport's probes). A kernel can refuse what
/// upstream kernels allow: a sandbox's 6.18 refuses bpf_xdp_adjust_meta to XDP programs
/// and BPF_PROG_TEST_RUN's live frames. There no skb can carry a metadata area, so the
/// tests that need one are skipped, saying why; the kernel matrix (`make test-kernels`,
/// part of `make test`) runs the same binaries on Debian's 6.1 and 6.12, which allow
/// both, and MissingKernelFeatureTests checks what users of such a kernel are told.
enum HostKernel {
    private static let features: [String: String] = {
        guard let output = try? Command.run([Binaries.inject, "features"]) else { return [:] }
        var result: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }()

    /// XDP programs may write metadata: the tagger works. (Assumed when the probe cannot run:
    /// the tests then fail and say why, rather than being skipped.)
    static var tagsPackets: Bool { features["xdp_metadata"] != "no" }
    /// BPF_PROG_TEST_RUN injects live frames: `dropledger-inject send` works.
    static var injectsFrames: Bool { features["live_frames"] != "no" }
}

extension Trait where Self == ConditionTrait {
    /// For tests that run `dropledger tag` (or the demo's tagger) on the host.
    static var needsTagger: Self {
        .enabled(if: HostKernel.tagsPackets,
                 "the host kernel refuses bpf_xdp_adjust_meta to XDP programs: the tagger is tested in the kernel matrix")
    }

    /// For tests that inject frames with metadata areas on the host.
    static var needsFrameInjection: Self {
        .enabled(if: HostKernel.injectsFrames,
                 "the host kernel refuses BPF_PROG_TEST_RUN live frames: injected drops are tested in the kernel matrix")
    }
}
