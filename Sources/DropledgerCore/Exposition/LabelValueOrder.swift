/// The order of samples within a family: by label values, in label order, where each
/// pair of values compares as follows:
/// * decimal numbers (ASCII digits only) come before everything else and compare
///   numerically, so customer "2" < "10" (ties, e.g. "7" and "007", by the text);
/// * any other values compare by their UTF-8 bytes.
/// Putting all numbers first keeps the order transitive, and matches `DropCustomer`'s
/// order: IDs, then `invalid`, `none`, `other`.
public enum LabelValueOrder {
    public static func areInIncreasingOrder(_ lhs: MetricSample, _ rhs: MetricSample) -> Bool {
        let count = min(lhs.labels.count, rhs.labels.count)
        for i in 0 ..< count {
            let order = compare(lhs.labels[i].value, rhs.labels[i].value)
            if order != 0 { return order < 0 }
        }
        return lhs.labels.count < rhs.labels.count
    }

    /// Negative, zero or positive, like C's `strcmp`.
    public static func compare(_ lhs: String, _ rhs: String) -> Int {
        // Neighbouring samples mostly share their first label values (one String per customer).
        if lhs == rhs { return 0 }
        let order = lhs.utf8.withContiguousStorageIfAvailable { a in
            rhs.utf8.withContiguousStorageIfAvailable { b in compare(a, b) }
        }
        if let order = order ?? nil { return order }
        return Array(lhs.utf8).withUnsafeBufferPointer { a in
            Array(rhs.utf8).withUnsafeBufferPointer { b in compare(a, b) }
        }
    }

    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let aIsNumber = isDecimal(a), bIsNumber = isDecimal(b)
        if aIsNumber != bIsNumber { return aIsNumber ? -1 : 1 }
        if aIsNumber {
            let aDigits = UnsafeBufferPointer(rebasing: a[firstSignificantDigit(a)...])
            let bDigits = UnsafeBufferPointer(rebasing: b[firstSignificantDigit(b)...])
            // More significant digits is a larger number.
            if aDigits.count != bDigits.count { return aDigits.count < bDigits.count ? -1 : 1 }
            let order = compareBytes(aDigits, bDigits)
            if order != 0 { return order }
        }
        return compareBytes(a, b)
    }

    private static func isDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if bytes.isEmpty { return false }
        for byte in bytes where byte < UInt8(ascii: "0") || byte > UInt8(ascii: "9") { return false }
        return true
    }

    private static func firstSignificantDigit(_ digits: UnsafeBufferPointer<UInt8>) -> Int {
        var i = 0
        while i < digits.count - 1 && digits[i] == UInt8(ascii: "0") { i += 1 }
        return i
    }

    private static func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let count = min(a.count, b.count)
        for i in 0 ..< count where a[i] != b[i] {
            return a[i] < b[i] ? -1 : 1
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}
