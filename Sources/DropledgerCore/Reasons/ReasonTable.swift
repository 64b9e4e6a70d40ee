/// Kernel drop reason numbers → the names tracefs prints for `skb:kfree_skb`.
///
/// Built from the kernel's own enums at runtime, because the numbering changes
/// between kernel versions and subsystems register reasons of their own.
public struct ReasonTable: Sendable {
    /// `SKB_DROP_REASON_SUBSYS_SHIFT`: the high 16 bits of a reason name its subsystem.
    public static let subsystemShift = 16

    private var names: [UInt32: String] = [:]
    private var numbers: [String: UInt32] = [:]

    /// Reads `enum skb_drop_reason` first, then every other enum whose name ends in
    /// `drop_reason` in order of enum name, each in declaration order. When two names
    /// claim one number, the first one in that order keeps it, so the result does not
    /// depend on the order the runtime hands the enums over. When one name comes for a
    /// second number, that number is named `<NAME>_<number>` (see `insert`).
    public init(enums: [KernelEnum]) {
        for kernelEnum in enums where kernelEnum.name == "skb_drop_reason" {
            for value in kernelEnum.values {
                if let name = Self.coreReasonName(value.name) { insert(name, value.value) }
            }
        }
        let subsystemEnums = enums
            .filter { $0.name != "skb_drop_reason" && $0.name != "skb_drop_reason_subsys" && $0.name.hasSuffix("drop_reason") }
            .sorted { $0.name < $1.name }
        for kernelEnum in subsystemEnums {
            for value in kernelEnum.values where !value.name.hasSuffix("_MAX") && value.value >> Self.subsystemShift != 0 {
                // Zero subsystem bits: a helper constant of that enum, not a drop reason.
                insert(value.name, value.value)
            }
        }
    }

    /// How many reasons have names.
    public var count: Int { names.count }

    /// The tracefs name, or `UNKNOWN_<n>` (decimal) for a number this kernel does not name.
    public func name(for reason: UInt32) -> String {
        names[reason] ?? "UNKNOWN_" + String(reason)
    }

    /// The number of a reason name as printed by `name(for:)`, including `UNKNOWN_<n>`.
    public func reason(named name: String) -> UInt32? {
        if let number = numbers[name] { return number }
        if name.hasPrefix("UNKNOWN_") { return UInt32(name.dropFirst("UNKNOWN_".count)) }
        return nil
    }

    /// All named reasons, by number.
    public var reasons: [(reason: UInt32, name: String)] {
        names.sorted { $0.key < $1.key }.map { (reason: $0.key, name: $0.value) }
    }

    /// `SKB_DROP_REASON_X` → `X`; `SKB_NOT_DROPPED_YET`/`SKB_CONSUMED` → without `SKB_`;
    /// nil for `SKB_DROP_REASON_MAX` and `SKB_DROP_REASON_SUBSYS_*`, which are not reasons.
    private static func coreReasonName(_ enumerator: String) -> String? {
        if enumerator == "SKB_DROP_REASON_MAX" || enumerator.hasPrefix("SKB_DROP_REASON_SUBSYS_") { return nil }
        if enumerator.hasPrefix("SKB_DROP_REASON_") { return String(enumerator.dropFirst("SKB_DROP_REASON_".count)) }
        if enumerator.hasPrefix("SKB_") { return String(enumerator.dropFirst("SKB_".count)) }
        return enumerator
    }

    private mutating func insert(_ name: String, _ value: Int64) {
        guard let number = UInt32(exactly: value), names[number] == nil else { return }
        // One name, two numbers: the reason label is a series' identity, so two numbers
        // under one name would be two identical series, which Prometheus rejects (the
        // whole scrape). Summing them would hide which reason dropped, and would change
        // a series' meaning when a second number appears; the later number (in the
        // order above, fixed per kernel) gets its own name and the first keeps its series.
        var unique = name
        if numbers[name] != nil {
            unique = name + "_" + String(number)
            guard numbers[unique] == nil else { return }  // taken as well: UNKNOWN_<n>
        }
        names[number] = unique
        numbers[unique] = number
    }
}
