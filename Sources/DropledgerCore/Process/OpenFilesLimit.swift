/// The soft `Max open files` limit from `/proc/self/limits`.
public enum OpenFilesLimit {
    /// `unlimited` is reported as `UInt64.max`, as the Go client does.
    public static func parse(limits text: String) throws(ProcParseError) -> UInt64 {
        let prefix = "Max open files"
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            // Columns: Limit, Soft Limit, Hard Limit, Units.
            guard let soft = line.dropFirst(prefix.count).split(separator: " ").first else {
                throw .notANumber(field: "/proc/self/limits Max open files", text: "")
            }
            if soft == "unlimited" { return UInt64.max }
            guard let value = UInt64(soft) else {
                throw .notANumber(field: "/proc/self/limits Max open files", text: String(soft))
            }
            return value
        }
        throw .missingOpenFilesLimit
    }
}
