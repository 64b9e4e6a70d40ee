import CLinux
import Glibc

/// What to tell a user whose kernel refused an operation for lack of privilege,
/// and the capabilities the exporter keeps once it runs.
public enum Privileges {
    package static let hint = "Run dropledger as root, or grant it CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_RESOURCE"

    static var isRoot: Bool { geteuid() == 0 }

    /// Capability numbers (linux/capability.h) by the name the kernel documents.
    public static let names: [Int: String] = [
        0: "CAP_CHOWN", 1: "CAP_DAC_OVERRIDE", 2: "CAP_DAC_READ_SEARCH", 3: "CAP_FOWNER", 4: "CAP_FSETID",
        5: "CAP_KILL", 6: "CAP_SETGID", 7: "CAP_SETUID", 8: "CAP_SETPCAP", 9: "CAP_LINUX_IMMUTABLE",
        10: "CAP_NET_BIND_SERVICE", 11: "CAP_NET_BROADCAST", 12: "CAP_NET_ADMIN", 13: "CAP_NET_RAW",
        14: "CAP_IPC_LOCK", 15: "CAP_IPC_OWNER", 16: "CAP_SYS_MODULE", 17: "CAP_SYS_RAWIO", 18: "CAP_SYS_CHROOT",
        19: "CAP_SYS_PTRACE", 20: "CAP_SYS_PACCT", 21: "CAP_SYS_ADMIN", 22: "CAP_SYS_BOOT", 23: "CAP_SYS_NICE",
        24: "CAP_SYS_RESOURCE", 25: "CAP_SYS_TIME", 26: "CAP_SYS_TTY_CONFIG", 27: "CAP_MKNOD", 28: "CAP_LEASE",
        29: "CAP_AUDIT_WRITE", 30: "CAP_AUDIT_CONTROL", 31: "CAP_SETFCAP", 32: "CAP_MAC_OVERRIDE",
        33: "CAP_MAC_ADMIN", 34: "CAP_SYSLOG", 35: "CAP_WAKE_ALARM", 36: "CAP_BLOCK_SUSPEND",
        37: "CAP_AUDIT_READ", 38: "CAP_PERFMON", 39: "CAP_BPF", 40: "CAP_CHECKPOINT_RESTORE",
    ]

    public static func mask(_ names: [String]) -> UInt64 {
        names.reduce(0) { mask, name in
            mask | (Self.names.first { $0.value == name }.map { UInt64(1) << UInt64($0.key) } ?? 0)
        }
    }

    public static func describe(_ mask: UInt64) -> [String] {
        (0..<64).filter { mask & (UInt64(1) << UInt64($0)) != 0 }.map { names[$0] ?? "cap_\($0)" }
    }

    /// The process's sets now: effective, permitted, inheritable, bounding, ambient.
    public static func current() -> (effective: UInt64, permitted: UInt64, inheritable: UInt64, bounding: UInt64, ambient: UInt64) {
        var e: UInt64 = 0, p: UInt64 = 0, i: UInt64 = 0, b: UInt64 = 0, a: UInt64 = 0
        _ = dl_caps_read(&e, &p, &i, &b, &a)
        return (e, p, i, b, a)
    }

    /// Call before any thread exists (threads inherit the signal mask `limit` relies on).
    public static func prepare() {
        _ = dl_caps_prepare()
    }

    /// Keeps only `keep` (those of them the process has) in every thread: permitted,
    /// effective and bounding sets; inheritable and ambient are emptied and
    /// no_new_privs is set. Returns what remains permitted.
    @discardableResult
    public static func limit(keeping keep: [String]) throws -> [String] {
        if dl_caps_limit(mask(keep)) != 0 {
            throw RuntimeError("dropping capabilities", errno: .init(rawValue: errno))
        }
        return describe(current().permitted)
    }
}
