import Glibc
import SystemPackage

/// The values of a `BPF_F_MMAPABLE` array map, mapped into this process: user space
/// reads what the program writes (and writes what it reads) without a syscall.
/// Unmapped on deinit; the map itself lives on while its descriptor or a pin does.
final class MappedArray: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let length: Int

    init(fd: Int32, length: Int, writable: Bool, what: String) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let rounded = (length + page - 1) / page * page
        let address = mmap(nil, rounded, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw RuntimeError("mapping \(what) into memory", errno: Errno(rawValue: errno))
        }
        base = address
        self.length = rounded
    }

    deinit { munmap(base, length) }
}
