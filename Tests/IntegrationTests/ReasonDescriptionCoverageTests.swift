import Foundation
import DropledgerCore
import Testing

/// Every drop reason the running kernel declares has a one-line description
/// (ReasonDescriptions), so a kernel that adds or renames reasons is noticed here. Reads the
/// kernel's BTF the way a person would (bpftool), which any user may do, and names the
/// reasons as the exporter does (ReasonTable). Only the core `enum skb_drop_reason`: the
/// subsystems' own reasons (openvswitch, mac80211) are shown by name.
@Suite struct ReasonDescriptionCoverageTests {
    @Test func everyReasonOfTheRunningKernelHasADescription() throws {
        let header = try Command.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"])
        let dropReasons = try #require(Self.enumeration(named: "skb_drop_reason", in: header),
                                       "the kernel's BTF has no enum skb_drop_reason")
        let names = ReasonTable(enums: [dropReasons]).reasons.map(\.name)
        #expect(names.count > 60, "only \(names.count) reasons read from the BTF: \(names)")
        let missing = names.filter { ReasonDescriptions.description(of: $0) == nil }
        #expect(missing.isEmpty, """
            \(missing.count) of this kernel's \(names.count) drop reasons have no description in \
            ReasonDescriptions: \(missing.joined(separator: ", "))
            """)
    }

    /// `enum <name> { A = 0, B = 1, ... };` as bpftool's C dump prints it, one enumerator a line.
    static func enumeration(named name: String, in header: String) -> KernelEnum? {
        var values: [KernelEnum.Value] = []
        var inside = false
        for line in header.split(separator: "\n") {
            if !inside {
                inside = line == "enum \(name) {"
                continue
            }
            if line.hasPrefix("}") { return KernelEnum(name: name, values: values) }
            let parts = line.split(separator: "=").map { $0.trimmingCharacters(in: [" ", "\t", ","]) }
            guard parts.count == 2, let value = Int64(parts[1]) else { return nil }
            values.append(KernelEnum.Value(name: parts[0], value: value))
        }
        return nil
    }
}
