import CBPFPrograms
import CLibBPF
import DropledgerCore
import Glibc
import SystemPackage

/// The loaded and attached `tp_btf/kfree_skb` program with its per-CPU rings.
///
/// Without a state directory everything it put in the kernel goes away when it is
/// deinitialized (or the process dies: nothing is pinned). With one (`--state-dir`)
/// the program, its link and its maps are pinned there and stay attached when the
/// process exits; the next reader with the same directory reuses them.
public final class KernelDropReader: @unchecked Sendable {
    /// nil when the program was reused from a state directory.
    private let skeleton: OpaquePointer?
    /// Descriptors this object owns besides the skeleton's.
    private let ownedFDs: [Int32]
    /// One ring per possible CPU, in CPU order.
    let ringFDs: [Int32]
    let possibleCPUs: Int
    let fallbackFD: Int32
    let fallbackReasonsFD: Int32
    let unrecordedFD: Int32
    /// Fallback counts already folded into some exporter's counters (state directory only, else -1).
    let foldedFD: Int32
    private let programFD: Int32
    private let linkFD: Int32
    public let state: StateDirectory?
    /// Whether the program was found attached in the state directory (a restart).
    public let resumed: Bool
    private var detached = false

    public init(configuration: DropReaderConfiguration, state: StateDirectory? = nil) throws {
        try KernelSupport.requireBTF()
        let cpus = libbpf_num_possible_cpus()
        guard cpus > 0 else { throw RuntimeError.libbpf("counting possible CPUs", returned: cpus) }
        possibleCPUs = Int(cpus)
        self.state = state

        if let state, state.hasState {
            let reused = try Self.reuse(state, configuration: configuration, cpus: Int(cpus))
            skeleton = nil
            ringFDs = reused.rings
            fallbackFD = reused.fallback
            fallbackReasonsFD = reused.fallbackReasons
            unrecordedFD = reused.unrecorded
            foldedFD = reused.folded
            programFD = reused.program
            linkFD = reused.link
            ownedFDs = reused.all
            resumed = true
            return
        }
        if let state, !state.entries().isEmpty {
            // Pins without a link: a start that died while pinning. Nothing counts into them.
            try state.removeAll()
        }

        // The rings come first: the outer map is created with one of them as its template.
        var rings: [Int32] = []
        for cpu in 0..<cpus {
            let fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "dl_ring", 0, 0, configuration.ringBufferSize, nil)
            if fd < 0 {
                for ring in rings { close(ring) }
                throw RuntimeError.libbpf("creating the ring buffer of CPU \(cpu)", returned: fd,
                                          hint: Privileges.isRoot ? nil : Privileges.hint)
            }
            rings.append(fd)
        }
        var config = dl_reader_config(
            customer_tlv_type: configuration.customerTLVType,
            netns_filter: configuration.netnsInode,
            wakeup_bytes: configuration.wakeupBytes,
            ring_count: UInt32(cpus),
            ring_template_fd: rings[0])
        LibBPFLog.shared.clearRecent()
        guard let skeleton = dl_reader_open(&config) else {
            let error = RuntimeError("opening the embedded BPF object", errno: Errno(rawValue: Glibc.errno))
            for ring in rings { close(ring) }
            throw error
        }
        let object = dl_reader_object(skeleton)!
        var folded: Int32 = -1
        do {
            let loaded = dl_reader_load(skeleton)
            if loaded != 0 { throw KernelSupport.explainLoadFailure(code: loaded) }
            let outer = try Self.mapFD(object, "rings")
            for (cpu, fd) in rings.enumerated() {
                var key = UInt32(cpu), value = fd
                let err = bpf_map_update_elem(outer, &key, &value, UInt64(BPF_ANY))
                if err != 0 { throw RuntimeError.libbpf("installing the ring buffer of CPU \(cpu)", returned: err) }
            }
            let attached = dl_reader_attach(skeleton)
            if attached != 0 {
                throw RuntimeError.libbpf("attaching to the skb:kfree_skb tracepoint", returned: attached,
                                          hint: Privileges.isRoot ? nil : Privileges.hint)
            }
            if let state {
                folded = bpf_map_create(BPF_MAP_TYPE_HASH, "dl_folded", UInt32(MemoryLayout<dl_fallback_key>.size),
                                        UInt32(MemoryLayout<dl_count>.size), 16 * 1024, nil)
                if folded < 0 { throw RuntimeError.libbpf("creating the folded-counts map", returned: folded) }
                do {
                    try state.create()
                    try state.pin(dl_reader_rodata_fd(skeleton), as: "config")
                    for name in ["fallback", "fallback_reasons", "unrecorded", "rings"] {
                        try state.pin(try Self.mapFD(object, name), as: name)
                    }
                    for (cpu, fd) in rings.enumerated() { try state.pin(fd, as: StateDirectory.ringName(cpu)) }
                    try state.pin(folded, as: "folded")
                    try state.pin(dl_reader_prog_fd(skeleton), as: "program")
                    try state.pin(dl_reader_link_fd(skeleton), as: "link")  // last: marks the state complete
                } catch {
                    _ = try? state.removeAll()
                    throw error
                }
            }
        } catch {
            for fd in rings { close(fd) }
            if folded >= 0 { close(folded) }
            dl_reader_destroy(skeleton)
            throw error
        }
        self.skeleton = skeleton
        ringFDs = rings
        fallbackFD = try Self.mapFD(object, "fallback")
        fallbackReasonsFD = try Self.mapFD(object, "fallback_reasons")
        unrecordedFD = try Self.mapFD(object, "unrecorded")
        foldedFD = folded
        programFD = dl_reader_prog_fd(skeleton)
        linkFD = -1
        ownedFDs = rings + (folded >= 0 ? [folded] : [])
        resumed = false
    }

    deinit {
        // With a state directory the pinned link keeps the program attached.
        if let skeleton { dl_reader_destroy(skeleton) }
        for fd in ownedFDs { close(fd) }
    }

    /// Stops new events; the rings and maps stay readable for a final drain. With a
    /// state directory it does nothing: the program keeps counting for the next run.
    public func detach() {
        guard !detached, state == nil else { return }
        detached = true
        if let skeleton { dl_reader_detach(skeleton) }
    }

    /// The program's id, e.g. to check that it is gone after exit.
    public var programID: UInt32 { programInfo()?.id ?? 0 }

    /// Runs the kernel skipped because the tracepoint fired while the program was
    /// already running on that CPU (a drop inside a drop); those drops are not counted.
    /// Since the program was loaded: with a state directory, since the state was made.
    public var recursionMisses: UInt64 { programInfo()?.recursion_misses ?? 0 }

    private func programInfo() -> bpf_prog_info? {
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        guard programFD >= 0, bpf_obj_get_info_by_fd(programFD, &info, &length) == 0 else { return nil }
        return info
    }

    private static func mapFD(_ object: OpaquePointer, _ name: String) throws -> Int32 {
        guard let map = bpf_object__find_map_by_name(object, name) else {
            throw RuntimeError("finding map \(name) in the embedded BPF object")
        }
        return bpf_map__fd(map)
    }

    // MARK: - Reusing a state directory

    private struct Reused {
        var rings: [Int32] = []
        var fallback: Int32 = -1, fallbackReasons: Int32 = -1, unrecorded: Int32 = -1
        var folded: Int32 = -1, program: Int32 = -1, link: Int32 = -1
        var all: [Int32] = []
    }

    private static func reuse(_ state: StateDirectory, configuration: DropReaderConfiguration, cpus: Int) throws -> Reused {
        var reused = Reused()
        func open(_ name: String) throws -> Int32 {
            let fd = try state.open(name)
            reused.all.append(fd)
            return fd
        }
        do {
            reused.link = try open("link")
            reused.program = try open("program")
            let config = try open("config")
            let outer = try open("rings")
            reused.fallback = try open("fallback")
            reused.fallbackReasons = try open("fallback_reasons")
            reused.unrecorded = try open("unrecorded")
            reused.folded = try open("folded")

            // The link still runs the pinned program.
            var link = bpf_link_info()
            var linkLength = UInt32(MemoryLayout<bpf_link_info>.size)
            var prog = bpf_prog_info()
            var progLength = UInt32(MemoryLayout<bpf_prog_info>.size)
            guard bpf_obj_get_info_by_fd(reused.link, &link, &linkLength) == 0,
                  bpf_obj_get_info_by_fd(reused.program, &prog, &progLength) == 0, link.prog_id == prog.id else {
                throw RuntimeError("the pinned link in \(state.path) does not run the pinned program",
                                   hint: "Remove the state with `dropledger cleanup --state-dir \(state.path)`")
            }

            // Same load-time configuration, same ring sizes, one ring per CPU.
            var stored = dl_reader_config()
            let read = dl_reader_read_config(config, &stored)
            if read != 0 { throw RuntimeError.libbpf("reading the pinned configuration in \(state.path)", returned: read) }
            var mismatches: [String] = []
            if stored.customer_tlv_type != configuration.customerTLVType {
                mismatches.append("--customer-tlv-type \(stored.customer_tlv_type) (now \(configuration.customerTLVType))")
            }
            if stored.netns_filter != configuration.netnsInode {
                mismatches.append("--filter.netns of inode \(stored.netns_filter) (now \(configuration.netnsInode))")
            }
            var outerInfo = bpf_map_info()
            var infoLength = UInt32(MemoryLayout<bpf_map_info>.size)
            guard bpf_obj_get_info_by_fd(outer, &outerInfo, &infoLength) == 0 else {
                throw RuntimeError("reading the pinned rings in \(state.path)", errno: Errno(rawValue: errno))
            }
            if outerInfo.max_entries != UInt32(cpus) {
                mismatches.append("\(outerInfo.max_entries) CPUs (now \(cpus))")
            }
            var ringSize: UInt32 = 0
            for cpu in 0..<min(cpus, Int(outerInfo.max_entries)) {
                let ring = try open(StateDirectory.ringName(cpu))
                reused.rings.append(ring)
                var info = bpf_map_info()
                var length = UInt32(MemoryLayout<bpf_map_info>.size)
                var key = UInt32(cpu), innerID: UInt32 = 0
                guard bpf_obj_get_info_by_fd(ring, &info, &length) == 0,
                      bpf_map_lookup_elem(outer, &key, &innerID) == 0, innerID == info.id else {
                    throw RuntimeError("the pinned \(StateDirectory.ringName(cpu)) in \(state.path) is not the ring the program writes",
                                       hint: "Remove the state with `dropledger cleanup --state-dir \(state.path)`")
                }
                ringSize = info.max_entries
            }
            if ringSize != configuration.ringBufferSize || stored.wakeup_bytes != configuration.wakeupBytes {
                mismatches.append("--ringbuf-size \(ringSize) (now \(configuration.ringBufferSize))")
            }
            if !mismatches.isEmpty {
                throw RuntimeError("the state in \(state.path) was made with " + mismatches.joined(separator: ", "),
                                   hint: "Start with the same options, or remove the state with `dropledger cleanup --state-dir \(state.path)` (the drops it holds are lost)")
            }
            return reused
        } catch {
            for fd in reused.all { close(fd) }
            throw error
        }
    }
}
