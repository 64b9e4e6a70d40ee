import CBPFPrograms
import CLibBPF
import Glibc
import SystemPackage

/// The loaded and attached `tp_btf/kfree_skb` program with its per-CPU rings.
/// Everything it put in the kernel goes away when it is deinitialized (or the
/// process dies: nothing is pinned).
public final class KernelDropReader: @unchecked Sendable {
    private let skeleton: OpaquePointer
    private let object: OpaquePointer
    /// One ring per possible CPU, in CPU order.
    let ringFDs: [Int32]
    let possibleCPUs: Int
    private var detached = false

    public init(configuration: DropReaderConfiguration) throws {
        try KernelSupport.requireBTF()
        let cpus = libbpf_num_possible_cpus()
        guard cpus > 0 else { throw RuntimeError.libbpf("counting possible CPUs", returned: cpus) }
        possibleCPUs = Int(cpus)

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
        self.skeleton = skeleton
        object = dl_reader_object(skeleton)

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
        } catch {
            for fd in rings { close(fd) }
            dl_reader_destroy(skeleton)
            throw error
        }
        ringFDs = rings
    }

    deinit {
        dl_reader_destroy(skeleton)
        for fd in ringFDs { close(fd) }
    }

    /// Stops new events; the rings and maps stay readable for a final drain.
    public func detach() {
        guard !detached else { return }
        detached = true
        dl_reader_detach(skeleton)
    }

    var fallbackFD: Int32 { (try? Self.mapFD(object, "fallback")) ?? -1 }
    var fallbackReasonsFD: Int32 { (try? Self.mapFD(object, "fallback_reasons")) ?? -1 }
    var unrecordedFD: Int32 { (try? Self.mapFD(object, "unrecorded")) ?? -1 }

    /// The program's id, e.g. to check that it is gone after exit.
    public var programID: UInt32 {
        guard let prog = bpf_object__find_program_by_name(object, "on_kfree_skb") else { return 0 }
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        guard bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &length) == 0 else { return 0 }
        return info.id
    }

    /// Runs the kernel skipped because the tracepoint fired while the program was
    /// already running on that CPU (a drop inside a drop); those drops are not counted.
    public var recursionMisses: UInt64 {
        guard let prog = bpf_object__find_program_by_name(object, "on_kfree_skb") else { return 0 }
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        guard bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &length) == 0 else { return 0 }
        return info.recursion_misses
    }

    private static func mapFD(_ object: OpaquePointer, _ name: String) throws -> Int32 {
        guard let map = bpf_object__find_map_by_name(object, name) else {
            throw RuntimeError("finding map \(name) in the embedded BPF object")
        }
        return bpf_map__fd(map)
    }
}
