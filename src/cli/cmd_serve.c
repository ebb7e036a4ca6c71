/* The serve command: runs the HTTP server on a store and the bureau data. */
#include "common/common.h"

#include "cli.h"
#include "http/http.h"

static const char serve_help[] =
	"Usage: casetrail serve [--dir DIR] [--data DIR] [--listen ADDR:PORT]\n"
	"\n"
	"Serves the store over HTTP until SIGINT or SIGTERM, signs a\n"
	"checkpoint at most 250 ms after each append and re-evaluates the\n"
	"deadlines of open cases once a minute. Logs go to stderr as logfmt\n"
	"lines (level from $CASETRAIL_LOG: debug, info, warn, error).\n"
	"\n"
	"  --dir DIR          the store (default $CASETRAIL_DIR, else ./var/casetrail)\n"
	"  --data DIR         the bureau data: matters, record kinds, laws and\n"
	"                     calendar (default $CASETRAIL_DATA, else the data/\n"
	"                     folder of the source tree casetrail was built from)\n"
	"  --listen ADDR:PORT the address to listen on (default 127.0.0.1:8080;\n"
	"                     port 0 picks a free port; [::1]:PORT for IPv6)\n";

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "data", required_argument, NULL, 'D' },
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *data = NULL, *listen = "127.0.0.1:8080";
	struct error err = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'D': data = optarg; break;
		case 'l': listen = optarg; break;
		case 'h': fputs(serve_help, stdout); return EXIT_OK;
		default: return cli_bad_option("serve", argv);
		}
	}
	if (optind < argc)
		return cli_usage("serve", "unexpected argument '%s'",
				 argv[optind]);
	if (http_serve(cli_store_dir(dir), cli_data_dir(data), listen, &err) !=
	    0)
		return cli_fail(&err);
	return EXIT_OK;
}
