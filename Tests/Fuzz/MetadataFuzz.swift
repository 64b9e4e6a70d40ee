// libFuzzer target for the Swift metadata decoder (issue 7), built by `make fuzz` with
// swiftc -sanitize=fuzzer,address straight against Sources/DropledgerCore/Metadata/*.swift.
//
// Input byte 0 picks the customer type and the mode; the rest is either
//  * an area (decoded as is, at any length up to 300 bytes), checking that customer(in:)
//    agrees with entries(_:) and validate(_:), and that the decoders never trap; or
//  * a script of pushes and pops for MetadataAreaWriter, checking that every area it
//    builds is well-formed and parses back to exactly the entries it holds.

@inline(never)
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }  // a crash libFuzzer reports, with the input saved
}

func checkArea(_ area: [UInt8], customerType: UInt8) {
    let verdict = MetadataTLV.customer(in: area, customerType: customerType)
    let valid: Bool
    do { try MetadataTLV.validate(area); valid = true } catch { valid = false }
    let entries: [MetadataEntry]?
    do { entries = try MetadataTLV.entries(area) } catch { entries = nil }
    check(valid == (entries != nil), "validate and entries disagree on \(area)")
    check(area.count <= MetadataTLV.maximumAreaLength || area.isEmpty || !valid, "an area over 252 bytes passed: \(area)")

    // The verdict the spec gives, computed from entries(_:).
    let expected: DropCustomer
    if area.isEmpty {
        expected = .none
    } else if let entries {
        if let newest = entries.first(where: { $0.type == customerType }) {
            if MetadataTLV.customerValueLengths.contains(newest.value.count) {
                expected = .id(newest.value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            } else {
                expected = .invalid
            }
        } else {
            expected = .none
        }
    } else {
        expected = .invalid
    }
    check(verdict == expected, "customer(in:) says \(verdict), entries(_:) imply \(expected), area \(area)")

    // Every entry lies inside the area, and together they cover exactly the last TL bytes.
    if let entries, !area.isEmpty {
        let used = entries.reduce(0) { $0 + 2 + $1.value.count }
        check(used == Int(area[0]), "entries cover \(used) bytes, TL says \(area[0])")
        check(entries.allSatisfy { $0.value.count <= MetadataTLV.maximumValueLength }, "an overlong value passed")
    }
}

func checkWriter(_ script: ArraySlice<UInt8>, customerType: UInt8) {
    var writer = MetadataAreaWriter()
    var model: [MetadataEntry] = []  // newest first, like entries(_:)
    var bytes = script.makeIterator()
    while let op = bytes.next() {
        if op & 0xc0 == 0xc0 {
            let before = writer
            let popped = writer.pop()
            check(popped == model.first, "pop returned \(String(describing: popped)), expected \(String(describing: model.first))")
            if !model.isEmpty { model.removeFirst() }
            check(writer.bytes.count == before.bytes.count, "pop changed the area's length")
        } else {
            let length = Int(op & 0x1f)  // 0...31: over 16 must be refused
            let type = op & 0x20 != 0 ? customerType : (bytes.next() ?? 0)
            var value: [UInt8] = []
            for _ in 0 ..< length { value.append(bytes.next() ?? 0xa5) }
            let before = writer
            do {
                try writer.push(type: type, value: value)
                check(length <= MetadataTLV.maximumValueLength, "a \(length)-byte value was pushed")
                model.insert(MetadataEntry(type: type, value: value), at: 0)
            } catch {
                check(writer == before, "a refused push changed the area")
            }
        }
        let area = writer.bytes
        check(area.count % 4 == 0 && area.count <= MetadataTLV.maximumAreaLength, "the writer made a \(area.count)-byte area")
        do {
            let parsed = try MetadataTLV.entries(area)
            check(parsed == model, "written \(model), parsed back \(parsed)")
        } catch {
            check(false, "the writer made a malformed area \(area): \(error)")
        }
        checkArea(area, customerType: customerType)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1, size <= 301 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let control = input[0]
    let customerType: UInt8 = control & 0x02 != 0 ? 1 : control >> 2
    if control & 0x01 == 0 {
        checkArea(Array(input.dropFirst()), customerType: customerType)
    } else {
        checkWriter(input.dropFirst(), customerType: customerType)
    }
    return 0
}
