#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "CCurl.h"

static size_t append(char *data, size_t size, size_t count, void *userdata)
{
	struct dl_fetch_result *result = userdata;
	size_t n = size * count;
	char *grown = realloc(result->body, result->body_len + n + 1);

	if (!grown)
		return 0;
	memcpy(grown + result->body_len, data, n);
	result->body = grown;
	result->body_len += n;
	result->body[result->body_len] = '\0';
	return n;
}

int dl_fetch(const char *url, const char *accept, long timeout_ms, struct dl_fetch_result *result)
{
	struct curl_slist *headers = NULL;
	char accept_header[256];
	CURLcode code;
	CURL *curl;

	memset(result, 0, sizeof(*result));
	curl = curl_easy_init();
	if (!curl)
		return CURLE_FAILED_INIT;
	snprintf(accept_header, sizeof(accept_header), "Accept: %s", accept);
	headers = curl_slist_append(headers, accept_header);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  /* whatever the server compresses with */
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, result);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, result->error);
	code = curl_easy_perform(curl);
	if (code == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result->status);
	else if (!result->error[0])
		snprintf(result->error, sizeof(result->error), "%s", curl_easy_strerror(code));
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return code;
}
