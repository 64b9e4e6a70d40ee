// libFuzzer target for the packet header decoder (issue 17), built by `make fuzz` with
// swiftc -sanitize=fuzzer,address straight against Sources/DropledgerCore/Samples/*.swift
// and the few Core files they use.
//
// Input byte 0 picks the link type (bit 0: Ethernet or raw IP); the rest is a packet's
// first bytes. Checks that the decoder never traps, that headerLength lies inside the
// bytes and `undecoded` is what follows it, that the bytes cut at headerLength decode to
// the same headers (what user space keeps without payload), and that the JSON encodes
// and reads back.

import Foundation

@inline(never)
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }  // a crash libFuzzer reports, with the input saved
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let link: SampleLinkType = input[0] & 1 == 0 ? .ethernet : .rawIP
    let bytes = Array(input.dropFirst())

    let decoded = PacketHeaders.decode(bytes, link: link)
    check(decoded.headerLength >= 0 && decoded.headerLength <= bytes.count,
          "headerLength \(decoded.headerLength) outside \(bytes.count) bytes")
    check(decoded.undecoded == HexText.bytes(bytes[decoded.headerLength...]), "undecoded is not the bytes after headerLength")
    check((decoded.sourcePrefix != nil) == (decoded.ip != nil), "a source prefix without an IP header or the other way")

    var cut = PacketHeaders.decode(Array(bytes[..<decoded.headerLength]), link: link)
    check(cut.undecoded.isEmpty, "the cut bytes left \(cut.undecoded) undecoded")
    (cut.undecoded, cut.stopped) = (decoded.undecoded, decoded.stopped)
    check(cut == decoded, "cut at \(decoded.headerLength): \(cut), whole: \(decoded)")

    do {
        let json = try JSONEncoder().encode(decoded)
        let back = try JSONDecoder().decode(PacketHeaders.self, from: json)
        check(back == decoded, "JSON read back \(back), encoded \(decoded)")
    } catch {
        check(false, "JSON of \(decoded): \(error)")
    }
    return 0
}
