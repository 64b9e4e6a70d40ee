/*
 * gzip written in pieces, with Intel's ISA-L (Debian's libisal-dev) at level 1:
 * about twice as fast as libdeflate's level 1 on an exposition (issue 18: 100k series,
 * 15 MB, in 10 ms against 23), and, unlike libdeflate, streaming, so the exposition is
 * compressed as it is rendered and never held whole. ISA-L's stream state is a large
 * struct with internal fields: this file keeps it out of Swift.
 */
#ifndef DL_GZIP_H
#define DL_GZIP_H

#include <stddef.h>
#include <stdint.h>

struct dl_gzip;

/* A new gzip member; `expected_output` sizes the first output buffer. NULL without memory. */
struct dl_gzip *dl_gzip_new(size_t expected_output);
/* Compresses `len` bytes. 0, or -1 if out of memory or the compressor failed. */
int dl_gzip_write(struct dl_gzip *gz, const void *data, size_t len);
/* Ends the member (its CRC and size): *out (malloc'd, the caller frees) holds *out_len bytes. 0 or -1. */
int dl_gzip_finish(struct dl_gzip *gz, uint8_t **out, size_t *out_len);
/*
 * One gzip member compressed in parts at once (one thread each): a part is raw deflate
 * that dl_gzip_end_part ends on a byte boundary (a sync flush; the last part ends the
 * stream instead), and dl_gzip_join frames the parts, in order, with one header and the
 * CRC-32 and length of their inputs combined. Write to a part with dl_gzip_write.
 */
struct dl_gzip *dl_gzip_new_part(size_t expected_output);
/* Ends a part; `last` for the final one. 0 or -1. */
int dl_gzip_end_part(struct dl_gzip *gz, int last);
/* The member: *out (malloc'd, the caller frees) holds *out_len bytes. 0, or -1 if a part failed or was not ended. */
int dl_gzip_join(struct dl_gzip *const *parts, size_t count, uint8_t **out, size_t *out_len);
/* Frees the state (and the output, unless dl_gzip_finish handed it over). */
void dl_gzip_free(struct dl_gzip *gz);

#endif
