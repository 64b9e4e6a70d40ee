/* The contract between the BPF programs and user space (bpf/dropledger.h), for the
 * Swift layers that only need its types and constants: DropledgerCore imports this
 * instead of a copy, so every layer reads `enum dl_status` from the same definition. */
#ifndef CDROPLEDGER_ABI_H
#define CDROPLEDGER_ABI_H

#include <linux/types.h>
#include "../../../bpf/dropledger.h"

#endif
