/* Helpers shared by the commands: errors, options, numbers and times. */
#include "common/common.h"

#include <pwd.h>
#include <unistd.h>

#include <getopt.h>

#include "cli.h"
#include "cli/build_config.h"
#include "common/log.h"

int cli_fail(const struct error *err)
{
	fprintf(stderr, "casetrail: %s\n",
		err->msg[0] ? err->msg : ct_strerror(err->code));
	return EXIT_ERROR;
}

int cli_failf(const char *fmt, ...)
{
	va_list ap;

	fputs("casetrail: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ERROR;
}

int cli_usage(const char *command, const char *fmt, ...)
{
	va_list ap;

	fputs("casetrail: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'casetrail %s --help' for usage.\n", command);
	return EXIT_ERROR;
}

int cli_bad_option(const char *command, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (strncmp(arg, "--", 2) == 0 || optopt <= ' ' || optopt > '~')
		return cli_usage(command, "option '%.*s' is invalid or lacks "
				 "its value", (int)strcspn(arg, "="), arg);
	return cli_usage(command, "option '-%c' is invalid; a negative "
			 "number or a name starting with '-' goes after --",
			 optopt);
}

const char *cli_store_dir(const char *option)
{
	const char *env = getenv("CASETRAIL_DIR");

	if (option && !*option) {
		cli_failf("--dir is empty; name the store's folder");
		exit(EXIT_ERROR);
	}
	if (option)
		return option;
	if (env && *env)
		return env;
	return "./var/casetrail";
}

const char *cli_data_dir(const char *option)
{
	const char *env = getenv("CASETRAIL_DATA");

	if (option && !*option) {
		cli_failf("--data is empty; name the bureau data folder");
		exit(EXIT_ERROR);
	}
	if (option)
		return option;
	if (env && *env)
		return env;
	return CASETRAIL_DATA_DIR;
}

const char *cli_os_user(void)
{
	static char name[64];
	struct passwd pw, *found = NULL;
	char scratch[1024];

	if (name[0])
		return name;
	if (getpwuid_r(getuid(), &pw, scratch, sizeof(scratch), &found) == 0 &&
	    found)
		snprintf(name, sizeof(name), "%s", found->pw_name);
	else
		snprintf(name, sizeof(name), "uid-%u", (unsigned)getuid());
	return name;
}

const char *cli_actor(const char *option)
{
	if (option && !*option) {
		cli_failf("--as is empty; name the acting staff member");
		exit(EXIT_ERROR);
	}
	return option ? option : cli_os_user();
}

int cli_parse_u64(const char *what, const char *text, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = text;

	if (!text || !*text)
		return cli_failf("%s is missing", what);
	if (p[0] == '0' && p[1] != '\0')
		return cli_failf("invalid %s '%s': write it without leading "
				 "zeros", what, text);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return cli_failf("invalid %s '%s': expected a decimal "
					 "number", what, text);
		if (v > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10)
			return cli_failf("invalid %s '%s': larger than %" PRId64,
					 what, text, INT64_MAX);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

/* Reads exactly n digits at *p into *out; advances *p. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

static int parse_offset(const char *p, int *offset_s)
{
	int sign, h, m;

	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
		*offset_s = 0;
		return 0;
	}
	if (p[0] != '+' && p[0] != '-')
		return -1;
	sign = p[0] == '-' ? -1 : 1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &m) || *p ||
	    h > 23 || m > 59)
		return -1;
	*offset_s = sign * (h * 3600 + m * 60);
	return 0;
}

int cli_parse_time(const char *what, const char *text, int64_t *out_ms)
{
	struct tm tm = { 0 };
	const char *p = text;
	int y, mo, d, h, mi, s, ms = 0, off;
	time_t t;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d) ||
	    (*p != 'T' && *p != 't' && *p != ' ') ||
	    (p++, digits(&p, 2, &h)) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &s))
		goto invalid;
	if (*p == '.') {
		int n = 0;

		p++;
		while (*p >= '0' && *p <= '9') {
			if (n < 3)
				ms = ms * 10 + (*p - '0');
			n++;
			p++;
		}
		if (n == 0)
			goto invalid;
		for (; n < 3; n++)
			ms *= 10;
	}
	if (parse_offset(p, &off) || y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > 31 || h > 23 || mi > 59 || s > 60)
		goto invalid;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	if (tm.tm_mday != d)
		goto invalid;
	*out_ms = ((int64_t)t - off) * 1000 + ms;
	if (*out_ms < 0)
		goto invalid;
	/* Records describe what happened; allow a few minutes of skew. */
	if (*out_ms > (int64_t)time(NULL) * 1000 + 5 * 60 * 1000)
		return cli_failf("invalid %s '%s': it is in the future; give "
				 "the time the event happened", what, text);
	return 0;
invalid:
	return cli_failf("invalid %s '%s': expected an RFC 3339 time such as "
			 "2026-12-04T09:30:00+08:00", what, text);
}

void cli_print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_PRESERVE_ORDER |
				       JSON_INDENT(0));

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	json_decref(v);
}

void cli_setup_logging(int is_server)
{
	const char *env = getenv("CASETRAIL_LOG");
	int level = env ? log_level_parse(env) : -1;

	if (level < 0)
		level = is_server ? LOG_INFO : LOG_WARN;
	log_set_level((enum log_level)level);
}
