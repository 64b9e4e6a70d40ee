/* Kernel features the tagger and the frame injector need, asked of the kernel itself. */
#ifndef DL_PROBES_H
#define DL_PROBES_H

/* 1: XDP programs may call bpf_xdp_adjust_meta; 0: the verifier refuses the helper;
 * -errno: the probe could not tell (no privilege to load programs). */
int dl_probe_xdp_adjust_meta(void);

/* 1: BPF_PROG_TEST_RUN runs XDP programs with BPF_F_TEST_XDP_LIVE_FRAMES; 0: the kernel
 * refuses that mode; -errno: the probe could not tell. Injects nothing (the probe
 * program drops its one frame, on loopback). */
int dl_probe_xdp_live_frames(void);

#endif
