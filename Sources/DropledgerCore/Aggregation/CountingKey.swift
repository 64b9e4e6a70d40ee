/// A key of a `CountTable`: hashed with a per-process seed by a cheap mixer rather
/// than SipHash, because the table is updated once per drop event.
public protocol CountingKey: Hashable, Sendable {
    func countingHash(seed: UInt64) -> UInt64
}

/// Seeded per process from `Hasher`'s random seed, so keys chosen by a sender
/// (forged customer IDs) cannot be aimed at one probe chain.
@usableFromInline let countingSeed: UInt64 = {
    var hasher = Hasher()
    hasher.combine(0x64726f70 as UInt64)
    return UInt64(truncatingIfNeeded: hasher.finalize())
}()

/// MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
@inlinable
func mix64(_ value: UInt64) -> UInt64 {
    var h = value
    h ^= h >> 33
    h &*= 0xff51_afd7_ed55_8ccd
    h ^= h >> 33
    h &*= 0xc4ce_b9fe_1a85_ec53
    h ^= h >> 33
    return h
}

extension DropKey: CountingKey {
    @inlinable
    public func countingHash(seed: UInt64) -> UInt64 {
        let (status, id) = customer.encoded
        return mix64(mix64(id ^ seed) ^ (UInt64(reason) | UInt64(status) << 32))
    }
}
