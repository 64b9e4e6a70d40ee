import CLibBPF
import Glibc
import SystemPackage

/// `serve --state-dir DIR`: the kernel side of the exporter pinned on bpffs, so it
/// outlives the process. The program keeps counting into the rings and the fallback
/// maps while no exporter runs; the next one drains what accumulated.
///
/// Pins: `link` (the attachment; its removal detaches the program), `program`,
/// `config` (the program's .rodata: TLV type, netns filter, ring size), `events`
/// and `cursors` (the per-CPU rings and their positions), `doorbells` (the
/// ARRAY_OF_MAPS) and `doorbell-N` for each CPU's (user space cannot reopen an inner
/// map from the outer one without CAP_SYS_ADMIN), `fallback`,
/// `fallback_reasons`, `unrecorded`, and `folded`: the fallback counts already
/// folded into some exporter's counters, written at each fold, so a restart does
/// not count them again.
public struct StateDirectory: Sendable {
    public let path: String
    static let fixedNames = ["link", "program", "config", "events", "cursors", "doorbells", "fallback", "fallback_reasons",
                             "unrecorded", "folded"]
    /// What versions before the per-CPU event arrays pinned (`rings`, `ring-N`): `cleanup` removes them too.
    static let earlierNames = ["rings"]

    public init(path: String) {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed
    }

    func file(_ name: String) -> String { path + "/" + name }

    static func doorbellName(_ cpu: Int) -> String { "doorbell-\(cpu)" }

    /// Whether a previous run left a complete state (the link is pinned last).
    var hasState: Bool { access(file("link"), F_OK) == 0 }

    /// Creates the directory (and its parents) on bpffs.
    func create() throws {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw RuntimeError("creating the state directory \(prefix)", errno: Errno(rawValue: errno),
                                   hint: "--state-dir must be a directory on a BPF filesystem, e.g. /sys/fs/bpf/dropledger/state")
            }
        }
    }

    func pin(_ fd: Int32, as name: String) throws {
        let err = bpf_obj_pin(fd, file(name))
        if err != 0 {
            throw RuntimeError.libbpf("pinning \(name) at \(file(name))", returned: err,
                                      hint: "--state-dir must be a directory on a BPF filesystem (mount -t bpf bpf /sys/fs/bpf), e.g. /sys/fs/bpf/dropledger/state")
        }
    }

    func open(_ name: String) throws -> Int32 {
        let fd = bpf_obj_get(file(name))
        if fd < 0 {
            throw RuntimeError.libbpf("opening the pinned \(name) at \(file(name))", returned: fd,
                                      hint: "The state is incomplete or damaged; remove it with `dropledger cleanup --state-dir \(path)`")
        }
        return fd
    }

    /// Names of what is in the directory now.
    func entries() -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes every pin dropledger makes, the link first (that detaches the program
    /// once no process holds it), then the directory. Returns whether anything was there.
    @discardableResult
    public func removeAll() throws -> Bool {
        let present = entries()
        guard access(path, F_OK) == 0 else { return false }
        let ours = Set(Self.fixedNames + Self.earlierNames)
        for name in ["link"] + present.filter({ $0 != "link" }) where ours.contains(name) || name.hasPrefix("doorbell-") || name.hasPrefix("ring-") {
            if unlink(file(name)) != 0 && errno != ENOENT {
                throw RuntimeError("removing \(file(name))", errno: Errno(rawValue: errno))
            }
        }
        if rmdir(path) != 0 && errno != ENOENT {
            throw RuntimeError("removing \(path)", errno: Errno(rawValue: errno),
                               hint: "Something else is in it; remove that by hand")
        }
        return true
    }
}
