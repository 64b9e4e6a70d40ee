/// Why a set of customer prefixes was refused, naming where the bad input came from
/// (`--prefix 'TEXT'` or `FILE:LINE`).
public struct PrefixTableError: Error, Hashable, Sendable, CustomStringConvertible {
    public let source: String
    public let problem: String

    public init(source: String, problem: String) {
        self.source = source
        self.problem = problem
    }

    public var description: String { "\(source): \(problem)" }
}
