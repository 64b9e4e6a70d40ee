/// The scrape fast path: renders the drop families straight from the snapshot,
/// together with any other families, in name order.
///
/// Byte-for-byte the same as `PrometheusText.render(DropMetrics.families(...) + others)`
/// (a test checks this), but without building 200k `MetricSample`s: at 100k series that
/// model costs more than the rendering itself.
extension DropMetrics {
    /// The exposition in one exactly sized buffer.
    public static func render(_ snapshot: LedgerSnapshot, reasons: ReasonTable, with otherFamilies: [MetricFamily] = []) -> [UInt8] {
        Rendering(snapshot, reasons: reasons, with: otherFamilies).bytes()
    }

    /// The exposition in pieces of about `chunkBytes` handed to `sink` in order (each valid
    /// only during the call): a compressor takes them as they come, and the 15 MB of a
    /// 100k-series exposition are never held whole.
    public static func render(_ snapshot: LedgerSnapshot, reasons: ReasonTable, with otherFamilies: [MetricFamily] = [],
                              chunkBytes: Int = 256 * 1024, into sink: (UnsafeRawBufferPointer) -> Void) {
        let rendering = Rendering(snapshot, reasons: reasons, with: otherFamilies)
        for part in 0 ..< Rendering.parts { rendering.write(part: part, chunkBytes: chunkBytes, into: sink) }
    }

    /// One exposition, prepared once (its series sorted) and written in `parts` that follow
    /// each other, so that several threads can compress it at once: the families before
    /// the second labelled one, then that one and the rest. The two labelled families
    /// (drops and bytes) are nearly all of it, one in each part.
    public struct Rendering: Sendable {
        public static let parts = 2
        private let plan: RenderPlan
        private let boundary: Int

        public init(_ snapshot: LedgerSnapshot, reasons: ReasonTable, with otherFamilies: [MetricFamily] = []) {
            let plan = RenderPlan(snapshot, reasons: reasons, otherFamilies: otherFamilies)
            let labelled = plan.families.indices.filter { plan.isLabelled(plan.families[$0]) }
            self.plan = plan
            boundary = labelled.count > 1 ? labelled[1] : plan.families.count
        }

        /// The drop series it renders, for sizing buffers.
        public var seriesCount: Int { plan.series.keys.count }

        /// The whole exposition in one exactly sized buffer.
        public func bytes() -> [UInt8] {
            let total = plan.exactSize()
            return [UInt8](unsafeUninitializedCapacity: total) { buffer, initializedCount in
                // Straight into the array: one piece, handed over at the end.
                var written = 0
                plan.write(families: plan.families.indices, into: buffer.baseAddress!, capacity: total, inPieces: false) {
                    written = $0.count
                }
                precondition(written == total, "drop metrics size computed wrongly")
                initializedCount = written
            }
        }

        /// Part `part` (0 ..< `parts`) in pieces of about `chunkBytes`, as `render(into:)` writes them.
        public func write(part: Int, chunkBytes: Int = 256 * 1024, into sink: (UnsafeRawBufferPointer) -> Void) {
            precondition((0 ..< Self.parts).contains(part))
            let capacity = Swift.max(chunkBytes, plan.longestPiece)
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            defer { buffer.deallocate() }
            plan.write(families: part == 0 ? 0 ..< boundary : boundary ..< plan.families.count,
                       into: buffer, capacity: capacity, inPieces: true, sink: sink)
        }
    }

    /// What one render writes: the families' headers and the drop series in order.
    private struct RenderPlan: Sendable {
        let series: OrderedSeries
        let families: [MetricFamily]
        let headers: [[UInt8]]
        let reasonLabels: [[UInt8]]

        init(_ snapshot: LedgerSnapshot, reasons: ReasonTable, otherFamilies: [MetricFamily]) {
            series = orderedSeries(snapshot.counters, reasons: reasons)
            // Headers and the small families go through the general renderer; the two
            // labelled families arrive here without samples.
            var families = DropMetrics.families(LedgerSnapshot(events: snapshot.events, overflowEvents: snapshot.overflowEvents),
                                                reasons: reasons) + otherFamilies
            families.sort { $0.name < $1.name }
            self.families = families
            headers = families.map { PrometheusText.render([$0]) }
            reasonLabels = series.reasonNames.map(escaped)
        }

        /// Exact size: `<name>{customer="<c>",reason="<r>"} <value>\n` per series and family.
        func exactSize() -> Int {
            let fixedPerLine = #"{customer="",reason=""} "#.utf8.count + 1
            var labelBytes = 0
            for i in series.keys.indices {
                labelBytes += customerLabelLength(series.keys[i].customer) + reasonLabels[series.reasonIndex[i]].count
            }
            var total = headers.reduce(0) { $0 + $1.count }
            for family in families where family.name == dropsName || family.name == droppedBytesName {
                total += series.keys.count * (family.name.utf8.count + fixedPerLine) + labelBytes
                for count in series.counts {
                    total += decimalLength(family.name == dropsName ? count.drops : count.bytes)
                }
            }
            return total
        }

        /// The longest drop line: name, fixed text, labels, a 20-digit value.
        var longestLine: Int {
            #"dropledger_dropped_bytes_total{customer="",reason=""} "#.utf8.count + 1 + 20
                + 20 + (reasonLabels.map(\.count).max() ?? 0)
        }

        /// The least room a piece needs: a line or a family's header.
        var longestPiece: Int { Swift.max(longestLine, headers.map(\.count).max() ?? 0) }

        /// Whether `family` is one of the two whose series come from the counters.
        func isLabelled(_ family: MetricFamily) -> Bool { family.name == dropsName || family.name == droppedBytesName }

        /// Writes `families` (a range of `families`' indices) into `buffer`, handing it to
        /// `sink` at the end and, `inPieces` (a buffer of at least `longestPiece` bytes), each
        /// time it is nearly full; else the buffer holds `exactSize()` bytes of all of them.
        func write(families range: Range<Int>, into buffer: UnsafeMutablePointer<UInt8>, capacity: Int, inPieces: Bool,
                   sink: (UnsafeRawBufferPointer) -> Void) {
            let longestLine = self.longestLine
            var cursor = ByteCursor(buffer)
            func flush() {
                if cursor.position > 0 { sink(UnsafeRawBufferPointer(start: buffer, count: cursor.position)) }
                cursor = ByteCursor(buffer)
            }
            for (family, header) in zip(families[range], headers[range]) {
                if inPieces && capacity - cursor.position < header.count { flush() }
                header.withUnsafeBufferPointer { cursor.write($0) }
                guard isLabelled(family) else { continue }
                let countsDrops = family.name == dropsName
                for i in series.keys.indices {
                    if inPieces && capacity - cursor.position < longestLine { flush() }
                    cursor.write(family.name)
                    cursor.write(#"{customer=""#)
                    // An ID is its decimal digits (nothing to escape); the other kinds are fixed words.
                    switch series.keys[i].customer {
                    case .id(let id): cursor.writeDecimal(id)
                    case let other: cursor.write(other.label)
                    }
                    cursor.write(#"",reason=""#)
                    reasonLabels[series.reasonIndex[i]].withUnsafeBufferPointer { cursor.write($0) }
                    cursor.write(#""} "#)
                    cursor.writeDecimal(countsDrops ? series.counts[i].drops : series.counts[i].bytes)
                    cursor.write(UInt8(ascii: "\n"))
                }
            }
            flush()
        }

        private func customerLabelLength(_ customer: DropCustomer) -> Int {
            if case .id(let id) = customer { return decimalLength(id) }
            return customer.label.utf8.count
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
