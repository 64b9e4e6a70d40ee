/* libbpf's log, one line at a time, to a Swift callback. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "dl_libbpf_log.h"

static dl_libbpf_log_fn log_fn;

static int print_to_swift(enum libbpf_print_level level, const char *format, va_list args)
{
	char *buf, *line, *next;

	/* Verifier logs arrive as one long message: split them into lines. */
	if (!log_fn || vasprintf(&buf, format, args) < 0)
		return 0;
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line)
			log_fn((int)level, line);
	}
	free(buf);
	return 0;
}

void dl_libbpf_set_log(dl_libbpf_log_fn fn)
{
	log_fn = fn;
	libbpf_set_print(print_to_swift);
}
