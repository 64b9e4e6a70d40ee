import CLibBPF
import DropledgerCore
import Glibc

/// Reads the drop-reason enums from the running kernel's BTF (vmlinux and modules),
/// so names match this kernel's numbering, which differs between versions.
public enum KernelDropReasons {
    public static func load() throws -> ReasonTable {
        try KernelSupport.requireBTF()
        guard let vmlinux = btf__load_vmlinux_btf() else {
            throw RuntimeError("reading the kernel's BTF", errno: .init(rawValue: Glibc.errno),
                               hint: Privileges.isRoot ? nil : Privileges.hint)
        }
        defer { btf__free(vmlinux) }
        var enums = dropReasonEnums(in: vmlinux, from: 1)
        guard enums.contains(where: { $0.name == "skb_drop_reason" }) else {
            throw RuntimeError("this kernel's BTF has no enum skb_drop_reason (no drop reasons)",
                               hint: "dropledger needs \(KernelSupport.minimum)")
        }
        // Subsystems such as openvswitch and mac80211 declare their reasons in modules.
        let baseCount = btf__type_cnt(vmlinux)
        for module in moduleBTFPaths() {
            guard let btf = btf__parse_split(module, vmlinux) else { continue }
            enums += dropReasonEnums(in: btf, from: baseCount)
            btf__free(btf)
        }
        return ReasonTable(enums: enums)
    }

    /// Enums whose name ends in `drop_reason` (what ReasonTable reads), with type ids from `first`.
    private static func dropReasonEnums(in btf: OpaquePointer, from first: UInt32) -> [KernelEnum] {
        var result: [KernelEnum] = []
        let count = btf__type_cnt(btf)
        var id = first
        while id < count {
            defer { id += 1 }
            guard let type = btf__type_by_id(btf, id), btf_is_any_enum(type),
                  let name = btf__name_by_offset(btf, type.pointee.name_off) else { continue }
            let enumName = String(cString: name)
            guard enumName.hasSuffix("drop_reason") else { continue }
            result.append(KernelEnum(name: enumName, values: enumerators(of: type, in: btf)))
        }
        return result
    }

    private static func enumerators(of type: UnsafePointer<btf_type>, in btf: OpaquePointer) -> [KernelEnum.Value] {
        let count = Int(btf_vlen(type))
        var values: [KernelEnum.Value] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            let nameOffset: UInt32
            let value: Int64
            if btf_is_enum(type) {
                let entry = btf_enum(type)![index]
                nameOffset = entry.name_off
                // 32-bit enumerators are stored signed; drop reasons are unsigned (SUBSYS_MASK is 0xffff0000).
                value = Int64(UInt32(bitPattern: entry.val))
            } else {
                let entry = btf_enum64(type)![index]
                nameOffset = entry.name_off
                value = Int64(bitPattern: UInt64(entry.val_hi32) << 32 | UInt64(entry.val_lo32))
            }
            guard let name = btf__name_by_offset(btf, nameOffset) else { continue }
            values.append(KernelEnum.Value(name: String(cString: name), value: value))
        }
        return values
    }

    private static func moduleBTFPaths() -> [String] {
        guard let dir = opendir("/sys/kernel/btf") else { return [] }
        defer { closedir(dir) }
        var paths: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." && name != "vmlinux" { paths.append("/sys/kernel/btf/" + name) }
        }
        return paths.sorted()
    }
}
