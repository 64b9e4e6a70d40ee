/// Turns the kernel's cumulative fallback counts into increases since the last read.
///
/// When its CPU's ring is full, the BPF program still counts the drop in a per-CPU map
/// keyed by (customer, reason). User space reads the whole map (summed over CPUs)
/// now and then; only the increase since the previous read is new.
public struct FallbackFolder: Sendable {
    private var previous: [DropKey: DropCount] = [:]

    public init() {}

    /// Starts from counts an earlier run already folded (a restart with `--state-dir`):
    /// only increases beyond them are new.
    public init(baseline: [DropKey: DropCount]) {
        previous = baseline
    }

    /// The cumulative counts folded so far, by key.
    public var baseline: [DropKey: DropCount] { previous }

    /// Increases since the last call, non-zero ones only, in `DropKey` order.
    ///
    /// A key seen for the first time contributes its whole value. A value that went down
    /// (an entry deleted and recreated, or a map reset) becomes the new baseline with a
    /// delta of 0: we cannot know what was lost, and must not underflow. A key missing from
    /// `cumulative` keeps its baseline: the kernel never deletes entries, so a missing key
    /// only means a read that raced its insertion, and forgetting it would count it twice.
    public mutating func deltas(from cumulative: [DropKey: DropCount]) -> [(DropKey, DropCount)] {
        var result: [(DropKey, DropCount)] = []
        for (key, now) in cumulative {
            let before = previous[key] ?? DropCount()
            let delta = DropCount(
                drops: now.drops >= before.drops ? now.drops - before.drops : 0,
                bytes: now.bytes >= before.bytes ? now.bytes - before.bytes : 0)
            if delta.drops != 0 || delta.bytes != 0 { result.append((key, delta)) }
        }
        previous.merge(cumulative) { _, now in now }
        result.sort { $0.0 < $1.0 }
        return result
    }
}
