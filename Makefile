# dropledger: `make demo` shows it working, `make test` runs what CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := build

CLANG ?= clang
BPFTOOL ?= bpftool
SWIFT_FLAGS ?= -c release --static-swift-stdlib
BPF_OUT := .build/bpf
SKEL_DIR := Sources/CBPFPrograms/generated
BPF_PROGRAMS := dropledger inject tagger parse_check
# The BPF objects are embedded in the binaries, so they target the machine building
# them. Their rings' memory ordering is written and checked per architecture
# (bpf/event_ring.h): any other fails here rather than build a program that could hand
# the consumer half-written events.
MACHINE ?= $(shell uname -m)
BPF_ARCH_x86_64 := x86
BPF_ARCH_aarch64 := arm64
BPF_ARCH := $(BPF_ARCH_$(MACHINE))
ifeq ($(BPF_ARCH),)
$(error dropledger builds on x86_64 and aarch64 only, not $(MACHINE): its BPF rings' memory ordering is checked for those two (bpf/event_ring.h))
endif
BPF_WARNINGS := -Wall -Wextra -Wno-unused-parameter -Werror
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) $(BPF_WARNINGS) -I/usr/include/$(MACHINE)-linux-gnu -Ibpf
# The same programs for arm64, compiled on any machine (asm/types.h from Debian's
# linux-libc-dev-arm64-cross) so the code stays portable: `make test` checks them.
BPF_ARM64_OUT := .build/bpf-arm64
BPF_ARM64_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_arm64 $(BPF_WARNINGS) -I/usr/aarch64-linux-gnu/include -Ibpf
# Debian packages the build, the tests and the demo need (installed only if missing).
DEB_PACKAGES := $(shell cat deps/debian-packages.txt Tests/kernels/deps.txt | grep -v '^\#' | sort -u)
# What the kernel matrix copies into each guest: the same binaries the build made.
MATRIX_FILES := $(CURDIR)/.build/release/dropledger $(CURDIR)/.build/release/dropledger-inject \
	/usr/sbin/ip /usr/sbin/bridge /usr/sbin/nft /usr/bin/nstat /usr/bin/nsenter /usr/sbin/tc /usr/sbin/ethtool

# Keep the objects: tests and the kernel matrix use them too.
.SECONDARY:

.PHONY: deps bpf bpf-arm64 build run test test-unit test-integration test-kernels test-guest-suites test-page-demo test-bpf-ordering fuzz demo clean bench bench-tools

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	command -v $(CLANG) >/dev/null || missing="$$missing clang"; \
	if [ -n "$$missing" ]; then \
		echo "Installing missing Debian packages:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BPF_OUT)/%.bpf.o: bpf/%.bpf.c bpf/*.h | $(BPF_OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.full
	$(BPFTOOL) gen object $@ $@.full   # drops DWARF, keeps BTF: ~600 KB -> ~10 KB embedded

$(SKEL_DIR)/%.skel.h: $(BPF_OUT)/%.bpf.o | $(SKEL_DIR)
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

$(BPF_OUT) $(SKEL_DIR):
	mkdir -p $@

# Test-only programs loaded by the tests themselves (tc), not embedded.
BPF_TEST_PROGRAMS := move_head tc_drop

bpf: $(BPF_PROGRAMS:%=$(SKEL_DIR)/%.skel.h) $(BPF_TEST_PROGRAMS:%=$(BPF_OUT)/%.bpf.o)

$(BPF_ARM64_OUT)/%.bpf.o: bpf/%.bpf.c bpf/*.h | $(BPF_ARM64_OUT)
	$(CLANG) $(BPF_ARM64_CFLAGS) -c $< -o $@

$(BPF_ARM64_OUT):
	mkdir -p $@

bpf-arm64: $(BPF_PROGRAMS:%=$(BPF_ARM64_OUT)/%.bpf.o)

# The rings' ordering per architecture (bpf/event_ring.h): arm64 publishes with an
# atomic exchange, and an architecture nobody checked fails to build.
test-bpf-ordering: bpf bpf-arm64
	CLANG=$(CLANG) Tests/bpf-ordering.sh $(BPF_OUT)/dropledger.bpf.o.full $(BPF_ARM64_OUT)/dropledger.bpf.o

build: bpf
	swift build $(SWIFT_FLAGS)

run: build
	.build/release/dropledger serve

# A lab of namespaces with tagged customer traffic and the exporter on it; Ctrl-C removes it.
demo: deps build
	.build/release/dropledger demo

# Unit tests need no root; the integration tests drive the release binaries on the
# running kernel; the kernel matrix runs the same binaries on Debian's 6.1 and 6.12.
test: deps build
	$(MAKE) --no-print-directory test-bpf-ordering
	swift test --no-parallel
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory test-kernels
	$(MAKE) --no-print-directory test-guest-suites
	$(MAKE) --no-print-directory test-page-demo

# libFuzzer on the Swift decoders (Tests/Fuzz): the metadata TLV and the packet headers,
# FUZZ_SECONDS in all, half each. Each corpus persists under .build so later runs start
# from what earlier ones found.
FUZZ_OUT := .build/fuzz
FUZZ_SECONDS ?= 45
METADATA_FUZZ_SOURCES := Tests/Fuzz/MetadataFuzz.swift $(wildcard Sources/DropledgerCore/Metadata/*.swift)
# The header decoder and the Core files it uses: IP address text, prefixes, Nullable.
HEADERS_FUZZ_SOURCES := Tests/Fuzz/HeadersFuzz.swift \
	$(addprefix Sources/DropledgerCore/Samples/,SampleLinkType.swift PacketHeaders.swift PacketHeaderDecoder.swift \
		HeaderReader.swift PacketHeaderNames.swift PacketSummary.swift) \
	Sources/DropledgerCore/Tagging/IPAddressParser.swift Sources/DropledgerCore/Tagging/IPPrefix.swift \
	Sources/DropledgerCore/API/Nullable.swift

# $(call fuzz-build,ModuleName): swiftc straight against the prerequisites' Swift files.
define fuzz-build
	mkdir -p $(@D)
	swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name $(1) -I Sources/CDropledgerABI/include $(filter %.swift,$^) \
		-o $@ 2> >(grep -v "Cannot export local symbol '__asan_" >&2)
endef

$(FUZZ_OUT)/metadata-fuzz: $(METADATA_FUZZ_SOURCES) bpf/dropledger.h
	$(call fuzz-build,MetadataFuzz)

$(FUZZ_OUT)/headers-fuzz: $(HEADERS_FUZZ_SOURCES)
	$(call fuzz-build,HeadersFuzz)

# $(call fuzz-run,name,max_len[,more flags]): a target for half of FUZZ_SECONDS; fails when it finds a crash.
define fuzz-run
	mkdir -p $(FUZZ_OUT)/$(1)-corpus $(FUZZ_OUT)/artifacts
	$(FUZZ_OUT)/$(1)-fuzz -max_total_time=$$(( ($(FUZZ_SECONDS) + 1) / 2 )) -max_len=$(2) $(3) -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_OUT)/artifacts/$(1)- $(FUZZ_OUT)/$(1)-corpus 2>&1 | tail -20; \
		exit $${PIPESTATUS[0]}
endef

# Metadata areas are at most 252 bytes (+1 control byte, +48 to try longer ones); the
# kernel copies at most 128 bytes of headers (+1 link byte, +128 to try longer ones).
fuzz: $(FUZZ_OUT)/metadata-fuzz $(FUZZ_OUT)/headers-fuzz
	$(call fuzz-run,metadata,301)
	$(call fuzz-run,headers,257,-dict=Tests/Fuzz/headers.dict)

test-kernels: deps build
	sed '2i export DL_BIN_DIR=$(CURDIR)/.build/release' Tests/kernels/pipeline-scenario.sh > .build/pipeline-scenario.sh
	Tests/kernels/matrix.sh -s .build/pipeline-scenario.sh -m "veth bridge nf_tables vxlan geneve ip_gre ipip sit ip6_gre ip6_tunnel 8021q sch_ingress cls_matchall act_tunnel_key" $(MATRIX_FILES:%=-f %)

# The integration suites that need XDP metadata writes or live frames (their traits:
# .needsTagger, .needsFrameInjection, or HostKernel in the test), for a host kernel that refuses them: the test
# binary `swift test` built runs them inside Debian's 6.12 (the first suite of each file
# naming a trait, and the other suites of that file). Nothing to do where the host runs them.
# Suites that cannot run there: OverviewPageTests needs Chromium, too big for the guest's
# initramfs and too slow under TCG (its test of the demo runs here against the demo in the
# guest: test-page-demo).
GUEST_UNFIT = OverviewPageTests
GUEST_SUITES = $(shell grep -l 'needsTagger\|needsFrameInjection\|HostKernel\.' Tests/IntegrationTests/*.swift | \
	xargs awk '/@Suite/ {suite = 1} match($$0, /struct [A-Za-z0-9_]+/) {if (suite) print substr($$0, RSTART + 7, RLENGTH - 7); suite = 0}' | \
	grep -vxF '$(GUEST_UNFIT)' | paste -sd'|')
GUEST_FILES = $(MATRIX_FILES) /usr/bin/curl /usr/bin/timeout /usr/bin/setpriv /usr/bin/promtool /usr/bin/prometheus \
	/usr/sbin/bpftool /usr/bin/tmux /usr/bin/python3 $(shell /usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))' 2>/dev/null) \
	/usr/bin/openssl /usr/bin/unshare \
	/usr/bin/mount /usr/bin/umount /usr/bin/stat /usr/bin/taskset /usr/bin/sed /lib/terminfo /usr/lib/locale/C.utf8 \
	$(CURDIR)/.build/bpf $(CURDIR)/Tests/fresh-host.sh $(CURDIR)/dashboards $(CURDIR)/deploy
GUEST_MODULES := veth bridge macvlan 8021q nf_tables nft_reject_inet nft_chain_nat vxlan geneve ip_gre ipip sit \
	sch_ingress cls_bpf cls_matchall act_tunnel_key

test-guest-suites: deps build
	swift build --build-tests
	@features=$$(.build/release/dropledger-inject features) || exit 1; \
	if echo "$$features" | grep -q '=no'; then \
		echo "The host kernel refuses XDP metadata writes or live frames: running $(GUEST_SUITES) in 6.12"; \
		sed '2i export DL_TEST_BIN=$(shell swift build --show-bin-path)/dropledgerPackageTests.xctest DL_TEST_FILTER="$(GUEST_SUITES)" DL_BIN_DIR=$(CURDIR)/.build/release' \
			Tests/kernels/swift-tests-scenario.sh > .build/swift-tests-scenario.sh; \
		DL_RUN_NAME=swift-tests DL_TCG_THREAD=single DL_GUEST_MEM=$${DL_GUEST_MEM:-6144} DL_GUEST_TIMEOUT=$${DL_GUEST_TIMEOUT:-2400} Tests/kernels/matrix.sh \
			-k "$${DL_KERNEL_6_12:-linux-image-6.12.117+deb12-amd64=6.12.117-1~deb12u1}" -s .build/swift-tests-scenario.sh \
			-m "$(GUEST_MODULES)" $(GUEST_FILES:%=-f %) -f $(shell swift build --show-bin-path)/dropledgerPackageTests.xctest; \
	else echo "The host kernel runs every integration suite natively"; fi

# The overview page in the host's headless Chromium against the demo, on a host kernel that
# refuses the tagger: the demo runs in 6.12 and qemu forwards a loopback port to it.
test-page-demo: deps build
	swift build --build-tests
	@features=$$(.build/release/dropledger-inject features) || exit 1; \
	if echo "$$features" | grep -q 'xdp_metadata=no'; then \
		echo "The host kernel refuses the tagger: the page test opens the demo running in 6.12"; \
		Tests/kernels/page-demo.sh -t $(shell swift build --show-bin-path)/dropledgerPackageTests.xctest -b $(CURDIR)/.build/release \
			-k "$${DL_KERNEL_6_12:-linux-image-6.12.117+deb12-amd64=6.12.117-1~deb12u1}" -m "$(GUEST_MODULES)" $(MATRIX_FILES:%=-f %); \
	else echo "The host kernel runs the tagger: swift test ran the page test against a local demo"; fi

# Benchmark (issue 6), not part of `make test`: reference BPF programs (bpf/bench/), their
# skeletons and the C tools built from them live under .build/bench; bench/run.sh writes
# bench/RESULTS.md. Needs root; takes a few minutes.
BENCH_BPF_PROGRAMS := floor hashcount producer
BENCH_OUT := .build/bench

$(BENCH_OUT)/%.bpf.o: bpf/bench/%.bpf.c bpf/*.h | $(BENCH_OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.full
	$(BPFTOOL) gen object $@ $@.full

$(BENCH_OUT)/%.skel.h: $(BENCH_OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name bench_$*_bpf > $@.tmp && mv $@.tmp $@

$(BENCH_OUT):
	mkdir -p $@

$(BENCH_OUT)/dlbench: bench/dlbench.c bpf/dropledger.h $(BENCH_BPF_PROGRAMS:%=$(BENCH_OUT)/%.skel.h)
	cc -O2 -g -Wall -Wextra -Werror -I$(BENCH_OUT) -Ibpf -o $@ $< -lbpf -lelf -lz -pthread

bench-tools: build $(BENCH_OUT)/dlbench
	swift build $(SWIFT_FLAGS) --product dropledger-bench

bench: deps bench-tools
	bench/run.sh

clean:
	rm -rf .build $(SKEL_DIR)
