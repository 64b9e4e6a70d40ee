import CBPFPrograms
import CLibBPF
import CLinux
import DropledgerCore
import Glibc
import Synchronization

/// Drains the per-CPU rings and feeds the ledger: one thread per CPU the process may
/// run on, pinned to that CPU, drains that CPU's ring. A CPU's ring fills only while
/// that CPU runs, so a thread that cannot run (its CPU busy with softirqs, or a virtual
/// CPU descheduled by the host) is never behind a ring that keeps filling: one thread
/// for all rings overflowed 1 MiB rings in such stalls (bench/RESULTS.md). The first
/// thread also drains the rings of CPUs the process may not run on, and folds in the
/// counts the kernel kept in its fallback maps when a ring was full.
public final class RingConsumer: @unchecked Sendable {
    private let reader: KernelDropReader
    private let ledger: DropLedger
    private let lanes: [Lane]
    /// How long a thread waits for a doorbell when drops are not coming fast enough to poll.
    private let idleWaitNanoseconds: UInt64
    /// Events that fill a quarter of one ring.
    private let quarterRingEvents: UInt64
    private let foldIntervalNanoseconds: UInt64
    private let running = Atomic<Bool>(true)
    private let unrecordedDrops = Atomic<UInt64>(0)
    private var threads: [pthread_t] = []

    /// What one thread drains and accumulates; touched by that thread only (after `init`).
    private final class Lane: @unchecked Sendable {
        /// The CPU the thread is pinned to.
        let cpu: Int
        /// The rings it drains: its CPU's, and for the first lane those without a lane.
        let rings: [Int]
        /// Waits on the rings' doorbells: the program rings one when its ring passes a quarter
        /// full, or three quarters while the lane polls.
        let doorbells: OpaquePointer
        /// What the drains count into, emptied into `batch` after every drain.
        let tally = DrainTally()
        var batch = DropBatch()
        /// Per ring in `rings`: how far the lane has read. The ring's tail, which hands the
        /// space back to the program, follows only once `batch` is in the ledger, so an
        /// exporter killed in between leaves those events to the next one (`--state-dir`)
        /// instead of losing them.
        var readTo: [UInt64]
        /// The first lane's only.
        var folder: FallbackFolder?
        /// Fallback counts folded into `batch`, to record in the `folded` pin once the
        /// batch is in the ledger (the same rule as the tails).
        var foldedPending: [DropKey: DropCount] = [:]
        /// Whether the lane told the program it drains on a timer.
        private var polling = false

        init(cpu: Int, rings: [Int], doorbells: OpaquePointer, folder: FallbackFolder?, cursors: MappedArray) {
            self.cpu = cpu
            self.rings = rings
            self.doorbells = doorbells
            self.folder = folder
            let base = cursors.base.assumingMemoryBound(to: dl_ring_cursor.self)
            readTo = rings.map { (base + $0).pointee.tail }
            // A pinned ring (--state-dir) may still say what the last exporter was doing.
            store(polling: false, cursors: cursors)
        }

        deinit { ring_buffer__free(doorbells) }

        /// Sleeps until a doorbell rings or `nanoseconds` pass, then empties the doorbells.
        func waitForDoorbell(nanoseconds: UInt64) {
            // ring_buffer__poll takes milliseconds; polling intervals are shorter.
            _ = dl_epoll_wait_ns(ring_buffer__epoll_fd(doorbells), nanoseconds)
            _ = ring_buffer__consume(doorbells)
        }

        func setPolling(_ polling: Bool, cursors: MappedArray) {
            guard polling != self.polling else { return }
            store(polling: polling, cursors: cursors)
        }

        private func store(polling: Bool, cursors: MappedArray) {
            self.polling = polling
            let base = cursors.base.assumingMemoryBound(to: dl_ring_cursor.self)
            for ring in rings { dl_cursor_store_polling(base + ring, polling) }
        }
    }

    public init(reader: KernelDropReader, ledger: DropLedger,
                drainInterval: Duration = .milliseconds(50), foldInterval: Duration = .seconds(1)) throws {
        self.reader = reader
        self.ledger = ledger
        quarterRingEvents = UInt64(reader.ringEvents / 4)
        idleWaitNanoseconds = UInt64(drainInterval.components.seconds) * 1_000_000_000
            + UInt64(drainInterval.components.attoseconds / 1_000_000_000)
        foldIntervalNanoseconds = UInt64(foldInterval.components.seconds) * 1_000_000_000
            + UInt64(foldInterval.components.attoseconds / 1_000_000_000)

        var allowed = [Int32](repeating: 0, count: reader.possibleCPUs)
        let count = dl_allowed_cpus(&allowed, Int32(allowed.count))
        guard count > 0 else {
            throw RuntimeError("reading the CPUs this process may run on", errno: .init(rawValue: Glibc.errno))
        }
        let cpus = allowed.prefix(Int(count)).map(Int.init)
        let orphans = (0..<reader.possibleCPUs).filter { !cpus.contains($0) }
        var lanes: [Lane] = []
        for (index, cpu) in cpus.enumerated() {
            let rings = index == 0 ? [cpu] + orphans : [cpu]
            // The doorbells' records only wake the thread; the rings hold the events.
            guard let doorbells = ring_buffer__new(reader.doorbellFDs[rings[0]], { _, _, _ in 0 }, nil, nil) else {
                throw RuntimeError("setting up the wakeups of CPU \(cpu)'s ring", errno: .init(rawValue: Glibc.errno))
            }
            for ring in rings.dropFirst() {
                let err = ring_buffer__add(doorbells, reader.doorbellFDs[ring], { _, _, _ in 0 }, nil)
                if err != 0 {
                    ring_buffer__free(doorbells)
                    throw RuntimeError.libbpf("setting up the wakeups of CPU \(ring)'s ring", returned: err)
                }
            }
            // A restart with a state directory: what earlier runs folded is not new.
            let folder = index == 0 ? FallbackFolder(baseline: FallbackMaps.readFolded(reader.foldedFD)) : nil
            lanes.append(Lane(cpu: cpu, rings: rings, doorbells: doorbells, folder: folder, cursors: reader.cursors))
        }
        self.lanes = lanes
    }

    deinit {
        stop()
    }

    /// Drops that fitted neither a ring nor a fallback map (kept in the kernel; should stay 0).
    public var unrecorded: UInt64 { unrecordedDrops.load(ordering: .relaxed) }

    public func start() throws {
        for lane in lanes {
            threads.append(try Threads.start { [self] in run(lane) })
        }
    }

    /// The consumer's threads while they run (for their scheduling priority).
    var runningThreads: [pthread_t] { threads }

    /// Detaches the program, drains what the rings and maps still hold, and waits
    /// for the threads: after this every drop the program saw is in the ledger.
    public func stop() {
        guard !threads.isEmpty else { return }
        reader.detach()
        running.store(false, ordering: .releasing)
        for thread in threads { pthread_join(thread, nil) }
        threads = []
    }

    private func run(_ lane: Lane) {
        // Fails only if the CPU went offline meanwhile; the thread then drains from anywhere.
        _ = dl_pin_current_thread(Int32(lane.cpu))
        let idleWait = idleWaitNanoseconds
        var lastFold = Self.now()
        var lastDrain = lastFold
        var wait = idleWait
        while running.load(ordering: .acquiring) {
            // Woken by the doorbell (a ring a quarter full, or three quarters while polling)
            // or by the timeout.
            lane.waitForDoorbell(nanoseconds: wait)
            let drained = drain(lane)
            lane.tally.flush(into: &lane.batch)
            let now = Self.now()
            // Interrupt mitigation, as NAPI does: while drops keep coming, drain on a timer
            // set to when a ring would be a quarter full at the rate just seen, and tell the
            // program not to ring for that (each doorbell costs the dropping CPU a self-IPI).
            // A rate that jumps still rings at three quarters.
            wait = Self.pollingInterval(events: drained, over: now &- lastDrain, quarterRing: quarterRingEvents,
                                        idle: idleWait)
            lane.setPolling(wait < idleWait, cursors: reader.cursors)
            lastDrain = now
            if lane.folder != nil && now &- lastFold >= foldIntervalNanoseconds {
                foldFallback(lane)
                lastFold = now
            }
            // The lock is busy (a scrape, or another lane merging): try again soon rather
            // than after a whole idle wait, so that counts do not lag behind the rings.
            if ledger.publish(&lane.batch, at: WallClock.now()) {
                release(lane)
            } else {
                wait = min(wait, Self.publishRetry)
            }
        }
        _ = ring_buffer__consume(lane.doorbells)
        drain(lane)
        lane.tally.flush(into: &lane.batch)
        if lane.folder != nil { foldFallback(lane) }
        ledger.flush(&lane.batch, at: WallClock.now())
        release(lane)
    }

    /// Once the lane's batch is in the ledger: hands the ring space it read back to the
    /// program, and records the fallback counts it folded. A kill before this loses
    /// nothing with `--state-dir` (the next exporter reads them again); one between the
    /// ledger and here may count a few events twice, if a scrape came in between.
    private func release(_ lane: Lane) {
        let cursors = reader.cursors.base.assumingMemoryBound(to: dl_ring_cursor.self)
        for (index, cpu) in lane.rings.enumerated() where (cursors + cpu).pointee.tail != lane.readTo[index] {
            dl_cursor_store_tail(cursors + cpu, lane.readTo[index])
        }
        if !lane.foldedPending.isEmpty {
            for (key, count) in lane.foldedPending { FallbackMaps.writeFolded(reader.foldedFD, key, count) }
            lane.foldedPending.removeAll(keepingCapacity: true)
        }
    }

    static let publishRetry: UInt64 = 200_000

    /// How long to wait for the next drain after `events` came in `elapsed` ns: until one
    /// ring would be a quarter full at that rate (as if all came from one CPU), at least
    /// 0.1 ms; `idle` when that is longer (the doorbell then wakes the thread in time).
    static func pollingInterval(events: UInt64, over elapsed: UInt64, quarterRing: UInt64, idle: UInt64) -> UInt64 {
        guard events > 0 else { return idle }
        let (product, overflow) = elapsed.multipliedReportingOverflow(by: quarterRing)
        if overflow { return idle }
        return min(max(product / events, 100_000), idle)
    }

    /// Counts every event the lane's rings hold beyond what it read into its tally,
    /// straight from the shared memory (no copy, no call per event). The space goes back
    /// to the program in `release`. Returns the events drained.
    @discardableResult
    private func drain(_ lane: Lane) -> UInt64 {
        let context = lane.tally.context
        let cursors = reader.cursors.base.assumingMemoryBound(to: dl_ring_cursor.self)
        let rings = UnsafePointer(reader.events.base.assumingMemoryBound(to: dl_event.self))
        let perRing = reader.ringEvents, mask = UInt64(perRing - 1)
        var drained: UInt64 = 0
        for (index, cpu) in lane.rings.enumerated() {
            let head = dl_cursor_load_head(cursors + cpu)
            var tail = lane.readTo[index]
            if tail == head { continue }
            drained &+= head &- tail
            let ring = rings + cpu * perRing
            while tail != head {
                let event = ring + Int(tail & mask)
                DrainTally.record(into: context, status: event.pointee.status, id: event.pointee.customer,
                                  reason: event.pointee.reason, location: event.pointee.location,
                                  ifindex: event.pointee.ifindex, netnsInode: event.pointee.netns,
                                  length: event.pointee.len)
                tail &+= 1
            }
            lane.readTo[index] = tail
        }
        return drained
    }

    private func foldFallback(_ lane: Lane) {
        guard var folder = lane.folder else { return }
        let cumulative = FallbackMaps.read(reader)
        let before = reader.foldedFD >= 0 ? folder.baseline : [:]
        for (key, count) in folder.deltas(from: cumulative) {
            lane.batch.recordOverflow(key, count)
        }
        lane.folder = folder
        if reader.foldedFD >= 0 {
            // Persisted once in the ledger (`release`), so the next run with this state does not recount it.
            for (key, count) in cumulative where before[key] != count { lane.foldedPending[key] = count }
        }
        unrecordedDrops.store(FallbackMaps.unrecorded(reader), ordering: .relaxed)
    }

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
