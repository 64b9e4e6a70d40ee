#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "CMicroHTTPD.h"

struct dl_http_server {
	struct MHD_Daemon *daemon;
	dl_http_handler handler;
	dl_http_log_fn log;
	void *ctx;
};

struct dl_http_request {
	struct MHD_Connection *connection;
	const char *method;
	const char *path;
};

static void log_to_swift(void *cls, const char *format, va_list args)
{
	struct dl_http_server *server = cls;
	char *message;

	if (vasprintf(&message, format, args) < 0)
		return;
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

struct dl_http_server *dl_http_start(int listen_fd, const struct dl_http_limits *limits,
				     dl_http_handler handler, dl_http_log_fn log, void *ctx)
{
	struct dl_http_server *server = calloc(1, sizeof(*server));

	if (!server)
		return NULL;
	server->handler = handler;
	server->log = log;
	server->ctx = ctx;
	server->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		on_request, server,
		MHD_OPTION_EXTERNAL_LOGGER, log_to_swift, server,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
		MHD_OPTION_THREAD_POOL_SIZE, limits->threads,
		MHD_OPTION_CONNECTION_LIMIT, limits->connection_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, limits->connection_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits->connection_memory,
		MHD_OPTION_END);
	if (!server->daemon) {
		free(server);
		return NULL;
	}
	return server;
}

void dl_http_stop(struct dl_http_server *server)
{
	if (!server)
		return;
	MHD_stop_daemon(server->daemon);
	free(server);
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
