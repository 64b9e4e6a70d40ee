/// Renders metric families in the Prometheus text exposition format, version 0.0.4.
///
/// Hand-written on purpose: we render an immutable snapshot of exact UInt64 counters,
/// sorted, at 100k series within 50 ms, straight into bytes. swift-prometheus keeps
/// live, mutable instruments instead, which fits neither the snapshot model nor exact
/// integer counters.
///
/// Output is deterministic: families by name, samples by `LabelValueOrder`. Samples that
/// arrive already in order (as `DropMetrics` builds them) are only checked, not re-sorted.
public enum PrometheusText {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ families: [MetricFamily]) -> [UInt8] {
        var output: [UInt8] = []
        // A close estimate avoids regrowing (and copying) a 15 MB buffer.
        output.reserveCapacity(families.reduce(0) { $0 + 256 + $1.samples.count * ($1.name.utf8.count + 72) })
        render(families, into: &output)
        return output
    }

    public static func render(_ families: [MetricFamily], into output: inout [UInt8]) {
        let sortedFamilies = isSorted(families, by: { $0.name < $1.name }) ? families : families.sorted { $0.name < $1.name }
        for family in sortedFamilies {
            renderHeader(family, into: &output)
            let familyStart = output.count
            // Render optimistically, checking the order as we go; re-render sorted if it was not.
            var previous: MetricSample?
            var inOrder = true
            for sample in family.samples {
                if let previous, LabelValueOrder.areInIncreasingOrder(sample, previous) {
                    inOrder = false
                    break
                }
                renderSample(sample, name: family.name, into: &output)
                previous = sample
            }
            if !inOrder {
                output.removeSubrange(familyStart...)
                for sample in family.samples.sorted(by: LabelValueOrder.areInIncreasingOrder) {
                    renderSample(sample, name: family.name, into: &output)
                }
            }
        }
    }

    private static func renderHeader(_ family: MetricFamily, into output: inout [UInt8]) {
        let bound = 2 * family.name.utf8.count + 2 * family.help.utf8.count + 32
        write(into: &output, atMost: bound) { cursor in
            cursor.write("# HELP ")
            cursor.write(family.name)
            cursor.write(UInt8(ascii: " "))
            cursor.writeEscaped(family.help, escapingQuotes: false)
            cursor.write("\n# TYPE ")
            cursor.write(family.name)
            cursor.write(UInt8(ascii: " "))
            cursor.write(family.type.rawValue)
            cursor.write(UInt8(ascii: "\n"))
        }
    }

    private static func renderSample(_ sample: MetricSample, name: String, into output: inout [UInt8]) {
        // Name, braces, space, newline, and a value of at most 24 bytes; each label
        // `name="value",` with the value at most doubled by escaping.
        var bound = name.utf8.count + 32
        for label in sample.labels { bound += label.name.utf8.count + 2 * label.value.utf8.count + 4 }
        write(into: &output, atMost: bound) { cursor in
            cursor.write(name)
            if !sample.labels.isEmpty {
                cursor.write(UInt8(ascii: "{"))
                var first = true
                for label in sample.labels {
                    if !first { cursor.write(UInt8(ascii: ",")) }
                    first = false
                    cursor.write(label.name)
                    cursor.write(UInt8(ascii: "="))
                    cursor.write(UInt8(ascii: "\""))
                    cursor.writeEscaped(label.value, escapingQuotes: true)
                    cursor.write(UInt8(ascii: "\""))
                }
                cursor.write(UInt8(ascii: "}"))
            }
            cursor.write(UInt8(ascii: " "))
            switch sample.value {
            case .integer(let value): cursor.writeDecimal(value)
            case .double(let value): cursor.writeDouble(value)
            }
            cursor.write(UInt8(ascii: "\n"))
        }
    }

    /// Formats one line in scratch space (on the stack when small), then appends it
    /// with one copy; `output` grows geometrically.
    @inline(__always)
    private static func write(into output: inout [UInt8], atMost bound: Int, _ body: (inout ByteCursor) -> Void) {
        if output.capacity - output.count < bound {
            output.reserveCapacity(Swift.max(output.count + bound, output.capacity * 2))
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { scratch in
            var cursor = ByteCursor(scratch.baseAddress!)
            body(&cursor)
            precondition(cursor.position <= bound)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<cursor.position]))
        }
    }

    /// Exact decimal digits, without going through String.
    static func appendDecimal(_ value: UInt64, to output: inout [UInt8]) {
        write(into: &output, atMost: 20) { $0.writeDecimal(value) }
    }

    static func appendDouble(_ value: Double, to output: inout [UInt8]) {
        write(into: &output, atMost: 32) { $0.writeDouble(value) }
    }

    private static func isSorted<T>(_ items: [T], by areInIncreasingOrder: (T, T) -> Bool) -> Bool {
        var index = 1
        while index < items.count {
            if areInIncreasingOrder(items[index], items[index - 1]) { return false }
            index += 1
        }
        return true
    }
}
