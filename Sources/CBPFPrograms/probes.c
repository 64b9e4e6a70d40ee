/*
 * Feature probes by loading tiny programs, as libbpf's own probes do. Written by hand:
 * libbpf_probe_bpf_helper() reports a helper as supported unless the verifier says
 * "invalid func" or "unknown func", so it says yes on a kernel whose verifier answers
 * "program of this type cannot use helper bpf_xdp_adjust_meta" (seen on a 6.18
 * sandbox kernel); and libbpf has no probe for live test runs.
 */
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "dl_probes.h"

#define MOV64_IMM(dst, value) ((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = (dst), .imm = (value) })
#define CALL(helper) ((struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = (helper) })
#define EXIT() ((struct bpf_insn){ .code = BPF_JMP | BPF_EXIT })

static int load_xdp(const struct bpf_insn *insns, unsigned count)
{
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, NULL, "GPL", insns, count, NULL);

	return fd < 0 ? -errno : fd;
}

int dl_probe_xdp_adjust_meta(void)
{
	/* bpf_xdp_adjust_meta(ctx, -4); return XDP_PASS; */
	const struct bpf_insn insns[] = { MOV64_IMM(BPF_REG_2, -4), CALL(BPF_FUNC_xdp_adjust_meta),
					  MOV64_IMM(BPF_REG_0, XDP_PASS), EXIT() };
	const struct bpf_insn control[] = { MOV64_IMM(BPF_REG_0, XDP_PASS), EXIT() };
	int fd = load_xdp(insns, sizeof(insns) / sizeof(insns[0]));

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (fd != -EINVAL && fd != -EACCES)
		return fd;
	/* Refused: the helper only if an XDP program without it loads (an LSM or a
	 * missing privilege refuses both, and that is not for this probe to say). */
	fd = load_xdp(control, sizeof(control) / sizeof(control[0]));
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int dl_probe_xdp_live_frames(void)
{
	const struct bpf_insn insns[] = { MOV64_IMM(BPF_REG_0, XDP_DROP), EXIT() };
	unsigned char frame[64] = { [12] = 0x08 };   /* an IPv4 ethertype; dropped by the program */
	struct xdp_md ctx = { .data_end = sizeof(frame), .ingress_ifindex = 1 };   /* loopback */
	int fd = load_xdp(insns, sizeof(insns) / sizeof(insns[0])), err;

	if (fd < 0)
		return fd;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	err = bpf_prog_test_run_opts(fd, &opts) ? -errno : 0;
	close(fd);
	if (err == 0)
		return 1;
	/* Root here (the program loaded), so a refusal is the kernel's policy, or its age. */
	return err == -EPERM || err == -EINVAL || err == -EOPNOTSUPP ? 0 : err;
}
