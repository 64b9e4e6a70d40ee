/// Bytes from the spec's notation: hex pairs separated by spaces, `..` for free space (0).
func hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { $0 == ".." ? 0 : UInt8($0, radix: 16)! }
}
