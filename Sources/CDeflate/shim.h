/* libdeflate (Debian's libdeflate-dev): whole-buffer DEFLATE and gzip, 2 to 3 times
 * faster than zlib's streaming deflate at the same level (issue 18: the scrape). */
#ifndef CDEFLATE_SHIM_H
#define CDEFLATE_SHIM_H

#include <libdeflate.h>

#endif
