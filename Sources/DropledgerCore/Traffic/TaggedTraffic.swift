import Synchronization

/// The traffic dropledger's taggers tagged per customer since the exporter started,
/// summed over every tagger in its view, monotonic: what `drops / tagged` divides by.
///
/// The taggers' kernel counts are cumulative per attachment (an interface's `traffic`
/// map, named by its kernel map ID). Each observation adds what every attachment
/// counted since the previous one. An attachment the first observation finds was
/// tagging before the exporter started: what it counted until then is its baseline,
/// not added (the drops of that time were not counted either). One that appears later
/// was attached since, so all its counts are added. One that disappears (untagged)
/// keeps what it added.
public final class TaggedTraffic: Sendable {
    /// A tagger's counting map: the interface, and the map's kernel ID.
    public struct Source: Hashable, Sendable {
        public var interface: String
        public var mapID: UInt32

        public init(interface: String, mapID: UInt32) {
            self.interface = interface
            self.mapID = mapID
        }
    }

    /// Per customer: the total, and tagged packets per second over the last 10 s, 1 min, 5 min.
    public struct Customer: Sendable {
        public var total = TrafficCount()
        public var window = RateWindow()
    }

    private struct State {
        var observed = false
        var lastSeen: [Source: [UInt64: TrafficCount]] = [:]
        var customers: [UInt64: Customer] = [:]
        var exposition = TaggedTrafficExposition()
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds what `counts` (every source in view now, cumulative) holds beyond the last
    /// observation, as traffic of `time` (Unix seconds). Sources of `unreadable`
    /// interfaces (a failed read) keep their last counts, so none is added twice.
    public func observe(_ counts: [Source: [UInt64: TrafficCount]], unreadable: Set<String> = [], at time: Double) {
        state.withLock { state in
            let first = !state.observed
            state.observed = true
            for (source, perCustomer) in counts {
                let before = state.lastSeen[source] ?? [:]
                if !first {
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

    /// What `/metrics` serves: `named` customers (those `dropledger_drops_total` names)
    /// by ID, the rest summed into `other`; monotonic (see `TaggedTrafficExposition`).
    public func exposition(named: Set<UInt64>) -> [(customer: DropCustomer, count: TrafficCount)] {
        state.withLock { state in
            let totals = state.customers.mapValues(\.total)
            return state.exposition.series(for: totals, named: named)
        }
    }
}
