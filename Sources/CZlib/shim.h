/* zlib for Swift: deflateInit2 is a macro, which Swift cannot call. */
#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H

#include <zlib.h>

/* A deflate stream that writes the gzip format (RFC 1952): windowBits 15 + 16. */
static inline int dl_deflate_init_gzip(z_stream *stream, int level)
{
	return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

#endif
