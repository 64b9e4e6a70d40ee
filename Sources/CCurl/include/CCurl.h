/* libcurl for `dropledger show` and `top`: curl_easy_setopt is variadic, which Swift cannot call. */
#ifndef CCURL_H
#define CCURL_H

#include <stddef.h>

struct dl_fetch_result {
	long status;        /* HTTP status, 0 if no response */
	char *body;         /* malloc()ed, NUL-terminated; the caller free()s it */
	size_t body_len;
	char error[256];    /* curl's message when status is 0 */
};

/* GET `url` with an Accept header, giving up after `timeout_ms`. Returns 0 or a CURLcode. */
int dl_fetch(const char *url, const char *accept, long timeout_ms, struct dl_fetch_result *result);

#endif
