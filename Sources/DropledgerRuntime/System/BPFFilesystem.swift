import CLinux
import Glibc
import Logging
import SystemPackage

/// The BPF filesystem dropledger pins on: the host's, at /sys/fs/bpf.
///
/// systemd mounts it at boot, but a fresh container, minimal VM or CI runner has
/// nothing there. Where dropledger needs pins (the tagger, `--state-dir`) it mounts
/// one itself, as bpftool does, and logs that it did.
public enum BPFFilesystem {
    public static let root = "/sys/fs/bpf"
    /// `BPF_FS_MAGIC` from linux/magic.h.
    static let magic: UInt64 = 0xcafe_4a11

    /// Whether `path` (which must exist) is on a BPF filesystem.
    public static func contains(_ path: String) -> Bool {
        var type: UInt64 = 0
        return dl_filesystem_type(path, &type) == 0 && type == magic
    }

    /// Makes sure a BPF filesystem is mounted at /sys/fs/bpf, mounting one if not.
    /// `pinsOutliveProcess`: the pins must outlive this command (`tag`, `--state-dir`),
    /// so a mount namespace that ends with this process (`ip netns exec` makes one) is
    /// refused rather than mounted in: the pins would vanish, and the tagger with them.
    public static func ensureMounted(pinsOutliveProcess: Bool, logger: Logger) throws {
        if contains(root) { return }
        if pinsOutliveProcess && mountNamespaceEndsWithProcess() {
            throw RuntimeError("no BPF filesystem is mounted at \(root) in this mount namespace, which ends with this command",
                               hint: "`ip netns exec` gives its command a mount namespace of its own: run dropledger under " +
                                     "`nsenter --net=/run/netns/NAME` instead, so its pins outlive the command")
        }
        if access(root, F_OK) != 0 {
            throw RuntimeError("no BPF filesystem is mounted at \(root), and there is no \(root) to mount one on",
                               errno: Errno(rawValue: errno), hint: "Is sysfs mounted at /sys? (mount -t sysfs sysfs /sys)")
        }
        if dl_mount_bpffs(root) != 0 {
            let error = Errno(rawValue: errno)
            throw RuntimeError("no BPF filesystem is mounted at \(root), and mounting one failed", errno: error,
                               hint: error == .notPermitted
                                   ? "Mounting needs CAP_SYS_ADMIN: run `sudo mount -t bpf bpf \(root)` once, or run dropledger as root"
                                   : "Mount it by hand: mount -t bpf bpf \(root)")
        }
        logger.info("mounted a BPF filesystem at \(root): none was mounted, and dropledger pins there",
                    metadata: ["unmount": "umount \(root) (after `dropledger untag` and `cleanup`)"])
    }

    /// Whether no other process is in this process's mount namespace as far as we can
    /// tell: the parent's differs (`ip netns exec` and `unshare -m CMD` exec their command
    /// in a namespace of its own).
    static func mountNamespaceEndsWithProcess() -> Bool {
        guard let mine = namespaceLink("/proc/self/ns/mnt"),
              let parents = namespaceLink("/proc/\(getppid())/ns/mnt") else { return false }
        return mine != parents
    }

    private static func namespaceLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length > 0 else { return nil }  // unreadable (another user's process): assume shared
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
