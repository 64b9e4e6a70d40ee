/// Counts per drop site for one drain of the ring buffers: the consumer's per-event
/// path. `flush(into:)` moves the counts into a `DropBatch` after every drain, so the
/// batch and the ledger see the same per-site counts as if each event had gone through
/// `DropBatch.record`.
///
/// `DropBatch.record` (a generic `CountTable<DropSite>`: an enum customer compared field
/// by field, a slot array pointing into a key array, array uniqueness checks, a lazily
/// initialised seed) made the Swift consumer ~0.35x as fast as the C one in `make bench`.
/// This is the C consumer's table instead: the key packed into four machine words and
/// stored in the slot next to its counts, one unsafe buffer, reached from libbpf's
/// callback through a raw pointer (no reference counting, no closure, no copies of the
/// event). A class, not a value: one thread owns it (the ring consumer's) for as long as
/// the ring buffer that calls it exists; nothing copies it.
///
/// Keys are hashed with the per-process seed (see `countingSeed`), so customer IDs
/// chosen by a sender cannot be aimed at one probe chain.
public final class DrainTally {
    /// One site with its counts, the key packed into four words. `kindReason` is never
    /// 0 in a used slot (the kind is stored as 1...4), so 0 marks an empty slot.
    @usableFromInline
    struct Slot {
        /// Customer ID, 0 for the kinds without one.
        @usableFromInline var customer: UInt64
        @usableFromInline var location: UInt64
        /// `reason | kind << 32`, kind 1 ID, 2 none, 3 invalid, 4 other.
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
    /// reaches it through a raw pointer (libbpf's callback context), not through the class.
    @usableFromInline
    struct Table {
        @usableFromInline var slots: UnsafeMutablePointer<Slot>
        /// Slot count - 1 (the slot count is a power of two).
        @usableFromInline var mask: Int
        /// Used slots: distinct sites since the last flush.
        @usableFromInline var used: Int
        @usableFromInline var events: UInt64
        @usableFromInline let seed: UInt64
    }

    @usableFromInline let table: UnsafeMutablePointer<Table>
    private let minimumSlots: Int

    /// `minimumSlots` (rounded up to a power of two, at least 16): the smallest table,
    /// kept across flushes; it doubles when half full.
    public init(minimumSlots: Int = 4096) {
        var capacity = 16
        while capacity < minimumSlots { capacity *= 2 }
        self.minimumSlots = capacity
        table = .allocate(capacity: 1)
        table.initialize(to: Table(slots: Self.allocate(capacity), mask: capacity - 1, used: 0, events: 0,
                                   seed: countingSeed))
    }

    deinit {
        table.pointee.slots.deallocate()
        table.deinitialize(count: 1)
        table.deallocate()
    }

    /// The context for `record(into:...)`: valid while this tally exists, which its owner
    /// guarantees for as long as anything (a ring buffer callback) may use it.
    public var context: UnsafeMutableRawPointer { UnsafeMutableRawPointer(table) }

    /// Ring events recorded since the last flush.
    public var events: UInt64 { table.pointee.events }
    /// Distinct sites recorded since the last flush.
    public var count: Int { table.pointee.used }
    public var isEmpty: Bool { count == 0 && events == 0 }
    /// Slots currently allocated (a power of two).
    public var capacity: Int { table.pointee.mask + 1 }

    /// One ring event, as the BPF program wrote it: `status` is its `enum dl_status`
    /// (0 customer `id`, 1 none, anything else invalid; `id` is ignored unless 0).
    public func record(status: UInt8, id: UInt64, reason: UInt32, location: UInt64,
                       ifindex: UInt32, netnsInode: UInt32, length: UInt32) {
        Self.record(into: context, status: status, id: id, reason: reason, location: location,
                    ifindex: ifindex, netnsInode: netnsInode, length: length)
    }

    /// `record` for the ring buffer callback: `context` is a tally's `context`. No
    /// reference counting, no exclusivity or uniqueness checks: a few loads, a hash, a probe.
    @inlinable @inline(__always)
    public static func record(into context: UnsafeMutableRawPointer, status: UInt8, id: UInt64, reason: UInt32,
                              location: UInt64, ifindex: UInt32, netnsInode: UInt32, length: UInt32) {
        let table = context.assumingMemoryBound(to: Table.self)
        let customer = status == 0 ? id : 0
        let kindReason = UInt64(reason) | (UInt64(Swift.min(status, 2)) &+ 1) << 32
        add(table, customer: customer, location: location, kindReason: kindReason,
            device: UInt64(ifindex) | UInt64(netnsInode) << 32, drops: 1, bytes: UInt64(length))
        table.pointee.events &+= 1
    }

    /// Counts `count` at `site` (not an event: `events` is unchanged).
    public func add(_ site: DropSite, _ count: DropCount) {
        let key = Self.pack(site)
        Self.add(table, customer: key.customer, location: site.location, kindReason: key.kindReason,
                 device: key.device, drops: count.drops, bytes: count.bytes)
    }

    /// The counts of `site` since the last flush.
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

    /// Moves every count and the event tally into `batch` and empties this table.
    /// The table keeps its size unless it is far larger than this drain needed.
    public func flush(into batch: inout DropBatch) {
        let t = table.pointee
        if t.used > 0 {
            batch.sites.reserveCapacity(batch.sites.count + t.used)
            for index in 0 ... t.mask where t.slots[index].kindReason != 0 {
                let slot = t.slots[index]
                batch.sites.add(Self.site(slot), DropCount(drops: slot.drops, bytes: slot.bytes))
            }
        }
        batch.events &+= t.events
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
    }

    // MARK: Table

    @inlinable @inline(__always)
    static func add(_ table: UnsafeMutablePointer<Table>, customer: UInt64, location: UInt64, kindReason: UInt64,
                    device: UInt64, drops: UInt64, bytes: UInt64) {
        let slots = table.pointee.slots, mask = table.pointee.mask
        var index = Int(truncatingIfNeeded: hash(customer, location, kindReason, device, table.pointee.seed)) & mask
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
        let (customer, kind): (UInt64, UInt64) = switch site.customer {
        case .id(let id): (id, 1)
        case .none: (0, 2)
        case .invalid: (0, 3)
        case .other: (0, 4)
        }
        return (customer, UInt64(site.reason) | kind << 32, UInt64(site.ifindex) | UInt64(site.netnsInode) << 32)
    }

    private static func site(_ slot: Slot) -> DropSite {
        let customer: DropCustomer = switch slot.kindReason >> 32 {
        case 1: .id(slot.customer)
        case 2: .none
        case 3: .invalid
        default: .other
        }
        return DropSite(customer: customer, reason: UInt32(truncatingIfNeeded: slot.kindReason),
                        location: slot.location, ifindex: UInt32(truncatingIfNeeded: slot.device),
                        netnsInode: UInt32(truncatingIfNeeded: slot.device >> 32))
    }
}
