import CBPFPrograms
import CLibBPF
import DropledgerCore
import Glibc
import Logging
import SystemPackage

/// dropledger's own XDP tagger on an interface: attach, update in place, detach.
///
/// The attachment is a bpf_link pinned with the program and maps under
/// /sys/fs/bpf/dropledger/tag-IFNAME/, so it outlives the command that made it;
/// a later `tag` finds it there and changes the prefixes in place.
public enum Tagger {
    /// What `tag` did.
    public enum Outcome: Sendable, Hashable {
        /// Newly attached, with this many prefixes.
        case attached(prefixes: Int)
        /// Already tagged by dropledger: maps changed in place, program swapped atomically.
        case updated(added: Int, changed: Int, removed: Int)
    }

    /// Tags `interface` (in the caller's network namespace) with `prefixes`.
    /// On any error nothing new is left attached or pinned. `pinsOutliveProcess`: false
    /// where the caller untags before it exits (`serve --tag`, `demo`).
    public static func tag(interface: String, prefixes: [CustomerPrefix], configuration: TaggerConfiguration,
                           pinsOutliveProcess: Bool = true, logger: Logger) throws -> Outcome {
        let ifindex = try Self.ifindex(interface)
        try BPFFilesystem.ensureMounted(pinsOutliveProcess: pinsOutliveProcess, logger: logger)
        let lock = try TaggerLock(interface: interface)
        defer { withExtendedLifetime(lock) {} }
        let pins = TaggerPins(interface: interface)
        let attached = try XDPAttachment.query(ifindex: ifindex, interface: interface)

        if let link = try PinnedLink.open(pins) {
            defer { close(link.fd) }
            if link.ifindex == UInt32(ifindex), let mode = attached.mode(of: link.programID) {
                guard mode == configuration.mode else {
                    throw RuntimeError("\(interface) is already tagged by dropledger in \(mode.rawValue) XDP mode",
                                       hint: "Run `dropledger untag --interface \(interface)` first to change --xdp-mode")
                }
                return try update(link: link, pins: pins, prefixes: prefixes, configuration: configuration)
            }
            guard link.ifindex == 0 else {
                throw RuntimeError("\(pins.directory) belongs to a dropledger tagger on another interface named " +
                                   "\(interface) (ifindex \(link.ifindex), perhaps in another network namespace)",
                                   hint: "Untag it from that namespace first")
            }
            // The interface it was attached to is gone: the pins are stale.
            pins.removeAll()
        } else if pins.exists {
            pins.removeAll()  // left behind by an interrupted tag or untag
        }
        if let other = attached.anyProgramID {
            throw RuntimeError("\(interface) already has an XDP program attached that is not dropledger's " +
                               "(\(XDPAttachment.describe(programID: other)))",
                               hint: "dropledger tag does not replace it: detach it first, or have that program push the customer entry itself")
        }
        return try attach(ifindex: ifindex, interface: interface, pins: pins, prefixes: prefixes, configuration: configuration)
    }

    /// Detaches dropledger's tagger from `interface` and removes every pin. Returns
    /// false when there was nothing to remove. Works when the interface is gone, too.
    @discardableResult
    public static func untag(interface: String) throws -> Bool {
        // Without a BPF filesystem there are no pins: nothing is tagged.
        guard BPFFilesystem.contains(BPFFilesystem.root) else { return false }
        let pins = TaggerPins(interface: interface)
        guard pins.exists else { return false }
        let lock = try TaggerLock(interface: interface)
        defer { withExtendedLifetime(lock) {} }
        if let link = try PinnedLink.open(pins) {
            // Detach even if another process still holds the link open.
            let err = bpf_link_detach(link.fd)
            let code = err < 0 ? -err : Glibc.errno  // before close() can change errno
            close(link.fd)
            if err != 0 && code != ENOLINK {
                throw RuntimeError("detaching the tagger from \(interface)", errno: Errno(rawValue: code))
            }
        }
        if let error = pins.removeAll() {
            throw RuntimeError("removing \(pins.directory)", errno: error,
                               hint: "Something else was pinned there; remove it by hand")
        }
        return true
    }

    /// The tagger's cumulative counts on `interface`, summed over CPUs.
    public static func counters(interface: String) throws -> [TaggerResult: UInt64] {
        let pins = TaggerPins(interface: interface)
        let fd = bpf_obj_get(pins.path("counters"))
        if fd < 0 {
            throw RuntimeError.libbpf("opening the tagger's counters at \(pins.path("counters"))", returned: fd,
                                      hint: "Is \(interface) tagged by dropledger (`dropledger tag`)?")
        }
        defer { close(fd) }
        return try TaggerCounters.read(fd)
    }

    /// The traffic tagged per customer on `interface` since it was tagged, and the kernel's
    /// ID of the map counting it: untagging and tagging again starts a new map from zero.
    /// `netns`: the network namespace inode the tagger's interface must be in (nil: any);
    /// a tagger in another one gives nil. `attachedAt`: CLOCK_BOOTTIME nanoseconds.
    public static func traffic(interface: String, netns: UInt32? = nil)
        throws -> (mapID: UInt32, attachedAt: UInt64, counts: [UInt64: TrafficCount])? {
        let pins = TaggerPins(interface: interface)
        var fds: [Int32] = []
        defer { fds.forEach { close($0) } }
        for name in ["customer_slots", "traffic", "attachment"] {
            let fd = bpf_obj_get(pins.path(name))
            if fd < 0 {
                throw RuntimeError.libbpf("opening the tagger's \(name) map at \(pins.path(name))", returned: fd,
                                          hint: "Is \(interface) tagged by this version of dropledger? Untag and tag it again")
            }
            fds.append(fd)
        }
        var key: UInt32 = 0
        var record = tagger_attachment()
        let lookup = bpf_map_lookup_elem(fds[2], &key, &record)
        if lookup != 0 { throw RuntimeError.libbpf("reading where the tagger of \(interface) is attached", returned: lookup) }
        // The inode as the drop reader compares it (32 bits).
        if let netns, UInt32(truncatingIfNeeded: record.netns_inode) != netns { return nil }
        var info = bpf_map_info()
        var length = UInt32(MemoryLayout<bpf_map_info>.size)
        let err = bpf_obj_get_info_by_fd(fds[1], &info, &length)
        if err != 0 { throw RuntimeError.libbpf("identifying the tagger's traffic map of \(interface)", returned: err) }
        return (info.id, record.attached_ns, try TaggerTraffic.read(slotsFD: fds[0], trafficFD: fds[1]))
    }

    /// Interfaces dropledger has tagged on this host (from the pins), in name order.
    public static func taggedInterfaces() -> [String] {
        guard let dir = opendir(TaggerPins.root) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name.hasPrefix("tag-") { names.append(String(name.dropFirst(4))) }
        }
        return names.sorted()
    }

    /// Whether dropledger has pins for `interface` (tagged, or left behind).
    public static func isTagged(interface: String) -> Bool { TaggerPins(interface: interface).exists }

    public static func pinDirectory(interface: String) -> String { TaggerPins(interface: interface).directory }

    // MARK: - Steps

    static func ifindex(_ interface: String) throws -> Int32 {
        let index = if_nametoindex(interface)
        guard index != 0 else {
            throw RuntimeError("no network interface named '\(interface)' in this network namespace",
                               hint: "See `ip link`; inside a namespace run `nsenter --net=/run/netns/NAME dropledger ...`")
        }
        return Int32(index)
    }

    private static func attach(ifindex: Int32, interface: String, pins: TaggerPins, prefixes: [CustomerPrefix],
                               configuration: TaggerConfiguration) throws -> Outcome {
        let program = try TaggerProgram(configuration: configuration, reusing: nil)
        do {
            var key: UInt32 = 0
            var record = tagger_attachment(netns_inode: UInt64(try ProcFiles.netnsInode("/proc/thread-self/ns/net")),
                                           attached_ns: BootClock.nanoseconds(), ifindex: UInt32(ifindex), reserved: 0)
            let err = bpf_map_update_elem(try program.mapFD("attachment"), &key, &record, UInt64(BPF_ANY))
            if err != 0 { throw RuntimeError.libbpf("recording where the tagger is attached", returned: err) }
            _ = try PrefixMaps(program).sync(to: prefixes)
            try pins.create()
            try pins.pin(program.programFD, as: "program")
            for name in TaggerPins.mapNames { try pins.pin(program.mapFD(name), as: name) }

            var opts = bpf_link_create_opts()
            opts.sz = MemoryLayout<bpf_link_create_opts>.size
            opts.flags = configuration.mode.flags
            let linkFD = bpf_link_create(program.programFD, ifindex, BPF_XDP, &opts)
            if linkFD < 0 { throw explainAttachFailure(code: linkFD, interface: interface, mode: configuration.mode) }
            defer { close(linkFD) }  // once pinned, the pin holds the link; unpinned, closing detaches
            try pins.pin(linkFD, as: "link")
        } catch {
            pins.removeAll()
            throw error
        }
        return .attached(prefixes: prefixes.count)
    }

    private static func update(link: PinnedLink, pins: TaggerPins, prefixes: [CustomerPrefix],
                               configuration: TaggerConfiguration) throws -> Outcome {
        // A new program on the same maps first: if it fails to load, nothing has changed.
        let program = try TaggerProgram(configuration: configuration, reusing: pins)
        let changes = try PrefixMaps(program).sync(to: prefixes)
        // Load-time settings (--match, --customer-tlv-type) may differ: swap the program atomically, no detach.
        let err = bpf_link_update(link.fd, program.programFD, nil)
        if err != 0 { throw RuntimeError.libbpf("replacing the tagger program on the link", returned: err) }
        unlink(pins.path("program-new"))
        try pins.pin(program.programFD, as: "program-new")
        if rename(pins.path("program-new"), pins.path("program")) != 0 {
            throw RuntimeError("renaming the program pin in \(pins.directory)", errno: Errno(rawValue: Glibc.errno))
        }
        return .updated(added: changes.added, changed: changes.changed, removed: changes.removed)
    }

    private static func explainAttachFailure(code: Int32, interface: String, mode: TaggerConfiguration.Mode) -> RuntimeError {
        let errno = Errno(rawValue: code < 0 ? -code : Glibc.errno)
        switch errno {
        case .notSupported, Errno(rawValue: 524):  // EOPNOTSUPP, ENOTSUPP (kernel-internal)
            return RuntimeError("attaching the tagger to \(interface) in \(mode.rawValue) XDP mode", errno: errno,
                                hint: mode == .native ? "The driver has no native XDP support; use --xdp-mode generic" : nil)
        case .resourceBusy, .fileExists:
            return RuntimeError("attaching the tagger to \(interface)", errno: errno,
                                hint: "Another XDP program is attached to it (in some mode); detach it first")
        case .notPermitted:
            return RuntimeError("attaching the tagger to \(interface)", errno: errno, hint: Privileges.hint)
        default:
            return RuntimeError("attaching the tagger to \(interface) in \(mode.rawValue) XDP mode", errno: errno)
        }
    }
}
