import CBPFPrograms
import CLibBPF
import DropledgerCore
import Glibc

/// Runs the tagger program once on a frame with BPF_PROG_TEST_RUN (no device, no
/// attachment, nothing pinned) and returns what it made of the frame and its
/// metadata area. For tests: the kernel copies out from data_meta, and the
/// returned context says where the packet starts.
public final class TaggerTestRun {
    private let program: TaggerProgram

    public struct Output: Sendable, Hashable {
        /// The XDP action (2 = XDP_PASS).
        public var action: UInt32
        /// The metadata area after the run, [data_meta, data).
        public var metadata: [UInt8]
        /// The frame after the run, [data, data_end).
        public var frame: [UInt8]
    }

    public init(prefixes: [CustomerPrefix], configuration: TaggerConfiguration) throws {
        program = try TaggerProgram(configuration: configuration, reusing: nil)
        _ = try PrefixMaps(program).sync(to: prefixes)
    }

    /// `metadata` is the area the frame arrives with (a multiple of 4; the kernel caps it).
    public func run(frame: [UInt8], metadata: [UInt8]) throws -> Output {
        let input = metadata + frame
        var contextIn = xdp_md()
        contextIn.data = UInt32(metadata.count)     // the area sits in front of the packet in data_in
        contextIn.data_end = UInt32(input.count)
        var contextOut = xdp_md()
        var output = [UInt8](repeating: 0, count: input.count + 512)
        var opts = bpf_test_run_opts()
        opts.sz = MemoryLayout<bpf_test_run_opts>.size
        opts.repeat = 1
        let err = input.withUnsafeBytes { data in
            output.withUnsafeMutableBytes { out in
                withUnsafeMutablePointer(to: &contextIn) { ctxIn in
                    withUnsafeMutablePointer(to: &contextOut) { ctxOut in
                        opts.data_in = data.baseAddress
                        opts.data_size_in = UInt32(data.count)
                        opts.data_out = out.baseAddress
                        opts.data_size_out = UInt32(out.count)
                        opts.ctx_in = UnsafeRawPointer(ctxIn)
                        opts.ctx_size_in = UInt32(MemoryLayout<xdp_md>.size)
                        opts.ctx_out = UnsafeMutableRawPointer(ctxOut)
                        opts.ctx_size_out = UInt32(MemoryLayout<xdp_md>.size)
                        return bpf_prog_test_run_opts(program.programFD, &opts)
                    }
                }
            }
        }
        if err != 0 {
            throw RuntimeError.libbpf("test-running the tagger on a \(frame.count)-byte frame with a \(metadata.count)-byte area",
                                      returned: err)
        }
        // data_out starts at data_meta; the returned context's offsets are relative to it.
        let metaLength = Int(contextOut.data), end = Int(min(opts.data_size_out, contextOut.data_end))
        return Output(action: opts.retval, metadata: Array(output[0..<metaLength]), frame: Array(output[metaLength..<end]))
    }

    public func counters() throws -> [TaggerResult: UInt64] {
        try TaggerCounters.read(program.mapFD("counters"))
    }

    /// The traffic tagged per customer so far.
    public func traffic() throws -> [UInt64: TrafficCount] {
        try TaggerTraffic.read(slotsFD: program.mapFD("customer_slots"), trafficFD: program.mapFD("traffic"))
    }

    var programFD: Int32 { program.programFD }
}
