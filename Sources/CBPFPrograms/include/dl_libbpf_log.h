/* libbpf's log, which speaks in va_list. */
#ifndef DL_LIBBPF_LOG_H
#define DL_LIBBPF_LOG_H

typedef void (*dl_libbpf_log_fn)(int level, const char *line);
/* Routes libbpf's messages (verifier logs included) to `fn`, one line at a time. */
void dl_libbpf_set_log(dl_libbpf_log_fn fn);

#endif
