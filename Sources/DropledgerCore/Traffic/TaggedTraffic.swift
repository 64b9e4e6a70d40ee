import Synchronization

/// The traffic dropledger's taggers tagged per customer since the exporter started,
/// summed over every tagger in its view, monotonic: what `drops / tagged` divides by.
///
/// The taggers' kernel counts are cumulative per attachment (an interface's `traffic`
/// map, named by its kernel map ID). Each observation adds what every attachment
/// counted since the previous one. For an attachment made before the exporter
/// started, what it had counted when first seen is its baseline, not added (the drops
/// of that time were not counted either); one made since counts in full. One that
/// disappears (untagged) keeps what it added.
public final class TaggedTraffic: Sendable {
    /// A tagger's counting map: the interface, the map's kernel ID, and when the
    /// tagger was attached (CLOCK_BOOTTIME nanoseconds).
    public struct Source: Hashable, Sendable {
        public var interface: String
        public var mapID: UInt32
        public var attachedAt: UInt64

        public init(interface: String, mapID: UInt32, attachedAt: UInt64) {
            self.interface = interface
            self.mapID = mapID
            self.attachedAt = attachedAt
        }
    }

    /// Per customer: the total, and tagged packets per second over the last 10 s, 1 min, 5 min.
    public struct Customer: Sendable {
        public var total = TrafficCount()
        public var window = RateWindow()
    }

    private struct State {
        var lastSeen: [Source: [UInt64: TrafficCount]] = [:]
        var customers: [UInt64: Customer] = [:]
        var exposition = TaggedTrafficExposition()
    }

    private let state = Mutex(State())
    /// When the exporter started (CLOCK_BOOTTIME nanoseconds).
    private let startedAt: UInt64

    public init(startedAt: UInt64) {
        self.startedAt = startedAt
    }

    /// Adds what `counts` (every source in view now, cumulative) holds beyond the last
    /// observation, as traffic of `time` (Unix seconds). Sources of `unreadable`
    /// interfaces (a failed read) keep their last counts, so none is added twice.
    public func observe(_ counts: [Source: [UInt64: TrafficCount]], unreadable: Set<String> = [], at time: Double) {
        state.withLock { state in
            for (source, perCustomer) in counts {
                let seen = state.lastSeen[source]
                let before = seen ?? [:]
                if seen != nil || source.attachedAt >= startedAt {
                    for (customer, now) in perCustomer {
                        let was = before[customer] ?? TrafficCount()
                        // The kernel's counts only grow; a smaller one would be another map's.
                        let delta = now.packets >= was.packets && now.bytes >= was.bytes
                            ? TrafficCount(packets: now.packets - was.packets, bytes: now.bytes - was.bytes) : now
                        guard delta.packets != 0 || delta.bytes != 0 else { continue }
                        state.customers[customer, default: Customer()].total += delta
                        state.customers[customer, default: Customer()].window.add(delta.packets, at: time)
                    }
                }
                state.lastSeen[source] = perCustomer
            }
            for source in state.lastSeen.keys where counts[source] == nil && !unreadable.contains(source.interface) {
                state.lastSeen[source] = nil
            }
        }
    }

    /// One customer's tagged traffic, nil if none was tagged since the exporter started.
    public func customer(_ id: UInt64) -> Customer? {
        state.withLock { $0.customers[id] }
    }

    /// Every customer's totals.
    public func totals() -> [UInt64: TrafficCount] {
        state.withLock { $0.customers.mapValues(\.total) }
    }

    /// What `/metrics` serves, and the customers it names by ID: every customer
    /// `dropledger_drops_total` names (`named`), so that `drops / tagged` joins, and while
    /// fewer than `limit` are named, those with the most tagged packets among the others
    /// (customers that lose nothing); the rest summed into `other`. Monotonic (see
    /// `TaggedTrafficExposition`).
    public func exposition(named: Set<UInt64>, limit: Int) -> (series: [(customer: DropCustomer, count: TrafficCount)], named: Set<UInt64>) {
        state.withLock { state in
            let totals = state.customers.mapValues(\.total)
            var chosen = named
            if chosen.count < limit {
                let others = totals.filter { !named.contains($0.key) }
                    .sorted { ($0.value.packets, $1.key) > ($1.value.packets, $0.key) }
                chosen.formUnion(others.prefix(limit - chosen.count).map(\.key))
            }
            return (state.exposition.series(for: totals, named: chosen), chosen)
        }
    }
}
