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
