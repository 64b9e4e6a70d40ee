import CBPFPrograms
import CLibBPF
import DropledgerCore
import Glibc
import Synchronization

/// Drains every CPU's ring on one thread and feeds the ledger. Also folds in the
/// counts the kernel kept in its fallback maps when a ring was full.
public final class RingConsumer: @unchecked Sendable {
    private let reader: KernelDropReader
    private let ledger: DropLedger
    private let drainIntervalMilliseconds: Int32
    /// Events (with their ring headers) that fill a quarter of one ring.
    private let quarterRingEvents: UInt64
    private let foldIntervalNanoseconds: UInt64
    private let ringBuffer: OpaquePointer
    private let state: ConsumerState
    private let running = Atomic<Bool>(true)
    private let unrecordedDrops = Atomic<UInt64>(0)
    private var thread: pthread_t?

    /// What the consumer thread accumulates; touched by that thread only.
    private final class ConsumerState {
        /// What the ring callback writes to, emptied into `batch` after every drain.
        let tally = DrainTally()
        var batch = DropBatch()
        var folder: FallbackFolder
        init(folder: FallbackFolder) { self.folder = folder }
    }

    public init(reader: KernelDropReader, ledger: DropLedger, ringBufferSize: UInt32 = 256 * 1024,
                drainInterval: Duration = .milliseconds(50), foldInterval: Duration = .seconds(1)) throws {
        self.reader = reader
        quarterRingEvents = UInt64(ringBufferSize) / 4 / UInt64(MemoryLayout<dl_event>.size + Int(BPF_RINGBUF_HDR_SZ))
        self.ledger = ledger
        drainIntervalMilliseconds = Int32(drainInterval.components.seconds * 1000
                                          + drainInterval.components.attoseconds / 1_000_000_000_000_000)
        foldIntervalNanoseconds = UInt64(foldInterval.components.seconds) * 1_000_000_000
            + UInt64(foldInterval.components.attoseconds / 1_000_000_000)
        // A restart with a state directory: what earlier runs folded is not new.
        state = ConsumerState(folder: FallbackFolder(baseline: FallbackMaps.readFolded(reader.foldedFD)))

        // `state` keeps the tally alive for as long as the ring buffer.
        let context = state.tally.context
        guard let first = reader.ringFDs.first,
              let ringBuffer = ring_buffer__new(first, RingConsumer.onSample, context, nil) else {
            throw RuntimeError("setting up the ring buffer consumer", errno: .init(rawValue: Glibc.errno))
        }
        self.ringBuffer = ringBuffer
        for fd in reader.ringFDs.dropFirst() {
            let err = ring_buffer__add(ringBuffer, fd, RingConsumer.onSample, context)
            if err != 0 {
                ring_buffer__free(ringBuffer)
                throw RuntimeError.libbpf("adding a ring to the consumer", returned: err)
            }
        }
    }

    deinit {
        stop()
        ring_buffer__free(ringBuffer)
    }

    /// Drops that fitted neither a ring nor a fallback map (kept in the kernel; should stay 0).
    public var unrecorded: UInt64 { unrecordedDrops.load(ordering: .relaxed) }

    public func start() throws {
        thread = try Threads.start { [self] in run() }
    }

    /// The consumer's thread while it runs (for its scheduling priority).
    var runningThread: pthread_t? { thread }

    /// Detaches the program, drains what the rings and maps still hold, and waits
    /// for the thread: after this every drop the program saw is in the ledger.
    public func stop() {
        guard let thread else { return }
        reader.detach()
        running.store(false, ordering: .releasing)
        pthread_join(thread, nil)
        self.thread = nil
    }

    private func run() {
        var lastFold = Self.now()
        var lastDrain = lastFold
        while running.load(ordering: .acquiring) {
            // Woken early by the kernel only when a ring passes its fill threshold.
            let polled = ring_buffer__poll(ringBuffer, drainIntervalMilliseconds)
            let consumed = ring_buffer__consume(ringBuffer)
            state.tally.flush(into: &state.batch)
            let now = Self.now()
            let pause = Self.pauseNanoseconds(events: UInt64(max(polled, 0)) + UInt64(max(consumed, 0)),
                                              over: now &- lastDrain, quarterRing: quarterRingEvents)
            lastDrain = now
            if now &- lastFold >= foldIntervalNanoseconds {
                foldFallback()
                lastFold = now
            }
            ledger.publish(&state.batch, at: WallClock.now())
            if pause > 0 {
                var interval = timespec(tv_sec: 0, tv_nsec: Int(pause))
                nanosleep(&interval, nil)
            }
        }
        _ = ring_buffer__consume(ringBuffer)
        state.tally.flush(into: &state.batch)
        foldFallback()
        ledger.flush(&state.batch, at: WallClock.now())
    }

    private func foldFallback() {
        let cumulative = FallbackMaps.read(reader)
        let before = reader.foldedFD >= 0 ? state.folder.baseline : [:]
        for (key, count) in state.folder.deltas(from: cumulative) {
            state.batch.recordOverflow(key, count)
        }
        if reader.foldedFD >= 0 {
            // Persist what is now folded, so the next run with this state does not recount it.
            for (key, count) in cumulative where before[key] != count {
                FallbackMaps.writeFolded(reader.foldedFD, key, count)
            }
        }
        unrecordedDrops.store(FallbackMaps.unrecorded(reader), ordering: .relaxed)
    }

    private static let onSample: ring_buffer_sample_fn = { context, data, size in
        guard let context, let data, size >= MemoryLayout<dl_event>.size else { return 0 }
        let event = data.loadUnaligned(as: dl_event.self)
        // Straight from the record into the tally's table, through its raw context: no
        // intermediate event or site values, no reference counting per event.
        DrainTally.record(into: context, status: event.status, id: event.customer, reason: event.reason,
                          location: event.location, ifindex: event.ifindex, netnsInode: event.netns, length: event.len)
        return 0
    }

    /// How long to wait before the next drain, after `events` came in `elapsed` ns.
    /// A ring's epoll readiness is level-triggered: during a storm the next poll returns
    /// at once, and the thread would drain a handful of events at a time at real-time
    /// priority. So it waits until, at the rate just seen, one ring would be a quarter
    /// full (as if every event came from one CPU), but at most 0.5 ms: scheduling
    /// delays on a busy machine come on top (longer pauses overflowed 256 KiB rings at
    /// 1.6M drops/s in `make bench`; shorter ones cost more CPU). None when idle.
    static func pauseNanoseconds(events: UInt64, over elapsed: UInt64, quarterRing: UInt64) -> UInt64 {
        guard events > 0 else { return 0 }
        let (product, overflow) = elapsed.multipliedReportingOverflow(by: quarterRing)
        return min(max(overflow ? maximumPause : product / events, 100_000), maximumPause)
    }

    static let maximumPause: UInt64 = 500_000

    private static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

extension DropCustomer {
    /// The BPF program's verdict (`enum dl_status`) as a customer.
    init(status: UInt8, id: UInt64) {
        switch UInt32(status) {
        case DL_STATUS_CUSTOMER.rawValue: self = .id(id)
        case DL_STATUS_NONE.rawValue: self = .none
        default: self = .invalid
        }
    }
}
