import CBPFPrograms
import CLibBPF
import Glibc
import SystemPackage

/// The embedded tagger object, loaded: on its own maps, or on the maps pinned for an
/// interface that is already tagged. Closing it leaves pins and links alone.
final class TaggerProgram {
    private let skeleton: OpaquePointer
    private let object: OpaquePointer

    init(configuration: TaggerConfiguration, reusing pins: TaggerPins?) throws {
        var config = dl_tagger_config(customer_tlv_type: configuration.customerTLVType,
                                      match_source: configuration.match == .source,
                                      skip_traffic_counts: !configuration.countsTraffic)
        LibBPFLog.shared.clearRecent()
        guard let skeleton = dl_tagger_open(&config) else {
            throw RuntimeError("opening the embedded tagger object", errno: Errno(rawValue: Glibc.errno))
        }
        self.skeleton = skeleton
        object = dl_tagger_object(skeleton)
        do {  // a scope for the comment below
            if let pins {
                for name in TaggerPins.mapNames {
                    let fd = bpf_obj_get(pins.path(name))
                    if fd < 0 {
                        throw RuntimeError.libbpf("opening the pinned map \(pins.path(name))", returned: fd,
                                                  hint: "An older dropledger tagged this interface without it: run `dropledger untag` first, then tag again")
                    }
                    defer { close(fd) }
                    guard let map = bpf_object__find_map_by_name(object, name) else {
                        throw RuntimeError("finding map \(name) in the embedded tagger object")
                    }
                    let err = bpf_map__reuse_fd(map, fd)
                    if err != 0 {
                        throw RuntimeError.libbpf("reusing the pinned map \(pins.path(name))", returned: err,
                                                  hint: "It does not match this version's tagger; run `dropledger untag` first")
                    }
                }
            }
            let loaded = dl_tagger_load(skeleton)
            if loaded != 0 { throw Self.explainLoadFailure(code: loaded) }
        }
        // A throw here runs deinit (every stored property is set), which destroys the
        // skeleton: destroying it here as well freed it twice (a crash in libbpf).
    }

    deinit { dl_tagger_destroy(skeleton) }

    var programFD: Int32 { dl_tagger_prog_fd(skeleton) }

    func mapFD(_ name: String) throws -> Int32 {
        guard let map = bpf_object__find_map_by_name(object, name) else {
            throw RuntimeError("finding map \(name) in the embedded tagger object")
        }
        return bpf_map__fd(map)
    }

    private static func explainLoadFailure(code: Int32) -> RuntimeError {
        let errno = Errno(rawValue: code < 0 ? -code : code)
        if errno == .notPermitted {
            return RuntimeError("loading the tagger's XDP program was not permitted", errno: errno, hint: Privileges.hint)
        }
        if !KernelSupport.xdpMetadataWritable { return KernelSupport.noXDPMetadata }
        let tail = LibBPFLog.shared.recentLines().joined(separator: "\n  ")
        return RuntimeError("the kernel rejected the tagger's XDP program", errno: errno,
                            hint: tail.isEmpty ? nil : "libbpf and verifier said:\n  \(tail)")
    }
}
