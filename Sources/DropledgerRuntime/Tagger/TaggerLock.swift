import Glibc
import SystemPackage

/// One `tag` or `untag` of an interface at a time on the host: two at once would read
/// the same free traffic slots and give them to two customers. An flock on a file
/// under /run/lock (bpffs holds no plain files), released when the holder exits.
struct TaggerLock: ~Copyable {
    private let fd: Int32

    init(interface: String) throws {
        let directory = access("/run/lock", W_OK) == 0 ? "/run/lock" : "/run"
        let path = "\(directory)/dropledger-tag-\(interface).lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw RuntimeError("opening the lock \(path)", errno: Errno(rawValue: Glibc.errno)) }
        while flock(fd, LOCK_EX) != 0 {
            let code = Glibc.errno
            if code == EINTR { continue }
            close(fd)
            throw RuntimeError("locking \(path)", errno: Errno(rawValue: code))
        }
    }

    deinit { close(fd) }
}
