import CLibBPF
import Glibc

/// What one run of an XDP program costs, as the kernel times it in BPF_PROG_TEST_RUN
/// (`make bench`). Each run is its own test run (repeat 1): the kernel's repeat loop
/// hands the program the same buffer again, whose metadata area the tagger grew the
/// time before, so a repeated tagger would mostly measure a full area. The timer's
/// own overhead is in every program's figure alike: compare programs, not absolutes.
enum XDPTiming {
    /// Mean nanoseconds per run of `programFD` on `frame` (no metadata area), over `runs` runs.
    static func nanosecondsPerRun(programFD: Int32, frame: [UInt8], runs: Int) throws -> Double {
        var total: UInt64 = 0
        var output = [UInt8](repeating: 0, count: frame.count + 512)
        for _ in 0..<runs {
            var opts = bpf_test_run_opts()
            opts.sz = MemoryLayout<bpf_test_run_opts>.size
            opts.repeat = 1
            let err = frame.withUnsafeBytes { data in
                output.withUnsafeMutableBytes { out in
                    opts.data_in = data.baseAddress
                    opts.data_size_in = UInt32(data.count)
                    opts.data_out = out.baseAddress
                    opts.data_size_out = UInt32(out.count)
                    return bpf_prog_test_run_opts(programFD, &opts)
                }
            }
            if err != 0 { throw RuntimeError.libbpf("test-running an XDP program for timing", returned: err) }
            total += UInt64(opts.duration)
        }
        return Double(total) / Double(runs)
    }
}

extension TaggerTestRun {
    /// Mean nanoseconds per run of the tagger on `frame` (see `XDPTiming`).
    public func nanosecondsPerRun(frame: [UInt8], runs: Int) throws -> Double {
        try XDPTiming.nanosecondsPerRun(programFD: programFD, frame: frame, runs: runs)
    }
}

extension FrameInjector {
    /// Mean nanoseconds per run of the injector's program, which only returns XDP_PASS:
    /// the floor of any XDP program (see `XDPTiming`).
    public func passNanosecondsPerRun(frame: [UInt8], runs: Int) throws -> Double {
        try XDPTiming.nanosecondsPerRun(programFD: programFD, frame: frame, runs: runs)
    }
}
