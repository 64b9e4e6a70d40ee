import CLibBPF
import Glibc

/// The XDP programs attached to an interface, per mode, as the kernel reports them.
struct XDPAttachment {
    var nativeProgramID: UInt32 = 0
    var genericProgramID: UInt32 = 0
    var offloadProgramID: UInt32 = 0

    static func query(ifindex: Int32, interface: String) throws -> XDPAttachment {
        var opts = bpf_xdp_query_opts()
        opts.sz = MemoryLayout<bpf_xdp_query_opts>.size
        let err = bpf_xdp_query(ifindex, 0, &opts)
        if err != 0 { throw RuntimeError.libbpf("asking which XDP programs \(interface) has", returned: err) }
        return XDPAttachment(nativeProgramID: opts.drv_prog_id, genericProgramID: opts.skb_prog_id,
                             offloadProgramID: opts.hw_prog_id)
    }

    /// The mode `programID` is attached in, if it is attached at all.
    func mode(of programID: UInt32) -> TaggerConfiguration.Mode? {
        if programID == 0 { return nil }
        if nativeProgramID == programID { return .native }
        if genericProgramID == programID { return .generic }
        return nil
    }

    var anyProgramID: UInt32? {
        [nativeProgramID, genericProgramID, offloadProgramID].first { $0 != 0 }
    }

    /// "id 42, name xdp_pass" for messages.
    static func describe(programID: UInt32) -> String {
        let fd = bpf_prog_get_fd_by_id(programID)
        guard fd >= 0 else { return "id \(programID)" }
        defer { close(fd) }
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        guard bpf_obj_get_info_by_fd(fd, &info, &length) == 0 else { return "id \(programID)" }
        let name = withUnsafeBytes(of: info.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return name.isEmpty ? "id \(programID)" : "id \(programID), name \(name)"
    }
}
