/* The serve command: runs the HTTP server on a store. */
#include "common/common.h"

#include "cli.h"
#include "http/http.h"

static const char serve_help[] =
	"Usage: casetrail serve [--dir DIR] [--listen ADDR:PORT]\n"
	"\n"
	"Serves the store over HTTP until SIGINT or SIGTERM, and signs a\n"
	"checkpoint at most 250 ms after each append. Logs go to stderr as\n"
	"logfmt lines (level from $CASETRAIL_LOG: debug, info, warn, error).\n"
	"\n"
	"  --dir DIR          the store (default $CASETRAIL_DIR, else ./var/casetrail)\n"
	"  --listen ADDR:PORT the address to listen on (default 127.0.0.1:8080;\n"
	"                     port 0 picks a free port; [::1]:PORT for IPv6)\n";

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *listen = "127.0.0.1:8080";
	struct error err = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'l': listen = optarg; break;
		case 'h': fputs(serve_help, stdout); return EXIT_OK;
		default: return cli_bad_option("serve", argv);
		}
	}
	if (optind < argc)
		return cli_usage("serve", "unexpected argument '%s'",
				 argv[optind]);
	if (http_serve(cli_store_dir(dir), listen, &err) != 0)
		return cli_fail(&err);
	return EXIT_OK;
}
