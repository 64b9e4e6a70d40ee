/// Drops per second of one customer over the last 10 s, 1 min and 5 min, from
/// fixed buckets (11 of one second, 31 of ten) instead of a history of events:
/// 168 bytes per customer, whatever its rate.
///
/// A window covers whole buckets that have ended, so a rate is exact for the
/// seconds it covers and does not jump with the current, partial second.
public struct RateWindow: Sendable {
    private var seconds = InlineArray<11, UInt32>(repeating: 0)
    private var latestSecond: Int64 = .min
    private var tens = InlineArray<31, UInt32>(repeating: 0)
    private var latestTen: Int64 = .min

    public init() {}

    /// Adds `drops` seen at `time` (Unix seconds). Times only move forward in practice;
    /// a late addition lands in its own bucket if that is still kept.
    public mutating func add(_ drops: UInt64, at time: Double) {
        let second = Int64(time.rounded(.down))
        Self.add(drops, at: second, to: &seconds, latest: &latestSecond)
        Self.add(drops, at: second.floorDivided(by: 10), to: &tens, latest: &latestTen)
    }

    /// Drops per second over the `window` seconds (10, 60 or 300) that ended before `now`.
    public func rate(over window: Int, at now: Double) -> Double {
        Double(count(over: window, at: now)) / Double(window <= 10 ? window : window / 10 * 10)
    }

    /// Drops in the `window` seconds (10, 60 or 300) that ended before `now`: whole
    /// seconds for 10 s, whole ten-second buckets beyond.
    public func count(over window: Int, at now: Double) -> UInt64 {
        let second = Int64(now.rounded(.down))
        if window <= 10 {
            return Self.sum(seconds, latest: latestSecond, from: second - Int64(window), to: second)
        }
        let ten = second.floorDivided(by: 10)
        return Self.sum(tens, latest: latestTen, from: ten - Int64(window / 10), to: ten)
    }

    private static func add<let n: Int>(_ drops: UInt64, at bucket: Int64, to ring: inout InlineArray<n, UInt32>, latest: inout Int64) {
        if bucket > latest {
            // Clear the buckets that passed without drops (at most the whole ring).
            let first = latest == .min ? bucket : max(latest + 1, bucket - Int64(n) + 1)
            var b = first
            while b <= bucket {
                ring[Int(b.floorModulo(Int64(n)))] = 0
                b += 1
            }
            latest = bucket
        } else if bucket <= latest - Int64(n) {
            return  // older than the ring keeps
        }
        let slot = Int(bucket.floorModulo(Int64(n)))
        ring[slot] = UInt32(clamping: UInt64(ring[slot]) + drops)
    }

    /// Sum of buckets in [from, to).
    private static func sum<let n: Int>(_ ring: InlineArray<n, UInt32>, latest: Int64, from: Int64, to: Int64) -> UInt64 {
        var total: UInt64 = 0
        var b = max(from, latest == .min ? to : latest - Int64(n) + 1)
        while b < to && b <= latest {
            total += UInt64(ring[Int(b.floorModulo(Int64(n)))])
            b += 1
        }
        return total
    }
}

extension Int64 {
    func floorDivided(by d: Int64) -> Int64 { self >= 0 ? self / d : -((-self + d - 1) / d) }
    func floorModulo(_ d: Int64) -> Int64 { let r = self % d; return r < 0 ? r + d : r }
}
