import CLibBPF
import Glibc
import Logging
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
/// `fallback_reasons`, `unrecorded`, `folded`: the fallback counts already
/// folded into some exporter's counters, written at each fold, so a restart does
/// not count them again; and `format`: the state's format and the version of the
/// dropledger that made it.
///
/// One process owns a state at a time: it holds an exclusive `flock` on the directory
/// for as long as it runs (the kernel drops the lock when the process dies, even by
/// SIGKILL). Two consumers moving one ring's tail would count events twice and lose others.
public final class StateDirectory: @unchecked Sendable {
    public let path: String
    /// The version of this dropledger, written into a state it makes.
    let version: String
    /// The open directory, holding the lock; closed (and so unlocked) in deinit.
    private let lockFD: Int32

    static let fixedNames = ["link", "program", "config", "events", "cursors", "doorbells", "fallback", "fallback_reasons",
                             "unrecorded", "overwritten", "folded", "format", "sampler", "samples", "samples_lost"]
    /// What versions before the per-CPU event arrays pinned (`rings`, `ring-N`): `cleanup` removes them too.
    static let earlierNames = ["rings"]

    /// The layout of the pins, their keys and values and the ring protocol. A binary
    /// uses only a state of its own format; bump it with any change to those.
    /// States made before formats were recorded have no `format` pin (format 1); 2 had
    /// events without segment counts, and no `overwritten` counter; 3 no samples; 4 keyed
    /// `fallback_reasons` by the reason alone.
    static let format: UInt32 = 5

    /// Takes `path` for this process: creates it on bpffs (mounting a BPF filesystem
    /// at /sys/fs/bpf when `path` is below it and none is mounted) and locks it.
    /// Throws, naming the holder, when another process has it.
    public static func claim(_ path: String, version: String, logger: Logger) throws -> StateDirectory {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard trimmed.hasPrefix("/") else {
            throw RuntimeError("--state-dir must be an absolute path, got \(path)",
                               hint: "e.g. --state-dir /sys/fs/bpf/dropledger/state")
        }
        if trimmed.hasPrefix(BPFFilesystem.root + "/") {
            try BPFFilesystem.ensureMounted(pinsOutliveProcess: true, logger: logger)
        }
        try create(trimmed)
        guard BPFFilesystem.contains(trimmed) else {
            throw RuntimeError("--state-dir \(trimmed) is not on a BPF filesystem",
                               hint: "Pins live on bpffs: use a directory below \(BPFFilesystem.root), e.g. \(BPFFilesystem.root)/dropledger/state")
        }
        let fd = Glibc.open(trimmed, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw RuntimeError("opening the state directory \(trimmed)", errno: Errno(rawValue: errno)) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = Errno(rawValue: errno)
            let holder = lockHolder(of: fd)
            close(fd)
            guard error == .wouldBlock else { throw RuntimeError("locking the state directory \(trimmed)", errno: error) }
            throw RuntimeError("the state directory \(trimmed) is in use by \(holder.map(describe(process:)) ?? "another process")",
                               hint: "One exporter owns a state: stop that one first, or give this one another --state-dir")
        }
        return StateDirectory(path: trimmed, version: version, lockFD: fd)
    }

    private init(path: String, version: String, lockFD: Int32) {
        self.path = path
        self.version = version
        self.lockFD = lockFD
    }

    deinit { close(lockFD) }

    func file(_ name: String) -> String { path + "/" + name }

    static func doorbellName(_ cpu: Int) -> String { "doorbell-\(cpu)" }

    /// Whether a previous run left a complete state (the link is pinned last).
    var hasState: Bool { access(file("link"), F_OK) == 0 }

    /// Creates the directory and its parents.
    private static func create(_ path: String) throws {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw RuntimeError("creating the state directory \(prefix)", errno: Errno(rawValue: errno),
                                   hint: "--state-dir must be a directory on a BPF filesystem, e.g. \(BPFFilesystem.root)/dropledger/state")
            }
        }
    }

    /// The process holding the `flock` on the directory open as `fd`, from /proc/locks
    /// (flock does not say who holds a lock; /proc/locks does, by device and inode).
    private static func lockHolder(of fd: Int32) -> pid_t? {
        var info = stat()
        guard fstat(fd, &info) == 0, let locks = try? ProcFiles.read("/proc/locks") else { return nil }
        let device = UInt64(info.st_dev)
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        // "1: FLOCK  ADVISORY  WRITE 1234 00:2a:5678 0 EOF"
        let file = String(format2(major)) + ":" + String(format2(minor)) + ":" + String(info.st_ino)
        for line in locks.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 5, fields[1] == "FLOCK", fields[5] == Substring(file) { return pid_t(fields[4]) }
        }
        return nil
    }

    private static func format2(_ value: UInt64) -> String {
        let hex = String(value, radix: 16)
        return hex.count < 2 ? "0" + hex : hex
    }

    /// "process 1234 (dropledger serve --state-dir ...)".
    private static func describe(process pid: pid_t) -> String {
        let command = (try? ProcFiles.read("/proc/\(pid)/cmdline"))?
            .split(separator: "\0").joined(separator: " ") ?? ""
        return command.isEmpty ? "process \(pid)" : "process \(pid) (\(command))"
    }

    func pin(_ fd: Int32, as name: String) throws {
        let err = bpf_obj_pin(fd, file(name))
        if err != 0 {
            throw RuntimeError.libbpf("pinning \(name) at \(file(name))", returned: err,
                                      hint: "--state-dir must be a directory on a BPF filesystem (mount -t bpf bpf /sys/fs/bpf), e.g. /sys/fs/bpf/dropledger/state")
        }
    }

    /// Pins `format`: this state's format and the version of the dropledger making it.
    /// A one-entry array map, as bpffs holds only BPF objects: 4 bytes of format
    /// (little-endian), then the version, NUL-padded.
    func pinFormat() throws {
        let fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "dl_format", 4, UInt32(Self.formatValueSize), 1, nil)
        if fd < 0 { throw RuntimeError.libbpf("creating the state's format record", returned: fd) }
        defer { close(fd) }
        var value = [UInt8](repeating: 0, count: Self.formatValueSize)
        withUnsafeBytes(of: Self.format.littleEndian) { value.replaceSubrange(0..<4, with: $0) }
        let version = Array(version.utf8.prefix(Self.formatValueSize - 5))
        value.replaceSubrange(4..<(4 + version.count), with: version)
        var key: UInt32 = 0
        let err = bpf_map_update_elem(fd, &key, &value, UInt64(BPF_ANY))
        if err != 0 { throw RuntimeError.libbpf("writing the state's format record", returned: err) }
        try pin(fd, as: "format")
    }

    static let formatValueSize = 64

    /// The version of the dropledger that made this state, after checking that this
    /// binary can use it; otherwise throws with the command that removes it.
    func checkFormat() throws -> String {
        let cleanup = "dropledger cleanup --state-dir \(path)"
        let fd = bpf_obj_get(file("format"))
        guard fd >= 0 else {
            throw RuntimeError("the state in \(path) was made by a dropledger before state formats were recorded (format 1; this one uses format \(Self.format))",
                               hint: "Remove it with `\(cleanup)` (the drops it holds are lost), then start again")
        }
        defer { close(fd) }
        var key: UInt32 = 0
        var value = [UInt8](repeating: 0, count: Self.formatValueSize)
        let err = bpf_map_lookup_elem(fd, &key, &value)
        if err != 0 { throw RuntimeError.libbpf("reading the state's format record \(file("format"))", returned: err,
                                                 hint: "Remove the state with `\(cleanup)`") }
        let format = value[0..<4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let madeBy = String(decoding: value[4...].prefix { $0 != 0 }, as: UTF8.self)
        guard format == Self.format else {
            throw RuntimeError("the state in \(path) has format \(format), made by dropledger \(madeBy); this dropledger \(version) uses format \(Self.format)",
                               hint: "Remove it with `\(cleanup)` (the drops it holds are lost), or run the dropledger that made it")
        }
        return madeBy
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
    /// once no process holds it), then (unless `keepingDirectory`, as a start that goes
    /// on to pin there does) the directory. Returns whether any pin was there.
    @discardableResult
    public func removeAll(keepingDirectory: Bool = false) throws -> Bool {
        let present = entries()
        guard access(path, F_OK) == 0 else { return false }
        let ours = Set(Self.fixedNames + Self.earlierNames)
        for name in ["link"] + present.filter({ $0 != "link" }) where ours.contains(name) || name.hasPrefix("doorbell-") || name.hasPrefix("ring-") {
            if unlink(file(name)) != 0 && errno != ENOENT {
                throw RuntimeError("removing \(file(name))", errno: Errno(rawValue: errno))
            }
        }
        if !keepingDirectory && rmdir(path) != 0 && errno != ENOENT {
            throw RuntimeError("removing \(path)", errno: Errno(rawValue: errno),
                               hint: "Something else is in it; remove that by hand")
        }
        return !present.isEmpty
    }
}
