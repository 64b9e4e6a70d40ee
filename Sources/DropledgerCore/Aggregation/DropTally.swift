/// Counts per drop site between two publishes to the ledger: the one step from the
/// rings to the counters. A ring consumer thread records every event of its drains
/// here and hands the whole tally to `DropLedger.publish`, which adds it to the
/// totals and the per-customer detail and empties it (or, while a scrape holds the
/// ledger, leaves it to grow until the next attempt). Tools and tests record single
/// events the same way, and the fallback counts arrive as `recordOverflow`.
///
/// The table is the C consumer's (`make bench` compares them): each slot holds the
/// site's key packed into four machine words next to its counts, in one unsafe
/// buffer at a fixed address, which the consumer reaches through a raw pointer (no
/// reference counting, no closure, no copies of the event). A class, not a value: one
/// thread owns it at a time; nothing copies it.
///
/// Keys are hashed with the per-process seed (see `countingSeed`), so customer IDs
/// chosen by a sender cannot be aimed at one probe chain.
public final class DropTally {
    /// One site with its counts, the key packed into four words. `kindReason` is never
    /// 0 in a used slot (the kind is stored as its `enum dl_status` + 1), so 0 marks an
    /// empty slot.
    @usableFromInline
    struct Slot {
        /// Customer ID, 0 for the kinds without one.
        @usableFromInline var customer: UInt64
        @usableFromInline var location: UInt64
        /// `reason | (status + 1) << 32`, status as `DropCustomer.encoded`.
        @usableFromInline var kindReason: UInt64
        /// `ifindex | netnsInode << 32`.
        @usableFromInline var device: UInt64
        @usableFromInline var drops: UInt64
        @usableFromInline var bytes: UInt64

        @inlinable
        init(customer: UInt64, location: UInt64, kindReason: UInt64, device: UInt64, drops: UInt64, bytes: UInt64) {
            self.customer = customer
            self.location = location
            self.kindReason = kindReason
            self.device = device
            self.drops = drops
            self.bytes = bytes
        }

        static var empty: Slot { Slot(customer: 0, location: 0, kindReason: 0, device: 0, drops: 0, bytes: 0) }
    }

    /// The table itself, at a fixed address for the tally's lifetime: the per-event path
    /// reaches it through a raw pointer (`context`), not through the class.
    @usableFromInline
    struct Table {
        @usableFromInline var slots: UnsafeMutablePointer<Slot>
        /// Slot count - 1 (the slot count is a power of two).
        @usableFromInline var mask: Int
        /// Used slots: distinct sites since the tally was last emptied.
        @usableFromInline var used: Int
        @usableFromInline var events: UInt64
        @usableFromInline var overflowEvents: UInt64
        @usableFromInline let seed: UInt64
    }

    @usableFromInline let table: UnsafeMutablePointer<Table>
    private let minimumSlots: Int

    /// `minimumSlots` (rounded up to a power of two, at least 16): the smallest table,
    /// kept when the tally is emptied; it doubles when half full.
    public init(minimumSlots: Int = 4096) {
        var capacity = 16
        while capacity < minimumSlots { capacity *= 2 }
        self.minimumSlots = capacity
        table = .allocate(capacity: 1)
        table.initialize(to: Table(slots: Self.allocate(capacity), mask: capacity - 1, used: 0, events: 0,
                                   overflowEvents: 0, seed: countingSeed))
    }

    deinit {
        table.pointee.slots.deallocate()
        table.deinitialize(count: 1)
        table.deallocate()
    }

    /// The context for `record(into:...)`: valid while this tally exists, which its owner
    /// (the consumer thread reading the rings) guarantees while it records.
    public var context: UnsafeMutableRawPointer { UnsafeMutableRawPointer(table) }

    /// Ring events recorded since the tally was last emptied.
    public var events: UInt64 { table.pointee.events }
    /// Drops recorded through `recordOverflow` since then.
    public var overflowEvents: UInt64 { table.pointee.overflowEvents }
    /// Distinct sites recorded since then.
    public var count: Int { table.pointee.used }
    public var isEmpty: Bool { count == 0 && events == 0 && overflowEvents == 0 }
    /// Slots currently allocated (a power of two).
    public var capacity: Int { table.pointee.mask + 1 }

    /// One ring event, as the BPF program wrote it: `status` is its `enum dl_status`
    /// (`id` is read only with `DL_STATUS_CUSTOMER`; a value the program never writes
    /// counts as invalid).
    public func record(status: UInt8, id: UInt64, reason: UInt32, location: UInt64,
                       ifindex: UInt32, netnsInode: UInt32, length: UInt32, segments: UInt16 = 1) {
        Self.record(into: context, status: status, id: id, reason: reason, location: location,
                    ifindex: ifindex, netnsInode: netnsInode, length: length, segments: segments)
    }

    /// One event, decoded (tools and tests).
    public func record(_ event: DropEvent) {
        let (status, id) = event.customer.encoded
        Self.record(into: context, status: status, id: id, reason: event.reason, location: event.location,
                    ifindex: event.ifindex, netnsInode: event.netnsInode, length: event.length, segments: event.segments)
    }

    /// `record` for the consumer's drain loop: `context` is a tally's `context`. No
    /// reference counting, no exclusivity or uniqueness checks: a few loads, a hash, a probe.
    /// One event is `segments` drops: the packets a GRO/GSO aggregate held (0 reads as 1).
    @inlinable @inline(__always)
    public static func record(into context: UnsafeMutableRawPointer, status: UInt8, id: UInt64, reason: UInt32,
                              location: UInt64, ifindex: UInt32, netnsInode: UInt32, length: UInt32,
                              segments: UInt16 = 1) {
        // Invariant: `context` points at the live `Table` of a tally its caller owns.
        let table = context.assumingMemoryBound(to: Table.self)
        let known = status <= DropCustomer.invalidStatus
        let customer = status == DropCustomer.customerStatus ? id : 0
        let kindReason = UInt64(reason) | (UInt64(known ? status : DropCustomer.invalidStatus) &+ 1) << 32
        add(table, customer: customer, location: location, kindReason: kindReason,
            device: UInt64(ifindex) | UInt64(netnsInode) << 32, drops: UInt64(Swift.max(segments, 1)), bytes: UInt64(length))
        table.pointee.events &+= 1
    }

    /// Counts `count` at `site` (not an event: `events` is unchanged).
    public func add(_ site: DropSite, _ count: DropCount) {
        let key = Self.pack(site)
        Self.add(table, customer: key.customer, location: site.location, kindReason: key.kindReason,
                 device: key.device, drops: count.drops, bytes: count.bytes)
    }

    /// Drops that only reached user space as fallback-map deltas (see `FallbackFolder`):
    /// their location and device are unknown.
    public func recordOverflow(_ key: DropKey, _ count: DropCount) {
        add(DropSite(customer: key.customer, reason: key.reason), count)
        table.pointee.overflowEvents &+= count.drops
    }

    /// Every site with its counts, in no particular order.
    public func forEach(_ body: (DropSite, DropCount) throws -> Void) rethrows {
        let t = table.pointee
        guard t.used > 0 else { return }
        for index in 0 ... t.mask where t.slots[index].kindReason != 0 {
            let slot = t.slots[index]
            try body(Self.site(slot), DropCount(drops: slot.drops, bytes: slot.bytes))
        }
    }

    /// The counts per (customer, reason).
    public var counters: DropCounters {
        var counters = DropCounters()
        forEach { site, count in counters.add(site.key, count) }
        return counters
    }

    /// The counts of `site` since the tally was last emptied.
    public subscript(site: DropSite) -> DropCount? {
        let (customer, kindReason, device) = Self.pack(site)
        let t = table.pointee
        var index = Int(truncatingIfNeeded: Self.hash(customer, site.location, kindReason, device, t.seed)) & t.mask
        while true {
            let slot = t.slots[index]
            if slot.kindReason == 0 { return nil }
            if slot.kindReason == kindReason && slot.customer == customer
                && slot.location == site.location && slot.device == device {
                return DropCount(drops: slot.drops, bytes: slot.bytes)
            }
            index = (index &+ 1) & t.mask
        }
    }

    /// Empties the tally. The table keeps its size unless it is far larger than the
    /// last publish needed.
    public func removeAll() {
        let t = table.pointee
        let needed = Swift.max(minimumSlots, t.used * 4)
        if t.mask + 1 > needed * 4 {
            // A burst of distinct sites (forged customer IDs) is over: give the memory back.
            var smaller = minimumSlots
            while smaller < needed { smaller *= 2 }
            t.slots.deallocate()
            table.pointee.slots = Self.allocate(smaller)
            table.pointee.mask = smaller - 1
        } else if t.used > 0 {
            t.slots.update(repeating: .empty, count: t.mask + 1)
        }
        table.pointee.used = 0
        table.pointee.events = 0
        table.pointee.overflowEvents = 0
    }

    // MARK: Table

    @inlinable @inline(__always)
    static func add(_ table: UnsafeMutablePointer<Table>, customer: UInt64, location: UInt64, kindReason: UInt64,
                    device: UInt64, drops: UInt64, bytes: UInt64) {
        let slots = table.pointee.slots, mask = table.pointee.mask
        var index = Int(truncatingIfNeeded: hash(customer, location, kindReason, device, table.pointee.seed)) & mask
        // Invariant: `index` is masked to the slot count, and the table is at most half
        // full (`insert` grows it), so this pointer stays in bounds and the probe ends.
        while true {
            let slot = slots + index
            if slot.pointee.kindReason == kindReason && slot.pointee.customer == customer
                && slot.pointee.location == location && slot.pointee.device == device {
                slot.pointee.drops &+= drops
                slot.pointee.bytes &+= bytes
                return
            }
            if slot.pointee.kindReason == 0 {
                insert(table, Slot(customer: customer, location: location, kindReason: kindReason, device: device,
                                   drops: drops, bytes: bytes), at: index)
                return
            }
            index = (index &+ 1) & mask
        }
    }

    /// Two rounds of MurmurHash3's finalizer, as the C consumer's table: the first over
    /// the customer ID (the part a sender chooses) xor the seed, the second over that and
    /// the rest of the key (reason, kernel address, device: the kernel's, not the packet's).
    /// For one site, distinct customers never hash alike (each round is a bijection).
    @inlinable @inline(__always)
    static func hash(_ customer: UInt64, _ location: UInt64, _ kindReason: UInt64, _ device: UInt64,
                     _ seed: UInt64) -> UInt64 {
        mix64(mix64(customer ^ seed) ^ kindReason ^ (location &* 0x9e37_79b9_7f4a_7c15) ^ (device &* 0xc2b2_ae3d_27d4_eb4f))
    }

    @usableFromInline @inline(never)
    static func insert(_ table: UnsafeMutablePointer<Table>, _ slot: Slot, at index: Int) {
        table.pointee.slots[index] = slot
        table.pointee.used += 1
        // At most half full, so probe chains stay short.
        if table.pointee.used * 2 > table.pointee.mask + 1 { grow(table) }
    }

    private static func grow(_ table: UnsafeMutablePointer<Table>) {
        let old = table.pointee.slots, oldCapacity = table.pointee.mask + 1
        let slots = allocate(oldCapacity * 2), mask = oldCapacity * 2 - 1, seed = table.pointee.seed
        for i in 0 ..< oldCapacity where old[i].kindReason != 0 {
            let slot = old[i]
            var index = Int(truncatingIfNeeded: hash(slot.customer, slot.location, slot.kindReason, slot.device, seed)) & mask
            while slots[index].kindReason != 0 { index = (index &+ 1) & mask }
            slots[index] = slot
        }
        old.deallocate()
        table.pointee.slots = slots
        table.pointee.mask = mask
    }

    private static func allocate(_ capacity: Int) -> UnsafeMutablePointer<Slot> {
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: capacity)
        slots.initialize(repeating: .empty, count: capacity)
        return slots
    }

    /// A site's key words but its location (see `Slot`).
    private static func pack(_ site: DropSite) -> (customer: UInt64, kindReason: UInt64, device: UInt64) {
        let (status, id) = site.customer.encoded
        return (id, UInt64(site.reason) | (UInt64(status) + 1) << 32, UInt64(site.ifindex) | UInt64(site.netnsInode) << 32)
    }

    private static func site(_ slot: Slot) -> DropSite {
        // Only `pack` and `record` fill slots, with a known status + 1.
        let customer = DropCustomer(status: UInt8(truncatingIfNeeded: (slot.kindReason >> 32) - 1), id: slot.customer)!
        return DropSite(customer: customer, reason: UInt32(truncatingIfNeeded: slot.kindReason),
                        location: slot.location, ifindex: UInt32(truncatingIfNeeded: slot.device),
                        netnsInode: UInt32(truncatingIfNeeded: slot.device >> 32))
    }
}
