import CBPFPrograms
import CLibBPF
import Glibc
import SystemPackage

/// Turns a missing kernel feature into one line that says what is missing and what is needed.
package enum KernelSupport {
    static let minimum = "Linux 6.1 with BTF (CONFIG_DEBUG_INFO_BTF=y)"

    package static func requireBTF() throws {
        if access("/sys/kernel/btf/vmlinux", R_OK) != 0 {
            throw RuntimeError("this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing)",
                               hint: "dropledger needs \(minimum)")
        }
    }

    /// Whether this kernel lets XDP programs call bpf_xdp_adjust_meta, without which no
    /// tagger can write a metadata area. Upstream kernels allow it since 4.15; a kernel
    /// built or patched to refuse it (seen on a sandbox's 6.18) cannot run the tagger.
    /// True when the probe cannot tell (no privilege): loading the tagger says more then.
    package static var xdpMetadataWritable: Bool { dl_probe_xdp_adjust_meta() != 0 }

    /// Whether BPF_PROG_TEST_RUN injects live frames (BPF_F_TEST_XDP_LIVE_FRAMES, 5.18 on),
    /// which the frame injector needs. True when the probe cannot tell.
    package static var liveFramesInjectable: Bool { dl_probe_xdp_live_frames() != 0 }

    /// Why the tagger cannot work here (TaggerProgram asks the probe when the load fails).
    static let noXDPMetadata = RuntimeError(
        "this kernel does not let XDP programs write packet metadata (it refuses bpf_xdp_adjust_meta), so the tagger cannot tag packets here",
        hint: "Drops are still counted, as `none` unless something else wrote the area. The tagger needs a kernel that allows the helper: every upstream kernel since 4.15 does")

    static func explainLoadFailure(code: Int32) -> RuntimeError {
        let errno = Errno(rawValue: code < 0 ? -code : code)
        switch errno {
        case .notPermitted:
            return RuntimeError("loading the BPF program was not permitted", errno: errno, hint: Privileges.hint)
        case .noSuchProcess, .noSuchFileOrDirectory:
            return RuntimeError("this kernel has no skb:kfree_skb tracepoint with drop reasons for tp_btf programs",
                                errno: errno, hint: "dropledger needs \(minimum)")
        default:
            let tail = LibBPFLog.shared.recentLines().joined(separator: "\n  ")
            return RuntimeError("the kernel rejected the BPF program", errno: errno,
                                hint: tail.isEmpty ? nil : "libbpf and verifier said:\n  \(tail)")
        }
    }
}
