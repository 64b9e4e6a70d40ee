import CBPFPrograms
import CLibBPF
import Glibc
import SystemPackage

/// Injects frames into a device's receive path as real skbs, each carrying a
/// chosen metadata area: BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES runs
/// the embedded `inject` XDP program, which writes the area and passes the frame on.
/// For tests and benchmarks: the kernel treats the frames as received.
public final class FrameInjector {
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

    /// Sends `frame` `count` times into the device `ifindex` of the caller's network namespace,
    /// `batchSize` frames (1-256; 0 for the kernel's 64) at a time, each batch handed to the
    /// stack in one go: its drops on one CPU follow one another with no chance for a thread
    /// on that CPU to run in between.
    public func inject(frame: [UInt8], metadata: [UInt8], ifindex: UInt32, count: UInt32, batchSize: UInt32 = 0) throws {
        guard metadata.count <= 252, metadata.count % 4 == 0 else {
            throw RuntimeError("a metadata area must be a multiple of 4 bytes and at most 252, got \(metadata.count)")
        }
        let set = metadata.withUnsafeBufferPointer { dl_inject_set_meta(skeleton, $0.baseAddress, UInt32($0.count)) }
        if set != 0 { throw RuntimeError.libbpf("setting the injected metadata", returned: set) }

        let refusedBefore = dl_inject_refused(skeleton)
        var context = xdp_md()
        context.ingress_ifindex = ifindex
        context.data_end = UInt32(frame.count)  // the kernel requires the context to describe the frame
        var opts = bpf_test_run_opts()
        opts.sz = MemoryLayout<bpf_test_run_opts>.size
        opts.flags = UInt32(BPF_F_TEST_XDP_LIVE_FRAMES)
        opts.repeat = Int32(clamping: count)
        opts.batch_size = batchSize
        let err = frame.withUnsafeBytes { data in
            withUnsafeMutablePointer(to: &context) { ctx in
                opts.data_in = data.baseAddress
                opts.data_size_in = UInt32(data.count)
                opts.ctx_in = UnsafeRawPointer(ctx)
                opts.ctx_size_in = UInt32(MemoryLayout<xdp_md>.size)
                return bpf_prog_test_run_opts(dl_inject_prog_fd(skeleton), &opts)
            }
        }
        if err != 0 {
            throw RuntimeError.libbpf("injecting \(count) frames into ifindex \(ifindex)", returned: err,
                                      hint: "The device must exist in this network namespace and be up")
        }
        let refused = dl_inject_refused(skeleton) - refusedBefore
        if refused > 0 {
            throw RuntimeError("the kernel refused a \(metadata.count)-byte metadata area on \(refused) frames, which were not injected",
                               hint: "XDP leaves room for about 216 bytes of metadata in test runs; use a smaller area")
        }
    }
}
