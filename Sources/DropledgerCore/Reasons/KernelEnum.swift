/// An enum as read from the running kernel's BTF, handed over as plain data by the runtime layer.
public struct KernelEnum: Hashable, Sendable {
    /// One enumerator, in declaration order.
    public struct Value: Hashable, Sendable {
        public var name: String
        public var value: Int64

        public init(name: String, value: Int64) {
            self.name = name
            self.value = value
        }
    }

    /// The enum's tag, e.g. `skb_drop_reason`.
    public var name: String
    public var values: [Value]

    public init(name: String, values: [Value]) {
        self.name = name
        self.values = values
    }

    public init(name: String, values: [(name: String, value: Int64)]) {
        self.init(name: name, values: values.map { Value(name: $0.name, value: $0.value) })
    }
}
