import Glibc
import Synchronization

/// Header values handed to C must outlive the response; the set in use is tiny
/// (a few content types), so each distinct value is copied once and kept.
enum StaticHeader {
    private static let table = Mutex<[String: UnsafePointer<CChar>]>([:])

    static func intern(_ value: String) -> UnsafePointer<CChar> {
        table.withLock { table in
            if let existing = table[value] { return existing }
            let copy = UnsafePointer(strdup(value)!)
            table[value] = copy
            return copy
        }
    }
}
