/*
 * The baseline server of bench/api: libmicrohttpd serving fixed bytes
 * from memory, with the daemon options of casetrail's server
 * (src/http/server.c) and none of its work per request.
 *
 *   mhd_static THREADS PORT URL_PATH FILE [URL_PATH FILE]...
 *
 * Runs a pool of THREADS polling threads, which bench/api sets to the
 * POOL_THREADS of src/http/server.c. Listens on 127.0.0.1:PORT (0 picks
 * a free port) and prints
 * "listening port=N" on standard output once bound. A GET or HEAD of
 * URL_PATH gets 200 with the bytes of FILE, read at start, as
 * application/json. The query string is ignored. Other paths get 404 and
 * other methods 405. SIGINT or SIGTERM stops it.
 */
#include "common/common.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

/* The same values as casetrail's server, so that only the handler differs. */
#define CONNECTION_LIMIT 512
#define CONNECTION_TIMEOUT_S 30

#define ROUTES_MAX 8

struct route {
	const char *path;
	struct MHD_Response *response;
};

struct routes {
	struct route items[ROUTES_MAX];
	size_t n;
	struct MHD_Response *not_found, *not_allowed;
};

static const char usage[] =
	"Usage: mhd_static THREADS PORT URL_PATH FILE [URL_PATH FILE]...\n";

/* Returns the whole file at path in a new buffer, or NULL on failure. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long size;

	if (!f) {
		fprintf(stderr, "mhd_static: cannot open '%s': %s\n", path,
			strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto out_close;
	data = malloc((size_t)size + 1);
	if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
		free(data);
		data = NULL;
	}
	*len = (size_t)size;

out_close:
	if (!data)
		fprintf(stderr, "mhd_static: cannot read '%s'\n", path);
	fclose(f);
	return data;
}

/*
 * Builds one response that every request for its path shares.
 * libmicrohttpd counts the references, so queueing it again is safe.
 */
static struct MHD_Response *json_response(const char *data, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, (void *)data, MHD_RESPMEM_PERSISTENT);

	if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					 "application/json") != MHD_YES) {
		MHD_destroy_response(r);
		r = NULL;
	}
	return r;
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *c,
				      const char *url, const char *method,
				      const char *version,
				      const char *upload_data,
				      size_t *upload_data_size, void **req_cls)
{
	static int header_seen;
	const struct routes *routes = cls;

	(void)version;
	(void)upload_data;
	/*
	 * libmicrohttpd 0.9.75 sends "Connection: close" with a reply queued
	 * in the first call, made when the header arrives, so the reply waits
	 * for the second call, as in casetrail's server.
	 */
	if (!*req_cls) {
		*req_cls = &header_seen;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0; /* a body is read and dropped */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED,
					  routes->not_allowed);
	for (size_t i = 0; i < routes->n; i++)
		if (!strcmp(url, routes->items[i].path))
			return MHD_queue_response(c, MHD_HTTP_OK,
						  routes->items[i].response);
	return MHD_queue_response(c, MHD_HTTP_NOT_FOUND, routes->not_found);
}

/* Parses argv into routes. Returns 0, or -1 after printing the problem. */
static int parse_routes(int argc, char **argv, struct routes *routes)
{
	if (argc < 5 || argc % 2 == 0 || (size_t)(argc - 3) / 2 > ROUTES_MAX) {
		fprintf(stderr, "%sGive 1 to %d URL_PATH FILE pairs.\n", usage,
			ROUTES_MAX);
		return -1;
	}
	for (int i = 3; i < argc; i += 2) {
		struct route *r = &routes->items[routes->n++];
		size_t len = 0;
		char *data = read_file(argv[i + 1], &len);

		if (!data)
			return -1;
		r->path = argv[i];
		r->response = json_response(data, len);
		if (!r->response) {
			fprintf(stderr, "mhd_static: out of memory\n");
			return -1;
		}
	}
	routes->not_found = json_response("", 0);
	routes->not_allowed = json_response("", 0);
	if (!routes->not_found || !routes->not_allowed ||
	    MHD_add_response_header(routes->not_allowed, MHD_HTTP_HEADER_ALLOW,
				    "GET, HEAD") != MHD_YES) {
		fprintf(stderr, "mhd_static: out of memory\n");
		return -1;
	}
	return 0;
}

/* Parses a decimal number from min to max, or prints what is wrong. */
static int parse_number(const char *name, const char *text, unsigned long min,
			unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(text, &end, 10);
	if (errno || end == text || *end || *out < min || *out > max) {
		fprintf(stderr, "mhd_static: %s '%s' is invalid; give %lu to "
			"%lu\n", name, text, min, max);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct routes routes = { 0 };
	struct sockaddr_in addr = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *daemon;
	unsigned long threads, port;
	sigset_t signals;
	int sig;

	if (parse_routes(argc, argv, &routes) != 0 ||
	    parse_number("THREADS", argv[1], 1, 1024, &threads) != 0 ||
	    parse_number("PORT", argv[2], 0, 65535, &port) != 0)
		return 2;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	/* Blocked before the daemon's threads start, so that they inherit it. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);

	/* clang-format off */
	daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_USE_ERROR_LOG, 0, NULL, NULL, handle_request, &routes,
		MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
		MHD_OPTION_END);
	/* clang-format on */
	if (!daemon) {
		fprintf(stderr, "mhd_static: cannot listen on 127.0.0.1:%lu; "
			"check that no other server uses the port\n", port);
		return 1;
	}
	info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
	printf("listening port=%u\n", info ? info->port : 0);
	fflush(stdout);

	while (sigwait(&signals, &sig) != 0)
		;
	MHD_stop_daemon(daemon);
	return 0;
}
