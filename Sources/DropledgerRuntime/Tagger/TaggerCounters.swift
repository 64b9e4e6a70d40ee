import CBPFPrograms
import CLibBPF
import DropledgerCore
import Glibc

/// The per-CPU `counters` array of the tagger, summed over CPUs.
enum TaggerCounters {
    static func read(_ fd: Int32) throws -> [TaggerResult: UInt64] {
        let cpus = libbpf_num_possible_cpus()
        guard cpus > 0 else { throw RuntimeError.libbpf("counting possible CPUs", returned: cpus) }
        var values = [UInt64](repeating: 0, count: Int(cpus))  // per-CPU values are 8-byte slots
        var result: [TaggerResult: UInt64] = [:]
        for cause in TaggerResult.allCases {
            var key = UInt32(cause.rawValue)
            let err = values.withUnsafeMutableBytes { bpf_map_lookup_elem(fd, &key, $0.baseAddress) }
            if err != 0 { throw RuntimeError.libbpf("reading the tagger's counters", returned: err) }
            result[cause] = values.reduce(0, &+)
        }
        return result
    }
}
