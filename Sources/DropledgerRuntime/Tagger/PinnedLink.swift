import CLibBPF
import Glibc

/// The tagger's pinned bpf_link, with what the kernel says it is attached to.
struct PinnedLink {
    let fd: Int32
    /// 0 once the interface is gone (the link is then defunct).
    let ifindex: UInt32
    let programID: UInt32

    /// nil when there is no link pin.
    static func open(_ pins: TaggerPins) throws -> PinnedLink? {
        let fd = bpf_obj_get(pins.path("link"))
        if fd < 0 {
            if Glibc.errno == ENOENT { return nil }
            throw RuntimeError.libbpf("opening the pinned link \(pins.path("link"))", returned: fd)
        }
        var info = bpf_link_info()
        var length = UInt32(MemoryLayout<bpf_link_info>.size)
        guard bpf_obj_get_info_by_fd(fd, &info, &length) == 0, info.type == BPF_LINK_TYPE_XDP.rawValue else {
            close(fd)
            throw RuntimeError("\(pins.path("link")) is not an XDP link", hint: "Remove \(pins.directory) by hand")
        }
        return PinnedLink(fd: fd, ifindex: info.xdp.ifindex, programID: info.prog_id)
    }
}
