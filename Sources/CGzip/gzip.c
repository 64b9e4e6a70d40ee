#include <stdlib.h>
#include <string.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>
#include "dl_gzip.h"

struct dl_gzip {
	struct isal_zstream stream;
	uint8_t *out;
	size_t capacity;
	int failed;
	/* A part (dl_gzip_new_part): raw deflate, with the CRC-32 and length of its input. */
	int part, ended;
	uint32_t crc;
	uint64_t in_len;
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

static struct dl_gzip *create(size_t expected_output, uint16_t wrapper);

struct dl_gzip *dl_gzip_new(size_t expected_output)
{
	return create(expected_output, IGZIP_GZIP);
}

struct dl_gzip *dl_gzip_new_part(size_t expected_output)
{
	struct dl_gzip *gz = create(expected_output, IGZIP_DEFLATE);

	if (gz)
		gz->part = 1;
	return gz;
}

static struct dl_gzip *create(size_t expected_output, uint16_t wrapper)
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
	gz->stream.gzip_flag = wrapper;
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

	if (gz->part && !gz->failed && len > 0) {
		gz->crc = crc32_gzip_refl(gz->crc, data, len);
		gz->in_len += len;
	}
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

/* Compresses what is buffered and ends the deflate stream (and a member's trailer). */
static int end_stream(struct dl_gzip *gz)
{
	gz->stream.end_of_stream = 1;
	gz->stream.next_in = NULL;
	gz->stream.avail_in = 0;
	while (!gz->failed && gz->stream.internal_state.state != ZSTATE_END)
		if (reserve(gz, 4096) || isal_deflate(&gz->stream) != COMP_OK)
			gz->failed = 1;
	return gz->failed ? -1 : 0;
}

int dl_gzip_finish(struct dl_gzip *gz, uint8_t **out, size_t *out_len)
{
	if (gz->part || end_stream(gz))
		return -1;
	*out = gz->out;
	*out_len = gz->stream.total_out;
	gz->out = NULL;
	return 0;
}

int dl_gzip_end_part(struct dl_gzip *gz, int last)
{
	if (!gz->part || gz->ended)
		return -1;
	if (last) {
		end_stream(gz);
	} else {
		gz->stream.next_in = NULL;
		gz->stream.avail_in = 0;
		/* Ends on a byte boundary with an empty stored block; done once the output has
		 * room left or the state is back at a new header (igzip_lib.h). */
		gz->stream.flush = SYNC_FLUSH;
		do {
			if (reserve(gz, 4096) || isal_deflate(&gz->stream) != COMP_OK)
				gz->failed = 1;
		} while (!gz->failed && gz->stream.avail_out == 0 && gz->stream.internal_state.state != ZSTATE_NEW_HDR);
	}
	gz->ended = 1;
	return gz->failed ? -1 : 0;
}

static void put_le32(uint8_t *at, uint32_t value)
{
	for (int i = 0; i < 4; i++)
		at[i] = (uint8_t)(value >> (8 * i));
}

int dl_gzip_join(struct dl_gzip *const *parts, size_t count, uint8_t **out, size_t *out_len)
{
	/* RFC 1952: no name, no time, unknown OS; then the parts' deflate data; then the
	 * CRC-32 of everything (zlib combines the parts') and its length mod 2^32. */
	static const uint8_t header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255 };
	size_t total = sizeof(header) + 8;
	uint32_t crc = 0;
	uint64_t len = 0;
	uint8_t *buffer, *at;

	if (count == 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (!parts[i]->part || !parts[i]->ended || parts[i]->failed)
			return -1;
		total += parts[i]->stream.total_out;
	}
	if (!(buffer = malloc(total)))
		return -1;
	memcpy(buffer, header, sizeof(header));
	at = buffer + sizeof(header);
	for (size_t i = 0; i < count; i++) {
		memcpy(at, parts[i]->out, parts[i]->stream.total_out);
		at += parts[i]->stream.total_out;
		crc = i == 0 ? parts[i]->crc : (uint32_t)crc32_combine(crc, parts[i]->crc, (z_off_t)parts[i]->in_len);
		len += parts[i]->in_len;
	}
	put_le32(at, crc);
	put_le32(at + 4, (uint32_t)len);
	*out = buffer;
	*out_len = total;
	return 0;
}

void dl_gzip_free(struct dl_gzip *gz)
{
	if (!gz)
		return;
	free(gz->out);
	free(gz);
}
