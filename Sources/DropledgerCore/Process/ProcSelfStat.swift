/// The fields of `/proc/self/stat` (proc(5)) that the process metrics need.
public struct ProcSelfStat: Hashable, Sendable {
    public var userTicks: UInt64
    public var systemTicks: UInt64
    /// Clock ticks after boot at which the process started.
    public var startTicks: UInt64
    public var virtualMemoryBytes: UInt64
    public var residentPages: UInt64

    public init(userTicks: UInt64, systemTicks: UInt64, startTicks: UInt64, virtualMemoryBytes: UInt64, residentPages: UInt64) {
        self.userTicks = userTicks
        self.systemTicks = systemTicks
        self.startTicks = startTicks
        self.virtualMemoryBytes = virtualMemoryBytes
        self.residentPages = residentPages
    }

    /// Parses `pid (comm) state ppid ...`. The command name may itself contain spaces and
    /// `)`, so the fields start after the LAST `)`.
    public static func parse(_ text: String) throws(ProcParseError) -> ProcSelfStat {
        guard let commandEnd = text.utf8.lastIndex(of: UInt8(ascii: ")")) else { throw .missingCommandEnd }
        // fields[0] is field 3 of proc(5) (state), so field n is fields[n - 3].
        let fields = text.utf8[text.utf8.index(after: commandEnd)...]
            .split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") })
        guard fields.count >= 22 else { throw .tooFewStatFields(found: fields.count) }

        func number(_ field: Int, _ name: String) throws(ProcParseError) -> UInt64 {
            let text = Substring(fields[field - 3])
            if let value = UInt64(text) { return value }
            // rss is a signed long; a negative value means nothing useful, report 0.
            if let signed = Int64(text) { return UInt64(max(0, signed)) }
            throw .notANumber(field: "/proc/self/stat " + name, text: String(text))
        }
        return ProcSelfStat(
            userTicks: try number(14, "utime"),
            systemTicks: try number(15, "stime"),
            startTicks: try number(22, "starttime"),
            virtualMemoryBytes: try number(23, "vsize"),
            residentPages: try number(24, "rss"))
    }
}
