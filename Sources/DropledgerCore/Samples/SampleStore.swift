import Synchronization

/// The most recent sampled drops per customer, in bounded memory for any number of
/// customers: `keep` samples for each of at most `customers` customers (those sampled
/// most recently; the others' samples are dropped), and the last `recent` samples of
/// all customers in arrival order, for clients that follow them (`dropledger watch`).
public final class SampleStore: Sendable {
    public let keep: Int
    public let customerLimit: Int
    public let recentLimit: Int

    private struct Ring {
        var items: [DropSample] = []
        var next = 0
        /// The sequence of its newest sample: which customers were sampled least recently.
        var newest: UInt64 = 0

        mutating func append(_ sample: DropSample, keep: Int) {
            if items.count < keep {
                items.append(sample)
            } else {
                items[next] = sample
                next = (next + 1) % keep
            }
            newest = sample.sequence
        }

        /// Oldest first.
        var ordered: [DropSample] { Array(items[next...] + items[..<next]) }
    }

    private struct State {
        var customers: [DropCustomer: Ring] = [:]
        var recent = Ring()
        var sequence: UInt64 = 0
        var forgottenCustomers: UInt64 = 0
    }

    private let state = Mutex(State())

    public init(keep: Int, customers: Int = 1_000, recent: Int = 4_096) {
        precondition(keep > 0 && customers > 0 && recent > 0)
        self.keep = keep
        customerLimit = customers
        recentLimit = recent
    }

    public func add(_ samples: [DropSample]) {
        guard !samples.isEmpty else { return }
        state.withLock { state in
            for var sample in samples {
                state.sequence += 1
                sample.sequence = state.sequence
                state.customers[sample.customer, default: Ring()].append(sample, keep: keep)
                state.recent.append(sample, keep: recentLimit)
            }
            // Over the limit by an eighth: forget the least recently sampled customers in
            // one pass, so a flood of new customers costs a sort per customerLimit / 8.
            if state.customers.count > customerLimit + max(1, customerLimit / 8) {
                let excess = state.customers.count - customerLimit
                let oldest = state.customers.sorted { $0.value.newest < $1.value.newest }.prefix(excess)
                for (customer, _) in oldest { state.customers[customer] = nil }
                state.forgottenCustomers += UInt64(excess)
            }
        }
    }

    /// A customer's kept samples, newest first, optionally of one reason; and the
    /// sequence of the newest sample of any customer (to follow with `recent(after:)`).
    public func samples(of customer: DropCustomer, reason: UInt32? = nil,
                        limit: Int = .max) -> (samples: [DropSample], last: UInt64) {
        let (kept, last) = state.withLock { ($0.customers[customer]?.ordered ?? [], $0.sequence) }
        return (Array(kept.reversed().lazy.filter { reason == nil || $0.reason == reason }.prefix(limit)), last)
    }

    /// Samples of every customer in arrival order (oldest first), from the last `recent`:
    /// those after `sequence`, or without one the newest `limit`. With them the sequence
    /// to ask after next, and how many samples after `sequence` are no longer kept (a
    /// client that fell behind by more than `recent` samples).
    public func recent(after sequence: UInt64?, customer: DropCustomer? = nil, reason: UInt32? = nil,
                       limit: Int = .max) -> (samples: [DropSample], last: UInt64, missed: UInt64) {
        let (all, last) = state.withLock { ($0.recent.ordered, $0.sequence) }
        let matching = all.lazy.filter { (customer == nil || $0.customer == customer) && (reason == nil || $0.reason == reason) }
        guard let sequence else { return (Array(matching.suffix(limit)), last, 0) }
        let oldest = all.first?.sequence ?? last + 1
        let missed = oldest > sequence + 1 ? min(oldest, last + 1) - sequence - 1 : 0
        let page = Array(matching.filter { $0.sequence > sequence }.prefix(limit))
        // A full page stops at its last sample; the client asks again from there.
        if page.count == limit, let end = page.last { return (page, end.sequence, missed) }
        return (page, max(last, sequence), missed)
    }

    public struct Statistics: Sendable, Equatable {
        /// Samples received since the start.
        public var received: UInt64
        /// Customers whose samples are kept now.
        public var customers: Int
        /// Customers whose samples were forgotten to bound memory.
        public var forgottenCustomers: UInt64
    }

    public var statistics: Statistics {
        state.withLock { Statistics(received: $0.sequence, customers: $0.customers.count, forgottenCustomers: $0.forgottenCustomers) }
    }
}
