#include <stdlib.h>
#include <isa-l/igzip_lib.h>
#include "dl_gzip.h"

struct dl_gzip {
	struct isal_zstream stream;
	uint8_t *out;
	size_t capacity;
	int failed;
	/* ISA-L keeps a struct with pointers and 64-bit fields here: align it (calloc's
	 * 16 bytes cover it) rather than leave it where `failed` ends. */
	_Alignas(16) uint8_t level_buf[ISAL_DEF_LVL1_DEFAULT];
};

/* Room for at least `min` more output bytes after what is written (stream.total_out). */
static int reserve(struct dl_gzip *gz, size_t min)
{
	size_t used = gz->stream.total_out;

	if (gz->capacity - used < min) {
		size_t capacity = gz->capacity * 2;
		uint8_t *out;

		while (capacity - used < min)
			capacity *= 2;
		if (capacity > UINT32_MAX || !(out = realloc(gz->out, capacity)))
			return -1;
		gz->out = out;
		gz->capacity = capacity;
	}
	gz->stream.next_out = gz->out + used;
	gz->stream.avail_out = (uint32_t)(gz->capacity - used);
	return 0;
}

struct dl_gzip *dl_gzip_new(size_t expected_output)
{
	struct dl_gzip *gz = calloc(1, sizeof(*gz));

	if (!gz)
		return NULL;
	/* avail_out is 32 bits; reserve() refuses to grow past that too. */
	gz->capacity = expected_output < 4096 ? 4096 : expected_output > UINT32_MAX ? UINT32_MAX : expected_output;
	if (!(gz->out = malloc(gz->capacity))) {
		free(gz);
		return NULL;
	}
	isal_deflate_init(&gz->stream);
	gz->stream.gzip_flag = IGZIP_GZIP;
	gz->stream.level = 1;
	gz->stream.level_buf = gz->level_buf;
	gz->stream.level_buf_size = sizeof(gz->level_buf);
	gz->stream.flush = NO_FLUSH;
	gz->stream.next_out = gz->out;
	gz->stream.avail_out = (uint32_t)gz->capacity;
	return gz;
}

int dl_gzip_write(struct dl_gzip *gz, const void *data, size_t len)
{
	const uint8_t *next = data;

	while (!gz->failed && len > 0) {
		/* avail_in is 32 bits: pieces of at most 1 GiB. */
		uint32_t piece = len > (1u << 30) ? (1u << 30) : (uint32_t)len;

		gz->stream.next_in = (uint8_t *)next;
		gz->stream.avail_in = piece;
		while (gz->stream.avail_in > 0) {
			/* Level 1 emits at most a little more than it reads: room for a piece. */
			if (reserve(gz, 4096) || isal_deflate(&gz->stream) != COMP_OK) {
				gz->failed = 1;
				break;
			}
		}
		next += piece;
		len -= piece;
	}
	return gz->failed ? -1 : 0;
}

int dl_gzip_finish(struct dl_gzip *gz, uint8_t **out, size_t *out_len)
{
	gz->stream.end_of_stream = 1;
	gz->stream.next_in = NULL;
	gz->stream.avail_in = 0;
	while (!gz->failed && gz->stream.internal_state.state != ZSTATE_END)
		if (reserve(gz, 4096) || isal_deflate(&gz->stream) != COMP_OK)
			gz->failed = 1;
	if (gz->failed)
		return -1;
	*out = gz->out;
	*out_len = gz->stream.total_out;
	gz->out = NULL;
	return 0;
}

void dl_gzip_free(struct dl_gzip *gz)
{
	if (!gz)
		return;
	free(gz->out);
	free(gz);
}
