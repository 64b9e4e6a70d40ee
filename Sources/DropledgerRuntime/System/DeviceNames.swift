import CLinux
import DropledgerCore
import Glibc
import Synchronization

/// Names the devices drops happened on: the interface name (looked up inside its
/// network namespace) and the namespace's `ip netns` name. Cached for 30 s: devices
/// and namespaces come and go.
final class DeviceNames: Sendable {
    typealias Name = (interface: String?, netnsName: String?)
    private let cache = Mutex<[DeviceID: (name: Name, at: Double)]>([:])

    func name(of device: DeviceID, now: Double) -> Name {
        if let hit = cache.withLock({ $0[device] }), now - hit.at < 30 { return hit.name }
        let name = Self.resolve(device)
        cache.withLock { $0[device] = (name, now) }
        return name
    }

    private static func resolve(_ device: DeviceID) -> Name {
        if device.netnsInode == inode("/proc/self/ns/net") {
            return (interfaceName(device.ifindex), nil)
        }
        guard let namespace = namedNamespaces().first(where: { inode($0.path) == device.netnsInode }) else {
            return (nil, nil)
        }
        if let helper = NamespaceHelper.shared.withLock({ $0 }) {
            return (helper.interfaceName(device.ifindex, in: namespace.path), namespace.name)
        }
        let interface = try? NetworkNamespace.run(inPath: namespace.path) { interfaceName(device.ifindex) }
        return (interface ?? nil, namespace.name)
    }

    private static func interfaceName(_ ifindex: UInt32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        guard if_indextoname(ifindex, &buffer) != nil else { return nil }
        return String(cString: buffer)
    }

    private static func inode(_ path: String) -> UInt32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt32(truncatingIfNeeded: info.st_ino)
    }

    /// The namespaces `ip netns` knows, by name.
    private static func namedNamespaces() -> [(name: String, path: String)] {
        guard let dir = opendir("/run/netns") else { return [] }
        defer { closedir(dir) }
        var result: [(String, String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { result.append((name, "/run/netns/" + name)) }
        }
        return result
    }
}

/// Entering another network namespace needs CAP_SYS_ADMIN, which the exporter drops
/// once it runs (see `Privileges.limit`). Before that, `serve` forks this helper: a
/// small single-threaded process that keeps only CAP_SYS_ADMIN, answers nothing but
/// "the name of ifindex N in /run/netns/NAME" over a socket pair, and exits with
/// the exporter. The process facing the network keeps no such capability.
public final class NamespaceHelper: Sendable {
    static let shared = Mutex<NamespaceHelper?>(nil)

    private let socket: Mutex<Int32>
    public let pid: Int32

    private init(socket: Int32, pid: Int32) {
        self.socket = Mutex(socket)
        self.pid = pid
    }

    /// Starts the helper; call before any thread exists. Does nothing without CAP_SYS_ADMIN.
    public static func start() throws {
        var pid: Int32 = 0
        let fd = dl_netns_helper_start(&pid)
        if fd < 0 { throw RuntimeError("starting the network namespace helper", errno: .init(rawValue: errno)) }
        shared.withLock { $0 = NamespaceHelper(socket: fd, pid: pid) }
    }

    func interfaceName(_ ifindex: UInt32, in path: String) -> String? {
        socket.withLock { fd in
            var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE))
            guard dl_netns_helper_ifname(fd, path, ifindex, &name) == 0 else { return nil }
            return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
