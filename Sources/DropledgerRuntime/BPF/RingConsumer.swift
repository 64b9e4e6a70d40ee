import CBPFPrograms
import CLibBPF
import CLinux
import DropledgerCore
import Glibc
import Logging
import Synchronization

/// Drains the per-CPU rings and feeds the ledger: one thread per CPU the process may
/// run on, pinned to that CPU, drains that CPU's ring. A CPU's ring fills only while
/// that CPU runs, so a thread that cannot run (its CPU busy with softirqs, or a virtual
/// CPU descheduled by the host) is never behind a ring that keeps filling: one thread
/// for all rings overflowed 1 MiB rings in such stalls (bench/RESULTS.md). The first
/// thread also drains the rings of CPUs the process may not run on.
///
/// One more thread, of normal priority, folds in every second the counts the kernel
/// kept in its fallback maps when a ring was full, and has the ledger do its
/// maintenance (the work that grows with the number of customers).
public final class RingConsumer: @unchecked Sendable {
    private let work: Work
    private var threads: [pthread_t] = []
    private var maintenanceThread: pthread_t?

    /// What the threads use. Separate from `RingConsumer`, so that the threads do not keep
    /// the consumer alive: its `deinit` stops them.
    fileprivate final class Work: @unchecked Sendable {
        let reader: KernelDropReader
        let ledger: DropLedger
        let logger: Logger
        let lanes: [Lane]
        /// How long a thread waits for a doorbell when drops are not coming fast enough to poll.
        let idleWaitNanoseconds: UInt64
        /// Events that fill a quarter of one ring.
        let quarterRingEvents: UInt64
        let foldIntervalNanoseconds: UInt64
        let running = Atomic<Bool>(true)
        let unrecordedDrops = Atomic<UInt64>(0)
        let overwrittenAreas = Atomic<UInt64>(0)
        /// The maintenance thread's (only its own).
        var folder: FallbackFolder

        init(reader: KernelDropReader, ledger: DropLedger, logger: Logger, lanes: [Lane], idleWaitNanoseconds: UInt64,
             foldIntervalNanoseconds: UInt64) {
            self.reader = reader
            self.ledger = ledger
            self.logger = logger
            self.lanes = lanes
            self.idleWaitNanoseconds = idleWaitNanoseconds
            quarterRingEvents = UInt64(reader.ringEvents / 4)
            self.foldIntervalNanoseconds = foldIntervalNanoseconds
            // A restart with a state directory: what earlier runs folded is not new.
            folder = FallbackFolder(baseline: FallbackMaps.readFolded(reader.foldedFD))
        }
    }

    /// What one thread drains and accumulates; touched by that thread only (after `init`).
    fileprivate final class Lane: @unchecked Sendable {
        /// The CPU the thread is pinned to.
        let cpu: Int
        /// The rings it drains: its CPU's, and for the first lane those without a lane.
        let rings: [Int]
        /// Waits on the rings' doorbells: the program rings one when its ring passes a quarter
        /// full, or three quarters while the lane polls.
        let doorbells: OpaquePointer
        /// What the drains count into, until the ledger takes it (`publish`).
        let tally = DropTally()
        /// Per ring in `rings`: how far the lane has read. The ring's tail, which hands the
        /// space back to the program, follows only once `tally` is in the ledger, so an
        /// exporter killed in between leaves those events to the next one (`--state-dir`)
        /// instead of losing them.
        var readTo: [UInt64]
        /// Whether the lane told the program it drains on a timer.
        private var polling = false

        init(cpu: Int, rings: [Int], doorbells: OpaquePointer, cursors: MappedArray) {
            self.cpu = cpu
            self.rings = rings
            self.doorbells = doorbells
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

    public init(reader: KernelDropReader, ledger: DropLedger, logger: Logger = Logger(label: "dropledger"),
                drainInterval: Duration = .milliseconds(50), foldInterval: Duration = .seconds(1)) throws {
        func nanoseconds(_ duration: Duration) -> UInt64 {
            UInt64(duration.components.seconds) * 1_000_000_000 + UInt64(duration.components.attoseconds / 1_000_000_000)
        }

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
            lanes.append(Lane(cpu: cpu, rings: rings, doorbells: doorbells, cursors: reader.cursors))
        }
        work = Work(reader: reader, ledger: ledger, logger: logger, lanes: lanes,
                    idleWaitNanoseconds: nanoseconds(drainInterval), foldIntervalNanoseconds: nanoseconds(foldInterval))
    }

    deinit {
        stop()
    }

    /// Drops that fitted neither a ring nor a fallback map (kept in the kernel; should stay 0).
    public var unrecorded: UInt64 { work.unrecordedDrops.load(ordering: .relaxed) }

    /// Drops whose metadata area an encapsulation overwrote (counted as invalid).
    public var overwritten: UInt64 { work.overwrittenAreas.load(ordering: .relaxed) }

    public func start() throws {
        let work = self.work
        do {
            for lane in work.lanes {
                threads.append(try Threads.start { work.run(lane) })
            }
            maintenanceThread = try Threads.start { work.maintain() }
        } catch {
            stop()
            throw error
        }
    }

    /// The threads draining the rings while they run (for their scheduling priority).
    var runningThreads: [pthread_t] { threads }

    /// Detaches the program, drains what the rings and maps still hold, and waits
    /// for the threads: after this every drop the program saw is in the ledger.
    public func stop() {
        guard !threads.isEmpty || maintenanceThread != nil else { return }
        work.reader.detach()
        work.running.store(false, ordering: .releasing)
        for thread in threads { pthread_join(thread, nil) }
        threads = []
        // Last, so that it folds what the rings could not hold until the very end.
        if let maintenanceThread { pthread_join(maintenanceThread, nil) }
        maintenanceThread = nil
    }
}

extension RingConsumer.Work {
    func run(_ lane: RingConsumer.Lane) {
        // Fails only if the CPU went offline meanwhile; the thread then drains from anywhere.
        _ = dl_pin_current_thread(Int32(lane.cpu))
        let idleWait = idleWaitNanoseconds
        var lastDrain = RingConsumer.now()
        var wait = idleWait
        while running.load(ordering: .acquiring) {
            // Woken by the doorbell (a ring a quarter full, or three quarters while polling)
            // or by the timeout.
            lane.waitForDoorbell(nanoseconds: wait)
            let drained = drain(lane)
            let now = RingConsumer.now()
            // Interrupt mitigation, as NAPI does: while drops keep coming, drain on a timer
            // set to when a ring would be a quarter full at the rate just seen, and tell the
            // program not to ring for that (each doorbell costs the dropping CPU a self-IPI).
            // A rate that jumps still rings at three quarters.
            wait = RingConsumer.pollingInterval(events: drained, over: now &- lastDrain, quarterRing: quarterRingEvents,
                                                idle: idleWait)
            lane.setPolling(wait < idleWait, cursors: reader.cursors)
            lastDrain = now
            // The lock is busy (a scrape, or another lane merging): try again soon rather
            // than after a whole idle wait, so that counts do not lag behind the rings.
            if ledger.publish(lane.tally, at: WallClock.now()) {
                release(lane)
            } else {
                wait = min(wait, RingConsumer.publishRetry)
            }
        }
        _ = ring_buffer__consume(lane.doorbells)
        drain(lane)
        ledger.flush(lane.tally, at: WallClock.now())
        release(lane)
    }

    /// Once the lane's tally is in the ledger: hands the ring space it read back to the
    /// program. A kill before this loses nothing with `--state-dir` (the next exporter
    /// reads those events again); one between the ledger and here may count a few events
    /// twice, if a scrape came in between.
    private func release(_ lane: RingConsumer.Lane) {
        let cursors = reader.cursors.base.assumingMemoryBound(to: dl_ring_cursor.self)
        for (index, cpu) in lane.rings.enumerated() where (cursors + cpu).pointee.tail != lane.readTo[index] {
            dl_cursor_store_tail(cursors + cpu, lane.readTo[index])
        }
    }

    /// The maintenance thread: the ledger's maintenance within 50 ms of it falling due
    /// (so a flood of new customers overshoots the bounds by little), the fallback counts
    /// every `foldIntervalNanoseconds`, and both once more when stopping (the program is
    /// detached by then).
    func maintain() {
        var slept: UInt64 = 0
        while running.load(ordering: .acquiring) {
            usleep(50_000)
            if ledger.needsMaintenance { ledger.maintain() }
            slept &+= 50_000_000
            if slept < foldIntervalNanoseconds { continue }
            slept = 0
            foldFallback()
        }
        foldFallback()
        ledger.maintain()
    }

    /// Counts every event the lane's rings hold beyond what it read into its tally,
    /// straight from the shared memory (no copy, no call per event). The space goes back
    /// to the program in `release`. Returns the events drained.
    @discardableResult
    private func drain(_ lane: RingConsumer.Lane) -> UInt64 {
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
                // Invariant: slots between the tail and the acquired head were published
                // by the program and are not rewritten until this lane releases them.
                let event = ring + Int(tail & mask)
                DropTally.record(into: context, status: event.pointee.status, id: event.pointee.customer,
                                  reason: event.pointee.reason, location: event.pointee.location,
                                  ifindex: event.pointee.ifindex, netnsInode: event.pointee.netns,
                                  length: event.pointee.len, segments: event.pointee.segments)
                tail &+= 1
            }
            lane.readTo[index] = tail
        }
        return drained
    }

    /// Adds what the fallback maps counted since the last call to the ledger, then
    /// records it as folded in the state directory (after, as `release` does for the rings).
    private func foldFallback() {
        let cumulative = FallbackMaps.read(reader)
        let before = folder.baseline
        let overflow = DropTally(minimumSlots: 16)
        for (key, count) in folder.deltas(from: cumulative) { overflow.recordOverflow(key, count) }
        // This thread is not real-time: it may wait for a scrape to let go of the ledger.
        ledger.flush(overflow, at: WallClock.now())
        if reader.foldedFD >= 0 {
            for (key, count) in cumulative where before[key] != count {
                do {
                    try FallbackMaps.writeFolded(reader.foldedFD, key, count)
                } catch {
                    logger.error("\(error)", metadata: ["consequence": "a restart with this --state-dir counts these drops again"])
                }
            }
        }
        unrecordedDrops.store(FallbackMaps.unrecorded(reader), ordering: .relaxed)
        overwrittenAreas.store(FallbackMaps.overwritten(reader), ordering: .relaxed)
    }
}

extension RingConsumer {
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

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

