/// The scrape fast path: renders the drop families straight from the snapshot into one
/// exactly sized buffer, together with any other families, in name order.
///
/// Byte-for-byte the same as `PrometheusText.render(DropMetrics.families(...) + others)`
/// (a test checks this), but without building 200k `MetricSample`s: at 100k series that
/// model costs more than the rendering itself.
extension DropMetrics {
    public static func render(_ snapshot: LedgerSnapshot, reasons: ReasonTable, with otherFamilies: [MetricFamily] = []) -> [UInt8] {
        let series = orderedSeries(snapshot.counters, reasons: reasons)
        let seriesCount = series.keys.count

        // Headers and the small families go through the general renderer; the two
        // labelled families arrive here without samples.
        var families = families(LedgerSnapshot(events: snapshot.events, overflowEvents: snapshot.overflowEvents),
                                reasons: reasons) + otherFamilies
        families.sort { $0.name < $1.name }
        let headers = families.map { PrometheusText.render([$0]) }

        // Label texts escaped once per distinct value. Customers arrive grouped.
        let reasonLabels = series.reasonNames.map(escaped)
        var customerLabels: [[UInt8]] = []
        var customerIndex = [Int](repeating: 0, count: seriesCount)
        for i in 0 ..< seriesCount {
            if i == 0 || series.keys[i].customer != series.keys[i - 1].customer {
                customerLabels.append(escaped(series.keys[i].customer.label))
            }
            customerIndex[i] = customerLabels.count - 1
        }

        // Exact size: `<name>{customer="<c>",reason="<r>"} <value>\n` per series and family.
        let fixedPerLine = #"{customer="",reason=""} "#.utf8.count + 1
        var labelBytes = 0
        for i in 0 ..< seriesCount {
            labelBytes += customerLabels[customerIndex[i]].count + reasonLabels[series.reasonIndex[i]].count
        }
        var total = headers.reduce(0) { $0 + $1.count }
        for family in families where family.name == dropsName || family.name == droppedBytesName {
            total += seriesCount * (family.name.utf8.count + fixedPerLine) + labelBytes
            for count in series.counts {
                total += decimalLength(family.name == dropsName ? count.drops : count.bytes)
            }
        }

        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initializedCount in
            var cursor = ByteCursor(buffer.baseAddress!)
            for (family, header) in zip(families, headers) {
                header.withUnsafeBufferPointer { cursor.write($0) }
                guard family.name == dropsName || family.name == droppedBytesName else { continue }
                let countsDrops = family.name == dropsName
                for i in 0 ..< seriesCount {
                    cursor.write(family.name)
                    cursor.write(#"{customer=""#)
                    customerLabels[customerIndex[i]].withUnsafeBufferPointer { cursor.write($0) }
                    cursor.write(#"",reason=""#)
                    reasonLabels[series.reasonIndex[i]].withUnsafeBufferPointer { cursor.write($0) }
                    cursor.write(#""} "#)
                    cursor.writeDecimal(countsDrops ? series.counts[i].drops : series.counts[i].bytes)
                    cursor.write(UInt8(ascii: "\n"))
                }
            }
            precondition(cursor.position == total, "drop metrics size computed wrongly")
            initializedCount = cursor.position
        }
    }

    private static func escaped(_ labelValue: String) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 2 * labelValue.utf8.count) { buffer, count in
            var cursor = ByteCursor(buffer.baseAddress!)
            cursor.writeEscaped(labelValue, escapingQuotes: true)
            count = cursor.position
        }
    }

    private static func decimalLength(_ value: UInt64) -> Int {
        var length = 1
        var rest = value
        while rest >= 10 { rest /= 10; length += 1 }
        return length
    }
}
