/*
 * casetrail probe: the media prober as a command. The server executes
 * it (probe_run() in src/media/probe_run.c) for every ingested file, so
 * that decoders run in a process of their own. It reads only FILE and
 * writes only stdout and the thumbnail.
 */
#include "common/common.h"

#include <libavutil/log.h>
#include <sys/resource.h>

#include "cli.h"
#include "media/probe.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif

static const char probe_help[] =
	"Usage: casetrail probe FILE [--thumb OUT.jpg] [--max-side N]\n"
	"                       [--cpu-seconds N] [--memory-mb N]\n"
	"\n"
	"Prints what a photo, video or audio file states about itself as one\n"
	"line of JSON: kind, format, streams, duration, capture time with\n"
	"every clue seen, GPS position, device, and \"problems\" for damage.\n"
	"A damaged file is not an error (exit 0); exit 2 means a usage error\n"
	"or a FILE that cannot be opened.\n"
	"\n"
	"  --thumb OUT.jpg    write a JPEG thumbnail of a photo (turned\n"
	"                     upright) or a poster frame of a video\n"
	"  --max-side N       longest side of the thumbnail in pixels\n"
	"                     (default 320, at most 4096)\n"
	"  --cpu-seconds N    CPU time limit of this process (RLIMIT_CPU)\n"
	"  --memory-mb N      address space limit in MiB (RLIMIT_AS); ignored\n"
	"                     in AddressSanitizer builds\n";

static int set_limit(int resource, uint64_t value, const char *option)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

	if (setrlimit(resource, &rl) != 0)
		return cli_failf("cannot apply %s %" PRIu64 ": %s", option,
				 value, strerror(errno));
	return 0;
}

/* Applies --cpu-seconds and --memory-mb before any file is read. */
static int apply_limits(uint64_t cpu_seconds, uint64_t memory_mb)
{
	if (cpu_seconds && set_limit(RLIMIT_CPU, cpu_seconds,
				     "--cpu-seconds"))
		return EXIT_ERROR;
#ifdef ASAN_BUILD
	/* AddressSanitizer reserves terabytes of shadow address space, so
	 * any RLIMIT_AS would stop it at start. The parent's VmRSS watch is
	 * the memory limit of such builds. */
	(void)memory_mb;
#else
	if (memory_mb && memory_mb <= UINT64_MAX / (1024 * 1024) &&
	    set_limit(RLIMIT_AS, memory_mb * 1024 * 1024, "--memory-mb"))
		return EXIT_ERROR;
#endif
	return 0;
}

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "thumb", required_argument, NULL, 't' },
		{ "max-side", required_argument, NULL, 's' },
		{ "cpu-seconds", required_argument, NULL, 'c' },
		{ "memory-mb", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe_opts po = { .max_side = PROBE_THUMB_SIDE_DEFAULT };
	uint64_t side = PROBE_THUMB_SIDE_DEFAULT, cpu = 0, mem = 0;
	struct error err = { 0 };
	json_t *report;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': po.thumb_out = optarg; break;
		case 's':
			if (cli_parse_u64("--max-side", optarg, &side))
				return EXIT_ERROR;
			break;
		case 'c':
			if (cli_parse_u64("--cpu-seconds", optarg, &cpu))
				return EXIT_ERROR;
			break;
		case 'm':
			if (cli_parse_u64("--memory-mb", optarg, &mem))
				return EXIT_ERROR;
			break;
		case 'h': fputs(probe_help, stdout); return EXIT_OK;
		default: return cli_bad_option("probe", argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage("probe", optind < argc
					  ? "expected one FILE, got more"
					  : "missing FILE");
	if (side < 1 || side > PROBE_THUMB_SIDE_MAX)
		return cli_usage("probe", "--max-side %" PRIu64 " is out of "
				 "range; use 1 to %d", side,
				 PROBE_THUMB_SIDE_MAX);
	if (po.thumb_out && !*po.thumb_out)
		return cli_usage("probe", "--thumb is empty; name the JPEG "
				 "file to write");
	po.max_side = (int)side;
	if (apply_limits(cpu, mem))
		return EXIT_ERROR;

	av_log_set_level(AV_LOG_QUIET);
	if (probe_file(argv[optind], &po, &report, &err) != 0)
		return cli_fail(&err);
	cli_print_json(report);
	return EXIT_OK;
}
