import ArgumentParser
import Glibc

enum DeviceAddress {
    /// The device's MAC: frames to another MAC are dropped early as OTHERHOST.
    static func mac(of interface: String) throws -> [UInt8] {
        guard let file = fopen("/sys/class/net/\(interface)/address", "r") else {
            throw ValidationError("cannot read the MAC address of \(interface)")
        }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, 64, file) != nil else { throw ValidationError("cannot read the MAC address of \(interface)") }
        let text = String(cString: line).trimmingCharacters()
        let bytes = text.split(separator: ":").compactMap { UInt8($0, radix: 16) }
        guard bytes.count == 6 else { throw ValidationError("unexpected MAC address \(text) of \(interface)") }
        return bytes
    }
}

private extension String {
    func trimmingCharacters() -> String { String(filter { !$0.isWhitespace }) }
}
