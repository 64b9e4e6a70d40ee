import CBPFPrograms
import CLibBPF
import DropledgerCore

/// Reads the kernel's fallback counts (per-CPU, cumulative) summed over CPUs.
enum FallbackMaps {
    static func read(_ reader: KernelDropReader) -> [DropKey: DropCount] {
        var result: [DropKey: DropCount] = [:]
        forEachEntry(fd: reader.fallbackFD, cpus: reader.possibleCPUs, keyType: dl_fallback_key.self) { key, count in
            // The program writes only the statuses of packets; another would be a bug, counted as invalid.
            let customer = DropCustomer(status: UInt8(truncatingIfNeeded: key.status), id: key.customer) ?? .invalid
            result[DropKey(customer: customer, reason: key.reason), default: DropCount()] += count
        }
        // Drops that did not fit `fallback` either: their status and reason are known, a
        // customer's ID is not (summed into `other`; `none` and `invalid` stay themselves).
        forEachEntry(fd: reader.fallbackReasonsFD, cpus: reader.possibleCPUs, keyType: dl_fallback_key.self) { key, count in
            let status = UInt8(truncatingIfNeeded: key.status)
            let customer: DropCustomer = status == DropCustomer.customerStatus ? .other : DropCustomer(status: status, id: 0) ?? .invalid
            result[DropKey(customer: customer, reason: key.reason), default: DropCount()] += count
        }
        return result
    }

    /// The counts already folded (the `folded` pin of a state directory), keyed like
    /// `fallback`, `other` included (`DL_STATUS_OTHER`).
    static func readFolded(_ fd: Int32) -> [DropKey: DropCount] {
        var result: [DropKey: DropCount] = [:]
        guard fd >= 0 else { return result }
        var key = dl_fallback_key(), next = dl_fallback_key(), value = dl_count()
        var first = true
        while withUnsafeMutablePointer(to: &key, { k in bpf_map_get_next_key(fd, first ? nil : k, &next) }) == 0 {
            first = false
            if bpf_map_lookup_elem(fd, &next, &value) == 0,
               let customer = DropCustomer(status: UInt8(truncatingIfNeeded: next.status), id: next.customer) {
                result[DropKey(customer: customer, reason: next.reason)] = DropCount(drops: value.drops, bytes: value.bytes)
            }
            key = next
        }
        return result
    }

    static func writeFolded(_ fd: Int32, _ key: DropKey, _ count: DropCount) throws {
        let (status, id) = key.customer.encoded
        var raw = dl_fallback_key(customer: id, status: UInt32(status), reason: key.reason)
        var value = dl_count(drops: count.drops, bytes: count.bytes)
        let err = bpf_map_update_elem(fd, &raw, &value, UInt64(BPF_ANY))
        if err != 0 {
            throw RuntimeError.libbpf("recording the folded fallback count of \(key.customer)/\(key.reason) in the state's `folded` map",
                                      returned: err, hint: "The map holds 16384 (customer, reason) pairs")
        }
    }

    static func unrecorded(_ reader: KernelDropReader) -> UInt64 { counter(reader.unrecordedFD, cpus: reader.possibleCPUs) }

    static func overwritten(_ reader: KernelDropReader) -> UInt64 { counter(reader.overwrittenFD, cpus: reader.possibleCPUs) }

    static func samplesLost(_ reader: KernelDropReader) -> UInt64 { counter(reader.samplesLostFD, cpus: reader.possibleCPUs) }

    /// A per-CPU array's one counter, summed over CPUs.
    private static func counter(_ fd: Int32, cpus: Int) -> UInt64 {
        var key: UInt32 = 0
        var values = [UInt64](repeating: 0, count: cpus)
        guard bpf_map_lookup_elem(fd, &key, &values) == 0 else { return 0 }
        return values.reduce(0, &+)
    }

    /// Visits each key with its values summed over CPUs (per-CPU values are 8-byte aligned).
    private static func forEachEntry<Key>(fd: Int32, cpus: Int, keyType: Key.Type,
                                          _ visit: (Key, DropCount) -> Void) {
        guard fd >= 0 else { return }
        var values = [dl_count](repeating: dl_count(), count: cpus)
        let key = UnsafeMutablePointer<Key>.allocate(capacity: 1)
        let next = UnsafeMutablePointer<Key>.allocate(capacity: 1)
        defer { key.deallocate(); next.deallocate() }
        var previous: UnsafeMutablePointer<Key>? = nil
        while bpf_map_get_next_key(fd, previous, next) == 0 {
            if bpf_map_lookup_elem(fd, next, &values) == 0 {
                let sum = values.reduce(into: DropCount()) { $0 += DropCount(drops: $1.drops, bytes: $1.bytes) }
                visit(next.pointee, sum)
            }
            key.update(from: next, count: 1)
            previous = key
        }
    }
}
