import DropledgerCore
import Glibc
import Logging
import Synchronization

/// Reads every tagger's per-customer traffic counts in this exporter's view (the pins
/// under /sys/fs/bpf/dropledger/tag-*: `serve --tag` and `dropledger tag`; with
/// `--filter.netns`, those whose interface is in that namespace) into
/// `TaggedTraffic`: once at start (the baseline), then shortly after every second
/// boundary (so a second's traffic lands in that second's bucket, as drops do), and
/// at every scrape.
final class TrafficPoller: Sendable {
    let traffic: TaggedTraffic
    /// `--filter.netns`: only the taggers of interfaces in this namespace (nil: all).
    private let netns: UInt32?
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<pthread_t?>(nil)
    /// The last error reading each interface, so each is logged once.
    private let errors = Mutex<[String: String]>([:])
    /// One poll at a time (observations must arrive in the order they were read), and
    /// when the last one ran (Unix seconds).
    private let polling = Mutex<Double>(0)

    init(netns: UInt32?, logger: Logger) {
        traffic = TaggedTraffic(startedAt: BootClock.nanoseconds())
        self.netns = netns
        self.logger = logger
    }

    func start() throws {
        poll()
        let handle = try Threads.start { [self] in
            while !stopping.load(ordering: .relaxed) {
                // Sleep to 50 ms past the next second, in steps short enough to stop promptly.
                let now = WallClock.now()
                let target = (now + 1).rounded(.down) + 0.05
                while !stopping.load(ordering: .relaxed), WallClock.now() < target {
                    usleep(UInt32(max(1000, min(100_000, (target - WallClock.now()) * 1_000_000))))
                }
                if !stopping.load(ordering: .relaxed) { poll() }
            }
        }
        thread.withLock { $0 = handle }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        if let handle = thread.withLock({ $0.take() }) { pthread_join(handle, nil) }
    }

    /// Reads the taggers, unless a poll ran less than `maxAge` seconds ago (scrapes and
    /// API requests may come often; a read covers every slot on every CPU).
    func poll(maxAge: Double = 0) {
        polling.withLock { last in
            let now = WallClock.now()
            if maxAge > 0, now - last < maxAge { return }
            var counts: [TaggedTraffic.Source: [UInt64: TrafficCount]] = [:]
            var unreadable = Set<String>()
            for interface in Tagger.taggedInterfaces() {
                do {
                    if let (mapID, attachedAt, perCustomer) = try Tagger.traffic(interface: interface, netns: netns) {
                        counts[TaggedTraffic.Source(interface: interface, mapID: mapID, attachedAt: attachedAt)] = perCustomer
                    }
                    errors.withLock { $0[interface] = nil }
                } catch {
                    unreadable.insert(interface)
                    let text = "\(error)"
                    if errors.withLock({ $0.updateValue(text, forKey: interface) }) != text {
                        logger.warning("the tagged traffic of \(interface) is not counted (loss ratios of its customers are missing)",
                                       metadata: ["error": "\(text)"])
                    }
                }
            }
            // Traffic counted since the last poll, stamped in the middle of that interval: the
            // background poll runs just after a second ends, so its traffic lands in that second.
            traffic.observe(counts, unreadable: unreadable, at: last == 0 ? now : (last + now) / 2)
            last = now
        }
    }
}
