import CBPFPrograms
import CLibBPF
import DropledgerCore
import Glibc

/// The tagger's two LPM tries, brought to a wanted content in place: entries are
/// added and changed before stale ones are deleted, so a prefix that stays never
/// goes missing, and the attached program sees no gap.
///
/// Each customer gets a slot of the per-CPU `traffic` counts, recorded in
/// `customer_slots` before any prefix points at it. A slot is never given to another
/// customer while the maps live, so its counts belong to one customer and only grow.
struct PrefixMaps {
    let v4FD: Int32
    let v6FD: Int32
    let slotsFD: Int32

    init(_ program: TaggerProgram) throws {
        v4FD = try program.mapFD("prefixes_v4")
        v6FD = try program.mapFD("prefixes_v6")
        slotsFD = try program.mapFD("customer_slots")
    }

    struct Changes: Sendable, Hashable {
        var added = 0, changed = 0, removed = 0
    }

    func sync(to entries: [CustomerPrefix]) throws -> Changes {
        let slots = try assignSlots(Set(entries.map(\.customer)))
        var changes = Changes()
        for (family, fd) in [(IPPrefix.Family.ipv4, v4FD), (.ipv6, v6FD)] {
            let keySize = family == .ipv4 ? MemoryLayout<tagger_v4_key>.size : MemoryLayout<tagger_v6_key>.size
            var wanted: [[UInt8]: [UInt8]] = [:]
            for entry in entries where entry.prefix.family == family {
                wanted[Self.key(entry.prefix, size: keySize)] = Self.value(entry.customer, slot: slots[entry.customer]!)
            }
            guard wanted.count <= Int(TAGGER_MAX_PREFIXES) else {
                throw RuntimeError("\(wanted.count) \(family == .ipv4 ? "IPv4" : "IPv6") prefixes given; the tagger holds at most \(TAGGER_MAX_PREFIXES)")
            }
            let current = try Self.contents(fd, keySize: keySize)
            for (key, value) in wanted where current[key] != value {
                if current[key] == nil { changes.added += 1 } else { changes.changed += 1 }
                let err = key.withUnsafeBytes { k in value.withUnsafeBytes { v in
                    bpf_map_update_elem(fd, k.baseAddress, v.baseAddress, UInt64(BPF_ANY)) } }
                if err != 0 { throw RuntimeError.libbpf("writing a prefix into the tagger's map", returned: err) }
            }
            for key in current.keys where wanted[key] == nil {
                changes.removed += 1
                let err = key.withUnsafeBytes { bpf_map_delete_elem(fd, $0.baseAddress) }
                if err != 0 { throw RuntimeError.libbpf("deleting a prefix from the tagger's map", returned: err) }
            }
        }
        return changes
    }

    /// `{u32 prefixlen (host order); u8 addr[]}`, as struct tagger_v4_key / tagger_v6_key.
    static func key(_ prefix: IPPrefix, size: Int) -> [UInt8] {
        var bytes = withUnsafeBytes(of: UInt32(prefix.length)) { Array($0) } + prefix.address
        bytes += repeatElement(0, count: max(0, size - bytes.count))
        return bytes
    }

    /// struct tagger_value: the traffic slot (host order), the length, the minimal
    /// big-endian bytes zero-padded to 8, the ID's check for the tagger's seal, padding.
    static func value(_ customer: UInt64, slot: UInt32) -> [UInt8] {
        let be = MetadataTLV.customerValue(customer)
        var bytes = withUnsafeBytes(of: slot) { Array($0) }
        bytes += [UInt8(be.count)] + be + repeatElement(0, count: 8 - be.count) + TaggerSeal.checkBytes(customer)
        bytes += repeatElement(0, count: 3)
        precondition(bytes.count == MemoryLayout<tagger_value>.size, "struct tagger_value changed: update PrefixMaps.value")
        return bytes
    }

    /// The slot of each of `customers`: the one it had, or the first free one, recorded
    /// in `customer_slots` now (before any prefix can lead the program to it).
    func assignSlots(_ customers: Set<UInt64>) throws -> [UInt64: UInt32] {
        let owners = try TaggerTraffic.slotOwners(slotsFD)
        var slots: [UInt64: UInt32] = [:]
        for (slot, customer) in owners { slots[customer] = slot }
        var free = (0 ..< UInt32(TAGGER_MAX_CUSTOMERS)).lazy.filter { owners[$0] == nil }.makeIterator()
        for customer in customers.sorted() where slots[customer] == nil {
            guard let slot = free.next() else {
                throw RuntimeError("the tagger counts traffic for at most \(TAGGER_MAX_CUSTOMERS) customers per interface " +
                                   "since it was attached, and \(owners.count) have had prefixes",
                                   hint: "Run `dropledger untag` and tag again to start afresh (the traffic counts of removed customers go with it)")
            }
            var key = slot
            var owner = tagger_slot(customer: customer, used: 1, reserved: 0)
            let err = bpf_map_update_elem(slotsFD, &key, &owner, UInt64(BPF_ANY))
            if err != 0 { throw RuntimeError.libbpf("recording customer \(customer)'s traffic slot", returned: err) }
            slots[customer] = slot
        }
        return slots
    }

    static func contents(_ fd: Int32, keySize: Int) throws -> [[UInt8]: [UInt8]] {
        var result: [[UInt8]: [UInt8]] = [:]
        var key = [UInt8](repeating: 0, count: keySize)
        var next = [UInt8](repeating: 0, count: keySize)
        var value = [UInt8](repeating: 0, count: MemoryLayout<tagger_value>.size)
        var first = true
        while true {
            let err = next.withUnsafeMutableBytes { n in key.withUnsafeBytes { k in
                bpf_map_get_next_key(fd, first ? nil : k.baseAddress, n.baseAddress) } }
            if err != 0 {
                if Glibc.errno == ENOENT || err == -ENOENT { break }
                throw RuntimeError.libbpf("reading the tagger's prefixes", returned: err)
            }
            first = false
            key = next
            let found = key.withUnsafeBytes { k in value.withUnsafeMutableBytes { v in
                bpf_map_lookup_elem(fd, k.baseAddress, v.baseAddress) } }
            if found == 0 { result[key] = value }
        }
        return result
    }
}
