/// Kernel text symbols from `/proc/kallsyms`, to name the function at a drop location
/// (e.g. `__udp4_lib_rcv`). Without root the kernel shows every address as 0, and
/// the table is empty.
public struct KernelSymbols: Sendable {
    private var addresses: [UInt64] = []
    private var names: [String] = []

    public var count: Int { addresses.count }

    /// `kallsyms`: lines of `ADDRESS TYPE NAME [MODULE]`.
    public init(kallsyms text: String) {
        var entries: [(UInt64, String)] = []
        for line in text.utf8.split(separator: 0x0a) {
            let fields = line.split(separator: 0x20, maxSplits: 3)
            guard fields.count >= 3, fields[1].count == 1,
                  let type = fields[1].first, [0x74, 0x54, 0x77, 0x57].contains(type),  // t T w W: code
                  let address = UInt64(Substring(fields[0]), radix: 16), address != 0 else { continue }
            let name = String(Substring(fields[2])).split(separator: "\t").first.map(String.init) ?? ""
            entries.append((address, name))
        }
        entries.sort { $0.0 < $1.0 }
        addresses = entries.map(\.0)
        names = entries.map(\.1)
    }

    /// The function whose code contains `address`: the last symbol at or below it.
    public func function(containing address: UInt64) -> String? {
        var low = 0, high = addresses.count
        while low < high {
            let mid = (low + high) / 2
            if addresses[mid] <= address { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : names[low - 1]
    }
}
