import CBPFPrograms
import DropledgerCore
import DropledgerRuntime
import Glibc
import SystemPackage

/// The kfree_skb program's metadata verdict on chosen bytes, for differential tests
/// against `MetadataTLV`: BPF_PROG_TEST_RUN of `bpf/parse_check.bpf.c`, which runs
/// the very `parse_customer` of `bpf/metadata_parse.h` that classifies real drops
/// (after the same length checks and the same copy into a per-CPU scratch).
public final class KernelMetadataParser {
    private let skeleton: OpaquePointer

    public init(customerType: UInt8 = MetadataTLV.defaultCustomerType) throws {
        try KernelSupport.requireBTF()
        guard let skeleton = dl_parse_check_open_and_load(customerType) else {
            let errno = Errno(rawValue: Glibc.errno)
            throw RuntimeError("loading the metadata parse checker", errno: errno,
                               hint: errno == .notPermitted ? Privileges.hint : nil)
        }
        self.skeleton = skeleton
    }

    deinit { dl_parse_check_destroy(skeleton) }

    /// The kernel program's verdict on `area` (at most 252 bytes; any length, not only multiples of 4).
    public func customer(in area: [UInt8]) throws -> DropCustomer { try verdict(in: area).customer }

    /// The verdict and, for a customer, what the program made of the tagger's seal.
    public func verdict(in area: [UInt8]) throws -> (customer: DropCustomer, seal: TaggerSeal.Verdict?) {
        var status: UInt32 = 0
        var id: UInt64 = 0
        var seal: UInt32 = 0
        let err = area.withUnsafeBufferPointer {
            dl_parse_check_run(skeleton, $0.baseAddress, UInt32($0.count), &status, &id, &seal)
        }
        if err != 0 { throw RuntimeError.libbpf("test-running the metadata parse checker on \(area.count) bytes", returned: err) }
        // A packet's verdict is never `other`: only user space sums customers.
        guard status < UInt32(DropCustomer.otherStatus),
              let customer = DropCustomer(status: UInt8(status), id: id) else {
            throw RuntimeError("the metadata parse checker returned status \(status)")
        }
        guard case .id = customer else { return (customer, nil) }
        let seals: [TaggerSeal.Verdict] = [.absent, .intact, .broken]   // enum dl_seal's order
        guard seal < UInt32(seals.count) else { throw RuntimeError("the metadata parse checker returned seal \(seal)") }
        return (customer, seals[Int(seal)])
    }
}
