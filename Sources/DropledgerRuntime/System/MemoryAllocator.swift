import CLinux

/// The process's allocator settings for a long-running exporter.
public enum MemoryAllocator {
    /// Fixes glibc's mmap threshold at 128 KiB. Left adaptive, glibc raises it (up to
    /// 32 MB) each time a large block is freed; after that, the tables and arrays a flood
    /// of new customers grows come from the heaps of several threads' arenas, and freed
    /// parts of those heaps are rarely given back. Fixed, every large block is mapped on
    /// its own and unmapped when freed: the peak with 1M forged customer IDs went from
    /// 168 to 108 MB (`make bench`, section 5). Call before other threads start.
    public static func bound() {
        _ = dl_fix_mmap_threshold(128 * 1024)
    }
}
