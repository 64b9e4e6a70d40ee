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
