/// One `[T][L][V]` entry of the metadata area. `value.isEmpty` means a flag (L = 0).
public struct MetadataEntry: Hashable, Sendable {
    public var type: UInt8
    public var value: [UInt8]

    public init(type: UInt8, value: [UInt8] = []) {
        self.type = type
        self.value = value
    }
}
