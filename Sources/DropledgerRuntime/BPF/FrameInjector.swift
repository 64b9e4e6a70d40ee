import CBPFPrograms
import CLibBPF
import Glibc
import SystemPackage

/// Injects frames into a device's receive path as real skbs, each carrying a
/// chosen metadata area: BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES runs
/// the embedded `inject` XDP program, which passes the frame on. The area is part
/// of the test run's input, before the frame, with its length in the context: the
/// kernel copies it into each page of its pool with the frame, so no helper writes it
/// (some kernels refuse bpf_xdp_adjust_meta to XDP programs). Pages are recycled without
/// a new copy, so a path that writes into the headroom (forwarding's new MAC header, a
/// TC program that moves the head) can leave its bytes in the areas of later frames of
/// the same run: tests of such paths send fewer frames than a batch (64 by default).
/// For tests and benchmarks: the kernel treats the frames as received.
public final class FrameInjector {
    /// The largest area a live frame carries: 256 bytes of headroom less the struct
    /// xdp_frame the kernel keeps there (40 bytes).
    public static let maximumAreaLength = 216

    private let skeleton: OpaquePointer

    public init() throws {
        try KernelSupport.requireBTF()
        guard let skeleton = dl_inject_open_and_load() else {
            let errno = Errno(rawValue: Glibc.errno)
            throw RuntimeError("loading the frame injector's XDP program", errno: errno,
                               hint: errno == .notPermitted ? Privileges.hint : nil)
        }
        self.skeleton = skeleton
    }

    deinit { dl_inject_destroy(skeleton) }

    var programFD: Int32 { dl_inject_prog_fd(skeleton) }

    /// Sends `frame` `count` times into the device `ifindex` of the caller's network namespace,
    /// `batchSize` frames (1-256; 0 for the kernel's 64) at a time, each batch handed to the
    /// stack in one go: its drops on one CPU follow one another with no chance for a thread
    /// on that CPU to run in between.
    public func inject(frame: [UInt8], metadata: [UInt8], ifindex: UInt32, count: UInt32, batchSize: UInt32 = 0) throws {
        guard metadata.count <= Self.maximumAreaLength, metadata.count % 4 == 0 else {
            throw RuntimeError("a metadata area must be a multiple of 4 bytes and at most \(Self.maximumAreaLength), got \(metadata.count)",
                               hint: "XDP keeps struct xdp_frame in the 256 bytes of headroom a test run gives a frame")
        }
        var context = xdp_md()
        context.ingress_ifindex = ifindex
        context.data = UInt32(metadata.count)  // the input's first bytes are the area
        context.data_end = UInt32(metadata.count + frame.count)
        var opts = bpf_test_run_opts()
        opts.sz = MemoryLayout<bpf_test_run_opts>.size
        opts.flags = UInt32(BPF_F_TEST_XDP_LIVE_FRAMES)
        opts.repeat = Int32(clamping: count)
        opts.batch_size = batchSize
        let input = metadata + frame
        let err = input.withUnsafeBytes { data in
            withUnsafeMutablePointer(to: &context) { ctx in
                opts.data_in = data.baseAddress
                opts.data_size_in = UInt32(data.count)
                opts.ctx_in = UnsafeRawPointer(ctx)
                opts.ctx_size_in = UInt32(MemoryLayout<xdp_md>.size)
                return bpf_prog_test_run_opts(dl_inject_prog_fd(skeleton), &opts)
            }
        }
        if !KernelSupport.liveFramesInjectable {
            throw RuntimeError("this kernel refuses BPF_PROG_TEST_RUN with live frames (BPF_F_TEST_XDP_LIVE_FRAMES), so no frame can be injected",
                               hint: "Inject on a kernel that allows it (upstream kernels do since 5.18), for example in the kernel matrix: make test-kernels")
        }
        if err != 0 {
            let hint = err == -EINVAL && metadata.count > 32
                ? "Some kernels (6.1) give frames at most 32 bytes of metadata; the device must also exist in this network namespace and be up"
                : "The device must exist in this network namespace and be up"
            throw RuntimeError.libbpf("injecting \(count) frames with a \(metadata.count)-byte metadata area into ifindex \(ifindex)",
                                      returned: err, hint: hint)
        }
    }
}
