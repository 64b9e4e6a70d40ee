/*
 * A minimal face of libmicrohttpd for Swift: MHD_start_daemon is variadic and
 * its loggers take va_list, neither of which Swift can call or implement.
 */
#ifndef CMICROHTTPD_H
#define CMICROHTTPD_H

#include <stddef.h>
#include <stdint.h>

struct dl_http_server;
struct dl_http_request;

struct dl_http_reply {
	unsigned status;
	const char *content_type;      /* static strings: not freed */
	const char *content_encoding;  /* NULL for none */
	const char *allow;             /* the Allow header of a 405, NULL otherwise */
	uint8_t *body;                 /* malloc()ed by the handler; libmicrohttpd free()s it */
	size_t body_len;
	const char *vary;              /* the Vary header, NULL for none */
};

typedef void (*dl_http_handler)(void *ctx, const struct dl_http_request *request, struct dl_http_reply *reply);
typedef void (*dl_http_log_fn)(void *ctx, const char *message);

struct dl_http_limits {
	unsigned threads;              /* worker threads polling the listening socket */
	unsigned connection_limit;     /* concurrent connections */
	unsigned per_ip_connection_limit; /* concurrent connections from one address; more are closed at once */
	unsigned connection_timeout_s; /* idle connections are closed after this */
	size_t connection_memory;      /* bytes per connection for the request and its headers */
};

struct dl_http_user {
	const char *name;
	const char *hash;              /* a bcrypt hash ($2a$, $2b$, $2y$) */
};

/* The --web.config.file settings; copied by dl_http_start. */
struct dl_http_security {
	const char *tls_cert_pem;      /* NULL: plain HTTP */
	const char *tls_key_pem;
	const struct dl_http_user *users; /* basic auth on every path when user_count > 0 */
	size_t user_count;
};

/*
 * Serves requests on `listen_fd` (bound and listening) from internal threads until
 * dl_http_stop. The server listens on a duplicate: `listen_fd` stays the caller's,
 * to close after the call whatever its result. NULL on failure, with `log` told why.
 * `security` may be NULL.
 */
struct dl_http_server *dl_http_start(int listen_fd, const struct dl_http_limits *limits,
				     const struct dl_http_security *security,
				     dl_http_handler handler, dl_http_log_fn log, void *ctx);

/* Whether this libmicrohttpd was built with TLS. */
int dl_http_tls_supported(void);
/* Whether `password` matches the bcrypt `hash` (thread-safe, no cache). */
int dl_http_password_matches(const char *password, const char *hash);
/* Stops accepting, finishes the requests in flight, closes the socket. */
void dl_http_stop(struct dl_http_server *server);

const char *dl_http_method(const struct dl_http_request *request);
const char *dl_http_path(const struct dl_http_request *request);
/* A request header or query argument by name, NULL if absent. */
const char *dl_http_header(const struct dl_http_request *request, const char *name);
const char *dl_http_query(const struct dl_http_request *request, const char *name);

typedef void (*dl_http_query_visitor)(void *ctx, const char *name, const char *value);
/* Visits every query argument in request order (value NULL for `?flag`). */
void dl_http_query_each(const struct dl_http_request *request, dl_http_query_visitor visit, void *ctx);

#endif
