import DropledgerCore
import Glibc

/// Reads the small text files under /proc behind the `process_*` metrics.
public enum ProcFiles {
    public static func processStats() throws -> ProcessStats {
        try ProcessStats(
            selfStat: try read("/proc/self/stat"),
            procStat: try read("/proc/stat"),
            limits: try read("/proc/self/limits"),
            openFDs: try countEntries("/proc/self/fd"),
            ticksPerSecond: UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1)),
            pageSize: UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 1)))
    }

    /// The kernel release, as `uname -r` prints it.
    public static var kernelRelease: String {
        var name = utsname()
        uname(&name)
        return withUnsafePointer(to: name.release) {
            $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: name.release)) { String(cString: $0) }
        }
    }

    /// The inode of a network namespace file (`/run/netns/NAME`, `/proc/PID/ns/net`).
    public static func netnsInode(_ path: String) throws -> UInt32 {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw RuntimeError("reading network namespace \(path)", errno: .init(rawValue: errno),
                               hint: "Pass a namespace file such as /run/netns/NAME or /proc/PID/ns/net")
        }
        return UInt32(truncatingIfNeeded: info.st_ino)
    }

    static func read(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw RuntimeError("opening \(path)", errno: .init(rawValue: errno)) }
        defer { close(fd) }
        return try readAll(fd, path)
    }

    /// Reads an open file from its current offset to the end.
    static func readAll(_ fd: Int32, _ path: String) throws -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw RuntimeError("reading \(path)", errno: .init(rawValue: errno)) }
            if n == 0 { break }
            bytes += chunk[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func countEntries(_ path: String) throws -> UInt64 {
        guard let dir = opendir(path) else { throw RuntimeError("listing \(path)", errno: .init(rawValue: errno)) }
        defer { closedir(dir) }
        var count: UInt64 = 0
        while let entry = readdir(dir) {
            let dot = entry.pointee.d_name.0 == 0x2E
            let name1 = entry.pointee.d_name.1
            let isDotEntry = dot && (name1 == 0 || (name1 == 0x2E && entry.pointee.d_name.2 == 0))
            if !isDotEntry { count += 1 }
        }
        return count - 1 // the descriptor opendir itself holds
    }
}
