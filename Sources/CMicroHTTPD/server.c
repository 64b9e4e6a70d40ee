#define _GNU_SOURCE
#include <crypt.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "CMicroHTTPD.h"

#define DL_REALM "dropledger"

struct dl_auth_user {
	char *name;
	char *hash;
	char *verified;      /* the password that last matched `hash`, NULL for none */
};

struct dl_http_server {
	struct MHD_Daemon *daemon;
	dl_http_handler handler;
	dl_http_log_fn log;
	void *ctx;
	char *tls_cert;
	char *tls_key;
	struct dl_auth_user *users;
	size_t user_count;
	pthread_mutex_t cache_lock; /* guards every user's `verified` */
	pthread_mutex_t log_lock;   /* guards the two below */
	time_t next_limit_log;      /* CLOCK_MONOTONIC second from which the limit message is logged again */
	unsigned long limit_unlogged; /* limit messages held back since the last one logged */
};

/* A bcrypt hash of a password nobody has: unknown users cost as much as known ones. */
static const char dummy_hash[] = "$2y$10$6n8M9vQq.MUPWf4Y3lU2qOkgaOPi1K2LXXodC4sFcJLrYxpVcTdlu";

static int same_bytes(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char diff = la != lb;

	for (i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return diff == 0;
}

int dl_http_password_matches(const char *password, const char *hash)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	const char *out;
	int ok;

	if (!data)
		return 0;
	out = crypt_rn(password, hash, data, sizeof(*data));
	ok = out && out[0] != '*' && same_bytes(out, hash);
	explicit_bzero(data, sizeof(*data));
	free(data);
	return ok;
}

int dl_http_tls_supported(void)
{
	return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/*
 * Whether the request carries the Basic credentials of a configured user. bcrypt
 * is slow on purpose, so the password that last matched each user is remembered
 * (as the exporter-toolkit does) and a scrape every few seconds costs one compare.
 */
static int authorized(struct dl_http_server *server, struct MHD_Connection *connection)
{
	char *password = NULL;
	char *name = MHD_basic_auth_get_username_password(connection, &password);
	struct dl_auth_user *user = NULL;
	int ok = 0, cached = 0;
	size_t i;

	if (!name || !password)
		goto out;
	for (i = 0; i < server->user_count; i++)
		if (strcmp(server->users[i].name, name) == 0)
			user = &server->users[i];
	if (!user) {
		(void)dl_http_password_matches(password, dummy_hash);
		goto out;
	}
	pthread_mutex_lock(&server->cache_lock);
	cached = user->verified && same_bytes(user->verified, password);
	pthread_mutex_unlock(&server->cache_lock);
	if (cached) {
		ok = 1;
		goto out;
	}
	ok = dl_http_password_matches(password, user->hash);
	if (ok) {
		char *copy = strdup(password);

		pthread_mutex_lock(&server->cache_lock);
		if (user->verified) {
			explicit_bzero(user->verified, strlen(user->verified));
			free(user->verified);
		}
		user->verified = copy;
		pthread_mutex_unlock(&server->cache_lock);
	}
out:
	if (password) {
		explicit_bzero(password, strlen(password));
		MHD_free(password);
	}
	if (name)
		MHD_free(name);
	return ok;
}

static enum MHD_Result refuse(struct MHD_Connection *connection)
{
	static const char body[] = "Unauthorized\n";
	struct MHD_Response *response =
		MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	ret = MHD_queue_basic_auth_fail_response(connection, DL_REALM, response);
	MHD_destroy_response(response);
	return ret;
}

struct dl_http_request {
	struct MHD_Connection *connection;
	const char *method;
	const char *path;
};

/* libmicrohttpd's message for each connection it closes over a limit (daemon.c). */
#define LIMIT_MESSAGE "Server reached connection limit"

/*
 * A host over its per-address limit costs one such message per connection it
 * opens: logged once a minute with a count, or a flood of connects floods the log.
 */
static int hold_back_limit_message(struct dl_http_server *server, unsigned long *unlogged)
{
	struct timespec now;
	int hold;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&server->log_lock);
	hold = now.tv_sec < server->next_limit_log;
	if (hold) {
		server->limit_unlogged++;
	} else {
		*unlogged = server->limit_unlogged;
		server->limit_unlogged = 0;
		server->next_limit_log = now.tv_sec + 60;
	}
	pthread_mutex_unlock(&server->log_lock);
	return hold;
}

static void log_to_swift(void *cls, const char *format, va_list args)
{
	struct dl_http_server *server = cls;
	unsigned long unlogged = 0;
	char *message, *counted;
	size_t len;

	if (strncmp(format, LIMIT_MESSAGE, strlen(LIMIT_MESSAGE)) == 0 && hold_back_limit_message(server, &unlogged))
		return;
	if (vasprintf(&message, format, args) < 0)
		return;
	if (unlogged > 0) {
		len = strlen(message);
		if (len > 0 && message[len - 1] == '\n')
			message[len - 1] = '\0';
		if (asprintf(&counted, "%s (and %lu more since the last such message)", message, unlogged) >= 0) {
			free(message);
			message = counted;
		}
	}
	server->log(server->ctx, message);
	free(message);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct dl_http_server *server = cls;
	struct dl_http_request request = { connection, method, url };
	struct dl_http_reply reply = { 500, "text/plain; charset=utf-8", NULL, NULL, NULL, 0, NULL };
	struct MHD_Response *response;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	/* Every path needs the credentials when users are configured, /-/healthy included. */
	if (server->user_count > 0 && !authorized(server, connection))
		return refuse(connection);
	/* Every route answers at once; a request body is never read (MHD discards it). */
	server->handler(server->ctx, &request, &reply);
	response = MHD_create_response_from_buffer(reply.body_len, reply.body, MHD_RESPMEM_MUST_FREE);
	if (!response) {
		free(reply.body);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type);
	if (reply.content_encoding)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_ENCODING, reply.content_encoding);
	if (reply.allow)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, reply.allow);
	if (reply.vary)
		MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, reply.vary);
	ret = MHD_queue_response(connection, reply.status, response);
	MHD_destroy_response(response);
	return ret;
}

static void free_server(struct dl_http_server *server)
{
	size_t i;

	for (i = 0; i < server->user_count; i++) {
		free(server->users[i].name);
		free(server->users[i].hash);
		if (server->users[i].verified) {
			explicit_bzero(server->users[i].verified, strlen(server->users[i].verified));
			free(server->users[i].verified);
		}
	}
	free(server->users);
	if (server->tls_key) {
		explicit_bzero(server->tls_key, strlen(server->tls_key));
		free(server->tls_key);
	}
	free(server->tls_cert);
	pthread_mutex_destroy(&server->cache_lock);
	pthread_mutex_destroy(&server->log_lock);
	free(server);
}

static int copy_security(struct dl_http_server *server, const struct dl_http_security *security)
{
	size_t i;

	if (!security)
		return 0;
	if (security->tls_cert_pem && security->tls_key_pem) {
		server->tls_cert = strdup(security->tls_cert_pem);
		server->tls_key = strdup(security->tls_key_pem);
		if (!server->tls_cert || !server->tls_key)
			return -1;
	}
	if (security->user_count == 0)
		return 0;
	server->users = calloc(security->user_count, sizeof(*server->users));
	if (!server->users)
		return -1;
	server->user_count = security->user_count;
	for (i = 0; i < security->user_count; i++) {
		server->users[i].name = strdup(security->users[i].name);
		server->users[i].hash = strdup(security->users[i].hash);
		if (!server->users[i].name || !server->users[i].hash)
			return -1;
	}
	return 0;
}

/* Whether descriptors `a` and `b` are open on the same file (one socket, here). */
static int same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

struct dl_http_server *dl_http_start(int listen_fd, const struct dl_http_limits *limits,
				     const struct dl_http_security *security,
				     dl_http_handler handler, dl_http_log_fn log, void *ctx)
{
	struct dl_http_server *server = calloc(1, sizeof(*server));
	/*
	 * poll(), not epoll: with epoll (edge-triggered) libmicrohttpd 0.9.75 misses the
	 * EOF of a client that sent part of a request and closed, keeping the connection
	 * until the timeout, so a burst of such clients holds every slot of the limit.
	 * With at most a few dozen connections per thread, poll costs nothing.
	 */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[4];
	size_t n = 0;
	int daemon_fd;

	if (!server)
		return NULL;
	pthread_mutex_init(&server->cache_lock, NULL);
	pthread_mutex_init(&server->log_lock, NULL);
	server->handler = handler;
	server->log = log;
	server->ctx = ctx;
	if (copy_security(server, security) != 0) {
		log(ctx, "out of memory copying the web configuration");
		free_server(server);
		return NULL;
	}
	/*
	 * libmicrohttpd 0.9.75 closes the socket it was given on some failure paths
	 * (a key that does not match the certificate, a thread that does not start)
	 * and not on others (a bad option): it gets a duplicate, so `listen_fd` stays
	 * the caller's to close whatever happens.
	 */
	daemon_fd = fcntl(listen_fd, F_DUPFD_CLOEXEC, 0);
	if (daemon_fd < 0) {
		log(ctx, "duplicating the listening socket failed: out of file descriptors?");
		free_server(server);
		return NULL;
	}
	if (server->tls_cert) {
		flags |= MHD_USE_TLS;
		tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, server->tls_cert };
		tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, server->tls_key };
		/* TLS 1.2 and 1.3 only, as the exporter-toolkit's default min_version. */
		tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
			(void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" };
	}
	tls[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	server->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL,
		on_request, server,
		MHD_OPTION_EXTERNAL_LOGGER, log_to_swift, server,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)daemon_fd,
		MHD_OPTION_THREAD_POOL_SIZE, limits->threads,
		MHD_OPTION_CONNECTION_LIMIT, limits->connection_limit,
		/*
		 * The timeout is an idle timeout: without this, one host trickling a byte a
		 * second on enough sockets holds every slot and no scrape gets through.
		 */
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits->per_ip_connection_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, limits->connection_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits->connection_memory,
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
	if (!server->daemon) {
		/*
		 * Closed by libmicrohttpd, or still ours; if closed, its number may already
		 * name another thread's new file, which is not our socket and stays open.
		 */
		if (same_file(daemon_fd, listen_fd))
			close(daemon_fd);
		free_server(server);
		return NULL;
	}
	return server;
}

void dl_http_stop(struct dl_http_server *server)
{
	if (!server)
		return;
	MHD_stop_daemon(server->daemon);
	free_server(server);
}

const char *dl_http_method(const struct dl_http_request *request) { return request->method; }
const char *dl_http_path(const struct dl_http_request *request) { return request->path; }

const char *dl_http_header(const struct dl_http_request *request, const char *name)
{
	return MHD_lookup_connection_value(request->connection, MHD_HEADER_KIND, name);
}

const char *dl_http_query(const struct dl_http_request *request, const char *name)
{
	return MHD_lookup_connection_value(request->connection, MHD_GET_ARGUMENT_KIND, name);
}

struct query_walk {
	dl_http_query_visitor visit;
	void *ctx;
};

static enum MHD_Result visit_argument(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query_walk *walk = cls;

	(void)kind;
	walk->visit(walk->ctx, key, value);
	return MHD_YES;
}

void dl_http_query_each(const struct dl_http_request *request, dl_http_query_visitor visit, void *ctx)
{
	struct query_walk walk = { visit, ctx };

	MHD_get_connection_values(request->connection, MHD_GET_ARGUMENT_KIND, visit_argument, &walk);
}
