/* The serve command: runs the HTTP server on a store and the bureau data. */
#include "common/common.h"

#include <limits.h>
#include <unistd.h>

#include "cli.h"
#include "cli/build_config.h"
#include "http/http.h"

/* The longest --probe-seconds: one probe of a file, not a batch. */
#define PROBE_SECONDS_MAX 3600
/* 100 years: far beyond any retention rule, and well within an int. */
#define SURVEILLANCE_DAYS_MAX 36500

static const char serve_help[] =
	"Usage: casetrail serve [--dir DIR] [--data DIR] [--listen ADDR:PORT]\n"
	"                       [--tls-cert FILE --tls-key FILE]\n"
	"                       [--trusted-proxy ADDR]... [--proxy-tls]\n"
	"                       [--surveillance-days N] [--probe-seconds N]\n"
	"                       [--web DIR]\n"
	"\n"
	"Serves the store over HTTP, or HTTPS with a certificate, until\n"
	"SIGINT or SIGTERM, signs a\n"
	"checkpoint at most 250 ms after each append and re-evaluates the\n"
	"deadlines of open cases once a minute. Logs go to stderr as logfmt\n"
	"lines (level from $CASETRAIL_LOG: debug, info, warn, error).\n"
	"\n"
	"  --dir DIR          the store (default $CASETRAIL_DIR, else ./var/casetrail)\n"
	"  --data DIR         the bureau data: matters, record kinds, laws and\n"
	"                     calendar (default $CASETRAIL_DATA, else the data/\n"
	"                     folder of the source tree casetrail was built from)\n"
	"  --listen ADDR:PORT the address to listen on (default 127.0.0.1:8080;\n"
	"                     port 0 picks a free port; [::1]:PORT for IPv6)\n"
	"  --tls-cert FILE    serve HTTPS (TLS 1.2 and 1.3) with the PEM\n"
	"                     certificate in FILE, followed by any\n"
	"                     intermediate certificates; needs --tls-key\n"
	"  --tls-key FILE     the certificate's unencrypted PEM private key;\n"
	"                     only its owner may access FILE (chmod 600)\n"
	"  --trusted-proxy ADDR\n"
	"                     the numeric IP address of a reverse proxy in\n"
	"                     front; a request from it counts as coming from\n"
	"                     the last address of its X-Forwarded-For header\n"
	"                     (in the access log and the access checks); may\n"
	"                     be given up to 8 times\n"
	"  --proxy-tls        the trusted proxy terminates TLS for every\n"
	"                     client: session cookies get the Secure\n"
	"                     attribute although casetrail speaks HTTP\n"
	"  --surveillance-days N\n"
	"                     days window surveillance footage is kept before\n"
	"                     it may be purged (default and minimum 60)\n"
	"  --probe-seconds N  wall-clock limit in seconds of probing one\n"
	"                     ingested file (default 20, at most 3600)\n"
	"  --web DIR          the browser UI's folder, served at / (default\n"
	"                     $CASETRAIL_WEB, else the web/ folder of the\n"
	"                     source tree); without it the API serves alone\n";

/* Parses a count of days or seconds from min to max into *out. */
static int parse_count(const char *option, const char *text, uint64_t min,
		       uint64_t max, int *out)
{
	uint64_t v;

	if (cli_parse_u64(option, text, &v) != 0)
		return EXIT_ERROR;
	if (v < min || v > max)
		return cli_usage("serve", "%s %s is out of range; give %" PRIu64
				 " to %" PRIu64, option, text, min, max);
	*out = (int)v;
	return 0;
}

/* Parses --surveillance-days, which may not go below the legal minimum. */
static int parse_surveillance_days(const char *text, int *out)
{
	uint64_t v;

	if (cli_parse_u64("--surveillance-days", text, &v) != 0)
		return EXIT_ERROR;
	if (v < MEDIA_SURVEILLANCE_DAYS_MIN)
		return cli_usage("serve", "--surveillance-days %s is below %d, "
				 "the minimum number of days window "
				 "surveillance footage must be kept; give %d "
				 "or more",
				 text, MEDIA_SURVEILLANCE_DAYS_MIN,
				 MEDIA_SURVEILLANCE_DAYS_MIN);
	return parse_count("--surveillance-days", text,
			   MEDIA_SURVEILLANCE_DAYS_MIN, SURVEILLANCE_DAYS_MAX,
			   out);
}

/* Adds one --trusted-proxy; the server checks that it is an address. */
static int add_trusted_proxy(struct http_options *http, const char *addr)
{
	if (http->trusted_proxy_count == HTTP_TRUSTED_PROXIES_MAX)
		return cli_usage("serve", "--trusted-proxy is given more than "
				 "%d times; name at most %d proxies",
				 HTTP_TRUSTED_PROXIES_MAX,
				 HTTP_TRUSTED_PROXIES_MAX);
	http->trusted_proxies[http->trusted_proxy_count++] = addr;
	return 0;
}

/*
 * Resolves the running program, which probes ingested files in a child
 * process, once at start: a later upgrade of the installed binary then
 * does not mix two versions in one server.
 */
static int resolve_self(char *out, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", out, n - 1);

	if (len < 0)
		return cli_failf("cannot resolve /proc/self/exe, the program "
				 "that probes media files: %s; mount /proc",
				 strerror(errno));
	if ((size_t)len >= n - 1)
		return cli_failf("the path of the casetrail program is longer "
				 "than %zu bytes", n - 2);
	out[len] = '\0';
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "data", required_argument, NULL, 'D' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "trusted-proxy", required_argument, NULL, 't' },
		{ "proxy-tls", no_argument, NULL, 'P' },
		{ "surveillance-days", required_argument, NULL, 's' },
		{ "probe-seconds", required_argument, NULL, 'p' },
		{ "web", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *data = NULL;
	struct http_options http = { .listen_addr = "127.0.0.1:8080" };
	struct media_config media_cfg = {
		.surveillance_days = MEDIA_SURVEILLANCE_DAYS_MIN,
		.utc_offset_min = 480,
	};
	static char self[PATH_MAX];
	struct error err = { 0 };
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'D': data = optarg; break;
		case 'l': http.listen_addr = optarg; break;
		case 'c': http.tls_cert_path = optarg; break;
		case 'k': http.tls_key_path = optarg; break;
		case 't': rc = add_trusted_proxy(&http, optarg); break;
		case 'P': http.proxy_tls = true; break;
		case 'w': http.web_dir = optarg; break;
		case 's':
			rc = parse_surveillance_days(
			    optarg, &media_cfg.surveillance_days);
			break;
		case 'p':
			rc = parse_count("--probe-seconds", optarg, 1,
					 PROBE_SECONDS_MAX,
					 &media_cfg.probe_seconds);
			break;
		case 'h': fputs(serve_help, stdout); return EXIT_OK;
		default: return cli_bad_option("serve", argv);
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return cli_usage("serve", "unexpected argument '%s'",
				 argv[optind]);
	if (!http.tls_cert_path != !http.tls_key_path)
		return cli_usage("serve", "--tls-cert and --tls-key go "
				 "together; give both to serve HTTPS, or "
				 "neither to serve plain HTTP");
	if (!http.web_dir)
		http.web_dir = getenv("CASETRAIL_WEB");
	if (!http.web_dir || !*http.web_dir)
		http.web_dir = CASETRAIL_WEB_DIR;
	if (resolve_self(self, sizeof(self)) != 0)
		return EXIT_ERROR;
	media_cfg.probe_exe = self;
	if (http_serve(cli_store_dir(dir), cli_data_dir(data), &http,
		       &media_cfg, &err) != 0)
		return cli_fail(&err);
	return EXIT_OK;
}
