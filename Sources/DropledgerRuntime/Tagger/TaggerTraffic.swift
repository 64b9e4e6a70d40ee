import CBPFPrograms
import CLibBPF
import DropledgerCore
import Glibc

/// The tagger's per-customer traffic counts: `customer_slots` says whose each slot is,
/// the per-CPU `traffic` array counts it. Slots are given out from 0 upwards and never
/// freed while the tagger is attached (`PrefixMaps.assignSlots`), so the used ones are
/// a prefix of the array, read in chunks until the first unused slot.
enum TaggerTraffic {
    /// Slots read per batch syscall.
    private static let chunk = 1024

    /// The used slots and their customers.
    static func slotOwners(_ fd: Int32) throws -> [UInt32: UInt64] {
        var owners: [UInt32: UInt64] = [:]
        var start: UInt32 = 0
        while start < UInt32(TAGGER_MAX_CUSTOMERS) {
            let slots: [tagger_slot] = try lookupBatch(fd, from: start, count: chunk, valueSize: MemoryLayout<tagger_slot>.stride,
                                                       what: "the tagger's customer slots") { raw, n in
                (0 ..< n).map { raw.load(fromByteOffset: $0 * MemoryLayout<tagger_slot>.stride, as: tagger_slot.self) }
            }
            for (i, slot) in slots.enumerated() {
                guard slot.used != 0 else { return owners }
                owners[start + UInt32(i)] = slot.customer
            }
            if slots.count < chunk { break }
            start += UInt32(slots.count)
        }
        return owners
    }

    /// Tagged traffic per customer, summed over CPUs, from the pinned or loaded maps.
    static func read(slotsFD: Int32, trafficFD: Int32) throws -> [UInt64: TrafficCount] {
        let owners = try slotOwners(slotsFD)
        guard !owners.isEmpty else { return [:] }
        let cpus = Int(libbpf_num_possible_cpus())
        guard cpus > 0 else { throw RuntimeError.libbpf("counting possible CPUs", returned: Int32(cpus)) }
        let perSlot = cpus * MemoryLayout<tagger_traffic>.stride  // per-CPU values are 8-byte aligned
        var result: [UInt64: TrafficCount] = [:]
        var start: UInt32 = 0
        while start < UInt32(owners.count) {
            let counts: [TrafficCount] = try lookupBatch(trafficFD, from: start, count: min(chunk, owners.count - Int(start)),
                                                         valueSize: perSlot, what: "the tagger's traffic counts") { raw, n in
                (0 ..< n).map { slot in
                    var sum = TrafficCount()
                    for cpu in 0 ..< cpus {
                        let t = raw.load(fromByteOffset: slot * perSlot + cpu * MemoryLayout<tagger_traffic>.stride,
                                         as: tagger_traffic.self)
                        sum += TrafficCount(packets: t.packets, bytes: t.bytes)
                    }
                    return sum
                }
            }
            guard !counts.isEmpty else { break }
            for (i, count) in counts.enumerated() {
                if let customer = owners[start + UInt32(i)] { result[customer, default: TrafficCount()] += count }
            }
            start += UInt32(counts.count)
        }
        return result
    }

    /// Up to `count` values of an array map from key `from` on, in one
    /// BPF_MAP_LOOKUP_BATCH, decoded by `decode(buffer, returned)`.
    private static func lookupBatch<T>(_ fd: Int32, from start: UInt32, count: Int, valueSize: Int, what: String,
                                       decode: (UnsafeRawBufferPointer, Int) -> [T]) throws -> [T] {
        var keys = [UInt32](repeating: 0, count: count)
        var values = [UInt8](repeating: 0, count: count * valueSize)
        var returned = UInt32(count)
        var inBatch = start &- 1, outBatch: UInt32 = 0
        var opts = bpf_map_batch_opts()
        opts.sz = MemoryLayout<bpf_map_batch_opts>.size
        // The batch token is the last key read: the batch goes on after it; NULL starts at key 0.
        let err = keys.withUnsafeMutableBytes { k in
            values.withUnsafeMutableBytes { v in
                withUnsafeMutablePointer(to: &inBatch) { previous in
                    bpf_map_lookup_batch(fd, start == 0 ? nil : previous, &outBatch, k.baseAddress, v.baseAddress, &returned, &opts)
                }
            }
        }
        // ENOENT: the array ended within this batch; `returned` says how much arrived.
        if err != 0 && err != -ENOENT {
            throw RuntimeError.libbpf("reading \(what)", returned: err)
        }
        return values.withUnsafeBytes { decode($0, Int(returned)) }
    }
}
