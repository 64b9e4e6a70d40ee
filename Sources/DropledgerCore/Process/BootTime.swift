/// The `btime` line of `/proc/stat`: boot time in seconds since the epoch.
public enum BootTime {
    public static func parse(procStat text: String) throws(ProcParseError) -> UInt64 {
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            let value = line.dropFirst("btime ".count).trimmingSpaces()
            guard let seconds = UInt64(value) else { throw .notANumber(field: "/proc/stat btime", text: String(value)) }
            return seconds
        }
        throw .missingBootTime
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while result.first == " " || result.first == "\t" { result = result.dropFirst() }
        while result.last == " " || result.last == "\t" { result = result.dropLast() }
        return result
    }
}
