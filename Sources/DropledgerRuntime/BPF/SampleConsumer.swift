import CBPFPrograms
import CLibBPF
import DropledgerCore
import Glibc
import Logging
import Synchronization
import SystemPackage

/// Reads the sampled drops the kernel program writes into its `samples` BPF ring
/// buffer (bpf/sampler.h), decodes them and keeps them in a `SampleStore`. One thread,
/// of normal priority: samples come at a bounded rate, and one the ring buffer has no
/// room for is counted (`lost`), never waited for.
public final class SampleConsumer: @unchecked Sendable {
    public let store: SampleStore
    private let work: Work
    private var thread: pthread_t?

    fileprivate final class Work: @unchecked Sendable {
        let reader: KernelDropReader
        let store: SampleStore
        let payload: Bool
        let running = Atomic<Bool>(true)
        /// Filled by the callback during one poll, handed to the store after it.
        var batch: [DropSample] = []
        /// CLOCK_REALTIME - CLOCK_BOOTTIME, refreshed before each poll's batch.
        var bootToUnix: Int64 = 0
        /// Records of a size this binary does not know (a pinned program of another version).
        var malformed: UInt64 = 0

        init(reader: KernelDropReader, store: SampleStore, payload: Bool) {
            self.reader = reader
            self.store = store
            self.payload = payload
        }

        func receive(_ data: UnsafeRawPointer, _ size: Int) {
            guard size >= MemoryLayout<dl_sample>.size else {
                malformed += 1
                return
            }
            let raw = data.loadUnaligned(as: dl_sample.self)
            let customer = DropCustomer(status: raw.status, id: raw.customer) ?? .invalid
            let captured = min(Int(raw.captured), Int(DL_SAMPLE_BYTES))
            let bytes = withUnsafeBytes(of: raw.bytes) { Array($0.prefix(captured)) }
            let link = raw.link == 0 ? nil : SampleLinkType(rawValue: raw.link)
            let vlanProto = UInt16(bigEndian: raw.vlan_proto)
            batch.append(DropSample(
                timeNanoseconds: UInt64(max(0, Int64(raw.time_ns) + bootToUnix)), customer: customer, reason: raw.reason,
                location: raw.location, device: DeviceID(ifindex: raw.ifindex, netnsInode: raw.netns),
                wireLength: raw.wire_len, segments: raw.segments, link: link, copied: bytes,
                vlan: vlanProto == 0 ? nil : (vlanProto, raw.vlan_tci), payload: payload))
        }
    }

    /// `payload`: keep the bytes after the headers too (`--samples.payload`).
    public init(reader: KernelDropReader, store: SampleStore, payload: Bool) {
        self.store = store
        work = Work(reader: reader, store: store, payload: payload)
    }

    public func start(logger: Logger) throws {
        let context = Unmanaged.passUnretained(work).toOpaque()
        // ring_buffer__new maps the ring buffer now, before privileges are dropped.
        guard let ring = ring_buffer__new(work.reader.samplesFD, { context, data, size in
            guard let context, let data else { return 0 }
            Unmanaged<Work>.fromOpaque(context).takeUnretainedValue().receive(UnsafeRawPointer(data), size)
            return 0
        }, context, nil) else {
            throw RuntimeError("opening the samples ring buffer", errno: Errno(rawValue: errno))
        }
        let work = self.work
        let ringAddress = UInt(bitPattern: ring)
        thread = try Threads.start {
            let ring = OpaquePointer(bitPattern: ringAddress)
            defer { ring_buffer__free(ring) }
            while work.running.load(ordering: .acquiring) {
                work.bootToUnix = Self.realtimeMinusBoottime()
                let polled = ring_buffer__poll(ring, 100)
                if polled < 0 && polled != -EINTR {
                    logger.error("reading the samples ring buffer failed; no more samples are kept",
                                 metadata: ["error": "\(String(cString: strerror(-polled)))"])
                    return
                }
                if !work.batch.isEmpty {
                    work.store.add(work.batch)
                    work.batch.removeAll(keepingCapacity: true)
                }
            }
        }
    }

    public func stop() {
        guard let thread else { return }
        work.running.store(false, ordering: .releasing)
        pthread_join(thread, nil)
        self.thread = nil
    }

    deinit { stop() }

    private static func realtimeMinusBoottime() -> Int64 {
        var real = timespec(), boot = timespec()
        clock_gettime(CLOCK_REALTIME, &real)
        clock_gettime(CLOCK_BOOTTIME, &boot)
        return (Int64(real.tv_sec) - Int64(boot.tv_sec)) * 1_000_000_000 + Int64(real.tv_nsec) - Int64(boot.tv_nsec)
    }
}
