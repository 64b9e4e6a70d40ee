import CBPFPrograms
import CLibBPF
import DropledgerCore

/// Reads the kernel's fallback counts (per-CPU, cumulative) summed over CPUs.
enum FallbackMaps {
    static func read(_ reader: KernelDropReader) -> [DropKey: DropCount] {
        var result: [DropKey: DropCount] = [:]
        forEachEntry(fd: reader.fallbackFD, cpus: reader.possibleCPUs, keyType: dl_fallback_key.self) { key, count in
            let customer = DropCustomer(status: UInt8(truncatingIfNeeded: key.status), id: key.customer)
            result[DropKey(customer: customer, reason: key.reason), default: DropCount()] += count
        }
        // Drops that did not fit `fallback` either: only their reason is known.
        forEachEntry(fd: reader.fallbackReasonsFD, cpus: reader.possibleCPUs, keyType: UInt32.self) { reason, count in
            result[DropKey(customer: .other, reason: reason), default: DropCount()] += count
        }
        return result
    }

    /// The counts already folded (the `folded` pin of a state directory), keyed like
    /// `fallback` with the customer's kind in `status`: 0 ID, 1 none, 2 invalid, 3 other.
    static func readFolded(_ fd: Int32) -> [DropKey: DropCount] {
        var result: [DropKey: DropCount] = [:]
        guard fd >= 0 else { return result }
        var key = dl_fallback_key(), next = dl_fallback_key(), value = dl_count()
        var first = true
        while withUnsafeMutablePointer(to: &key, { k in bpf_map_get_next_key(fd, first ? nil : k, &next) }) == 0 {
            first = false
            if bpf_map_lookup_elem(fd, &next, &value) == 0 {
                let customer: DropCustomer
                switch next.status {
                case 0: customer = .id(next.customer)
                case 1: customer = .none
                case 2: customer = .invalid
                default: customer = .other
                }
                result[DropKey(customer: customer, reason: next.reason)] = DropCount(drops: value.drops, bytes: value.bytes)
            }
            key = next
        }
        return result
    }

    static func writeFolded(_ fd: Int32, _ key: DropKey, _ count: DropCount) {
        var raw = dl_fallback_key()
        switch key.customer {
        case .id(let id): raw.customer = id; raw.status = 0
        case .none: raw.status = 1
        case .invalid: raw.status = 2
        case .other: raw.status = 3
        }
        raw.reason = key.reason
        var value = dl_count(drops: count.drops, bytes: count.bytes)
        _ = bpf_map_update_elem(fd, &raw, &value, UInt64(BPF_ANY))
    }

    static func unrecorded(_ reader: KernelDropReader) -> UInt64 {
        var key: UInt32 = 0
        var values = [UInt64](repeating: 0, count: reader.possibleCPUs)
        guard bpf_map_lookup_elem(reader.unrecordedFD, &key, &values) == 0 else { return 0 }
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
