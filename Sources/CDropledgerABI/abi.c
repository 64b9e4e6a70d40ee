/* Header-only module (include/CDropledgerABI.h); SwiftPM needs one source file. */
#include "CDropledgerABI.h"
