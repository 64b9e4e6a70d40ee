/// Names people recognise for customer IDs, from `--customers FILE`: one `ID NAME`
/// per line (a decimal ID, whitespace, then the name: the rest of the line, trimmed,
/// spaces allowed), `#` starting a comment, blank lines ignored.
public struct CustomerNames: Sendable, Equatable {
    public private(set) var names: [UInt64: String]

    /// Longest name accepted, in characters: a label value, not a description.
    public static let maxNameLength = 128

    public init(_ names: [UInt64: String] = [:]) {
        self.names = names
    }

    public subscript(id: UInt64) -> String? { names[id] }

    public var count: Int { names.count }

    /// A line that is not `ID NAME`: `file:line: what is wrong`.
    public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
        public let file: String
        public let line: Int
        public let problem: String

        public var description: String { "\(file):\(line): \(problem)" }
    }

    /// Parses the whole file; the first bad line is the error (nothing is half-applied).
    public static func parse(_ text: String, file: String) throws(ParseError) -> CustomerNames {
        var names: [UInt64: String] = [:]
        var lines: [UInt64: Int] = [:]
        // isNewline: "\r\n" is one Character, so a file edited on Windows splits too.
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            func fail(_ problem: String) -> ParseError { ParseError(file: file, line: number, problem: problem) }
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            line = line.trimmingWhitespace()
            if line.isEmpty { continue }
            let idText = line.prefix { !$0.isWhitespace }
            let name = String(line.dropFirst(idText.count).trimmingWhitespace())
            guard idText.allSatisfy({ ("0"..."9").contains($0) }), let id = UInt64(idText) else {
                throw fail("'\(idText)' is not a customer ID (a decimal number from 0 to \(UInt64.max)); lines are 'ID NAME'")
            }
            guard !name.isEmpty else { throw fail("customer \(id) has no name; lines are 'ID NAME'") }
            guard name.count <= maxNameLength else {
                throw fail("the name of customer \(id) is \(name.count) characters long; at most \(maxNameLength)")
            }
            // What reading the file made of bytes that are not UTF-8.
            if name.contains("\u{FFFD}") { throw fail("the name of customer \(id) is not valid UTF-8") }
            if let bad = name.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
                throw fail("the name of customer \(id) holds the control character U+\(String(bad.value, radix: 16, uppercase: true))")
            }
            if let earlier = lines[id] { throw fail("customer \(id) is already named on line \(earlier)") }
            names[id] = name
            lines[id] = number
        }
        return CustomerNames(names)
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return self[first ... last]
    }
}
