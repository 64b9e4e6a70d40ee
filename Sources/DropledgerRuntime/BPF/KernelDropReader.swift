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
    let possibleCPUs: Int
    /// Events per CPU ring (a power of two).
    let ringEvents: Int
    /// Every CPU's ring of `dl_event`, CPU after CPU (read-only here).
    let events: MappedArray
    /// One `dl_ring_cursor` per CPU: the program moves the heads, the consumer the tails.
    let cursors: MappedArray
    /// Per CPU, the small ring buffer whose records wake the consumer of that CPU's ring.
    let doorbellFDs: [Int32]
    let fallbackFD: Int32
    let fallbackReasonsFD: Int32
    let unrecordedFD: Int32
    /// Drops whose area an encapsulation overwrote (per-CPU, one entry).
    let overwrittenFD: Int32
    /// Fallback counts already folded into some exporter's counters (state directory only, else -1).
    let foldedFD: Int32
    /// The BPF ring buffer of sampled drops (`dl_sample` records), and the per-CPU count
    /// of samples it had no room for.
    let samplesFD: Int32
    let samplesLostFD: Int32
    /// Sampled drops per second per CPU the program was loaded with (0: none).
    public let samplesPerSecond: UInt32
    private let programFD: Int32
    private let linkFD: Int32
    public let state: StateDirectory?
    /// Whether the program was found attached in the state directory (a restart).
    public let resumed: Bool
    /// The version of the dropledger that made the state resumed from.
    public let stateMadeBy: String?
    /// Whether the loaded program reads the metadata with plain loads (`bpf_rdonly_cast`,
    /// Linux 6.17 on) rather than `bpf_probe_read_kernel`. False when reused from a state.
    public let directReads: Bool
    private var detached = false

    public init(configuration: DropReaderConfiguration, state: StateDirectory? = nil) throws {
        try KernelSupport.requireBTF()
        let cpus = libbpf_num_possible_cpus()
        guard cpus > 0 else { throw RuntimeError.libbpf("counting possible CPUs", returned: cpus) }
        possibleCPUs = Int(cpus)
        ringEvents = Int(configuration.ringEvents)
        // Every CPU's ring is one array map, indexed by a 32-bit key.
        guard UInt64(cpus) * UInt64(configuration.ringEvents) <= UInt64(UInt32.max) else {
            throw RuntimeError("--ring-size \(configuration.ringBufferSize) on \(cpus) CPUs is more events than one BPF array holds",
                               hint: "Use a smaller --ring-size")
        }
        self.state = state

        if let state, state.hasState {
            stateMadeBy = try state.checkFormat()
            let reused = try Self.reuse(state, configuration: configuration, cpus: Int(cpus))
            skeleton = nil
            events = reused.events!
            cursors = reused.cursors!
            doorbellFDs = reused.doorbells
            fallbackFD = reused.fallback
            fallbackReasonsFD = reused.fallbackReasons
            unrecordedFD = reused.unrecorded
            overwrittenFD = reused.overwritten
            foldedFD = reused.folded
            samplesFD = reused.samples
            samplesLostFD = reused.samplesLost
            samplesPerSecond = configuration.samplesPerSecond
            programFD = reused.program
            linkFD = reused.link
            ownedFDs = reused.all
            resumed = true
            directReads = false
            return
        }
        if let state, !state.entries().isEmpty {
            // Pins without a link: a start that died while pinning. Nothing counts into them.
            try state.removeAll(keepingDirectory: true)
        }

        // The doorbells come first: the outer map is created with one of them as its template.
        var doorbells: [Int32] = []
        for cpu in 0..<cpus {
            let fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "dl_doorbell", 0, 0, 4096, nil)
            if fd < 0 {
                for doorbell in doorbells { close(doorbell) }
                throw RuntimeError.libbpf("creating the doorbell of CPU \(cpu)", returned: fd,
                                          hint: Privileges.isRoot ? nil : Privileges.hint)
            }
            doorbells.append(fd)
        }
        var config = dl_reader_config(
            customer_tlv_type: configuration.customerTLVType,
            netns_filter: configuration.netnsInode,
            ring_shift: configuration.ringShift,
            wakeup_events: configuration.wakeupEvents,
            urgent_events: configuration.urgentEvents,
            cpu_count: UInt32(cpus),
            direct_reads: true,
            doorbell_template_fd: doorbells[0],
            sample_interval_ns: configuration.sampleIntervalNanoseconds,
            sample_key_interval_ns: configuration.sampleKeyIntervalNanoseconds,
            samples_ring_bytes: configuration.samplesRingBytes(cpus: Int(cpus)))
        let skeleton: OpaquePointer
        do {
            skeleton = try Self.load(&config)
        } catch {
            for fd in doorbells { close(fd) }
            throw error
        }
        directReads = config.direct_reads
        let object = dl_reader_object(skeleton)!
        var folded: Int32 = -1
        do {
            let outer = try Self.mapFD(object, "doorbells")
            for (cpu, fd) in doorbells.enumerated() {
                var key = UInt32(cpu), value = fd
                let err = bpf_map_update_elem(outer, &key, &value, UInt64(BPF_ANY))
                if err != 0 { throw RuntimeError.libbpf("installing the doorbell of CPU \(cpu)", returned: err) }
            }
            // Before pinning: a state in the directory must be one an exporter could use.
            events = try MappedArray(fd: try Self.mapFD(object, "events"),
                                     length: Int(cpus) * ringEvents * MemoryLayout<dl_event>.stride,
                                     writable: false, what: "the event rings")
            cursors = try MappedArray(fd: try Self.mapFD(object, "cursors"),
                                      length: Int(cpus) * MemoryLayout<dl_ring_cursor>.stride,
                                      writable: true, what: "the ring positions")
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
                    try state.pinFormat()
                    try state.pin(dl_reader_rodata_fd(skeleton), as: "config")
                    for name in ["fallback", "fallback_reasons", "unrecorded", "overwritten", "events", "cursors", "doorbells",
                                 "sampler", "samples", "samples_lost"] {
                        try state.pin(try Self.mapFD(object, name), as: name)
                    }
                    for (cpu, fd) in doorbells.enumerated() { try state.pin(fd, as: StateDirectory.doorbellName(cpu)) }
                    try state.pin(folded, as: "folded")
                    try state.pin(dl_reader_prog_fd(skeleton), as: "program")
                    try state.pin(dl_reader_link_fd(skeleton), as: "link")  // last: marks the state complete
                } catch {
                    _ = try? state.removeAll()
                    throw error
                }
            }
        } catch {
            for fd in doorbells { close(fd) }
            if folded >= 0 { close(folded) }
            dl_reader_destroy(skeleton)
            throw error
        }
        self.skeleton = skeleton
        doorbellFDs = doorbells
        fallbackFD = try Self.mapFD(object, "fallback")
        fallbackReasonsFD = try Self.mapFD(object, "fallback_reasons")
        unrecordedFD = try Self.mapFD(object, "unrecorded")
        overwrittenFD = try Self.mapFD(object, "overwritten")
        foldedFD = folded
        samplesFD = try Self.mapFD(object, "samples")
        samplesLostFD = try Self.mapFD(object, "samples_lost")
        samplesPerSecond = configuration.samplesPerSecond
        programFD = dl_reader_prog_fd(skeleton)
        linkFD = -1
        ownedFDs = doorbells + (folded >= 0 ? [folded] : [])
        resumed = false
        stateMadeBy = nil
    }

    /// Opens and loads the object, the direct-read variant first: kernels before 6.17
    /// refuse its casts, and then the copy variant is loaded instead (libbpf's log of the
    /// first attempt goes to the debug log only). `config.direct_reads` says which loaded.
    /// Only a refusal of the program falls back; any other failure (privileges, memory)
    /// is reported as it is.
    private static func load(_ config: inout dl_reader_config) throws -> OpaquePointer {
        while true {
            LibBPFLog.shared.clearRecent()
            guard let skeleton = dl_reader_open(&config) else {
                throw RuntimeError("opening the embedded BPF object", errno: Errno(rawValue: Glibc.errno))
            }
            let loaded = dl_reader_load(skeleton)
            if loaded == 0 { return skeleton }
            dl_reader_destroy(skeleton)
            guard config.direct_reads, Self.refusals.contains(-loaded) else {
                throw KernelSupport.explainLoadFailure(code: loaded)
            }
            config.direct_reads = false
        }
    }

    /// How a kernel refuses the direct variant: the verifier (EACCES, EINVAL), or libbpf
    /// finding no `bpf_rdonly_cast` kfunc in the kernel's BTF (ESRCH, before 6.2), or a
    /// kernel that does not support a kfunc call there (ENOTSUPP, 524).
    private static let refusals: Set<Int32> = [EACCES, EINVAL, ESRCH, 524]

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
        var events: MappedArray?, cursors: MappedArray?
        var doorbells: [Int32] = []
        var fallback: Int32 = -1, fallbackReasons: Int32 = -1, unrecorded: Int32 = -1, overwritten: Int32 = -1
        var folded: Int32 = -1, program: Int32 = -1, link: Int32 = -1
        var samples: Int32 = -1, samplesLost: Int32 = -1
        var all: [Int32] = []
    }

    private static func reuse(_ state: StateDirectory, configuration: DropReaderConfiguration, cpus: Int) throws -> Reused {
        var reused = Reused()
        func open(_ name: String) throws -> Int32 {
            let fd = try state.open(name)
            reused.all.append(fd)
            return fd
        }
        func entries(_ fd: Int32, _ name: String) throws -> UInt32 {
            var info = bpf_map_info()
            var length = UInt32(MemoryLayout<bpf_map_info>.size)
            guard bpf_obj_get_info_by_fd(fd, &info, &length) == 0 else {
                throw RuntimeError("reading the pinned \(name) in \(state.path)", errno: Errno(rawValue: errno))
            }
            return info.max_entries
        }
        do {
            reused.link = try open("link")
            reused.program = try open("program")
            let config = try open("config")
            let events = try open("events")
            let cursors = try open("cursors")
            let outer = try open("doorbells")
            reused.fallback = try open("fallback")
            reused.fallbackReasons = try open("fallback_reasons")
            reused.unrecorded = try open("unrecorded")
            reused.overwritten = try open("overwritten")
            reused.folded = try open("folded")
            _ = try open("sampler")
            reused.samples = try open("samples")
            reused.samplesLost = try open("samples_lost")

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
            let rings = try entries(cursors, "cursors")
            if rings != UInt32(cpus) {
                mismatches.append("\(rings) CPUs (now \(cpus))")
            }
            if stored.sample_interval_ns != configuration.sampleIntervalNanoseconds {
                let rate = stored.sample_interval_ns == 0 ? 0 : 1_000_000_000 / stored.sample_interval_ns
                mismatches.append("--samples.rate \(rate) (now \(configuration.samplesPerSecond))")
            }
            let storedSize = (UInt64(1) << stored.ring_shift) * UInt64(MemoryLayout<dl_event>.stride)
            if stored.ring_shift != configuration.ringShift || stored.wakeup_events != configuration.wakeupEvents
                || stored.urgent_events != configuration.urgentEvents {
                mismatches.append("--ring-size \(storedSize) (now \(configuration.ringBufferSize))")
            }
            if !mismatches.isEmpty {
                throw RuntimeError("the state in \(state.path) was made with " + mismatches.joined(separator: ", "),
                                   hint: "Start with the same options, or remove the state with `dropledger cleanup --state-dir \(state.path)` (the drops it holds are lost)")
            }
            for cpu in 0..<cpus {
                let doorbell = try open(StateDirectory.doorbellName(cpu))
                reused.doorbells.append(doorbell)
                var info = bpf_map_info()
                var length = UInt32(MemoryLayout<bpf_map_info>.size)
                var key = UInt32(cpu), innerID: UInt32 = 0
                guard bpf_obj_get_info_by_fd(doorbell, &info, &length) == 0,
                      bpf_map_lookup_elem(outer, &key, &innerID) == 0, innerID == info.id else {
                    throw RuntimeError("the pinned \(StateDirectory.doorbellName(cpu)) in \(state.path) is not the doorbell the program rings",
                                       hint: "Remove the state with `dropledger cleanup --state-dir \(state.path)`")
                }
            }
            guard try entries(events, "events") == UInt32(cpus) << stored.ring_shift else {
                throw RuntimeError("the pinned events in \(state.path) do not match its configuration",
                                   hint: "Remove the state with `dropledger cleanup --state-dir \(state.path)`")
            }
            reused.events = try MappedArray(fd: events, length: cpus * Int(configuration.ringEvents) * MemoryLayout<dl_event>.stride,
                                            writable: false, what: "the pinned event rings")
            reused.cursors = try MappedArray(fd: cursors, length: cpus * MemoryLayout<dl_ring_cursor>.stride,
                                             writable: true, what: "the pinned ring positions")
            return reused
        } catch {
            for fd in reused.all { close(fd) }
            throw error
        }
    }
}
