import CLibBPF
import Glibc
import SystemPackage

/// Where a tagged interface's program, maps and link are pinned, so the attachment
/// outlives the `dropledger tag` process: /sys/fs/bpf/dropledger/tag-IFNAME/.
struct TaggerPins {
    static let root = BPFFilesystem.root + "/dropledger"
    /// Pin names: the link first to go on untag, so the program stops before its maps vanish.
    static let names = ["link", "program", "prefixes_v4", "prefixes_v6", "counters", "customer_slots", "traffic", "attachment"]
    static let mapNames = ["prefixes_v4", "prefixes_v6", "counters", "customer_slots", "traffic", "attachment"]

    let directory: String

    init(interface: String) {
        directory = Self.root + "/tag-" + interface
    }

    func path(_ name: String) -> String { directory + "/" + name }

    var exists: Bool { access(directory, F_OK) == 0 }

    func create() throws {
        for dir in [Self.root, directory] where mkdir(dir, 0o700) != 0 && Glibc.errno != EEXIST {
            throw RuntimeError("creating the pin directory \(dir)", errno: Errno(rawValue: Glibc.errno))
        }
    }

    func pin(_ fd: Int32, as name: String) throws {
        let err = bpf_obj_pin(fd, path(name))
        if err != 0 { throw RuntimeError.libbpf("pinning \(name) at \(path(name))", returned: err) }
    }

    /// Removes every pin, the directory, and /sys/fs/bpf/dropledger when it is empty.
    /// Returns why the directory could not be removed (a pin that is not ours), if so.
    @discardableResult
    func removeAll() -> Errno? {
        // Pins that are not there are what we want: their ENOENT is no error.
        for name in Self.names { unlink(path(name)) }
        unlink(path("program-new"))  // bpffs refuses dots in names
        if rmdir(directory) != 0 && Glibc.errno != ENOENT { return Errno(rawValue: Glibc.errno) }
        rmdir(Self.root)  // fails harmlessly while another interface is tagged
        return nil
    }
}
