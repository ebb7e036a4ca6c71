/*
 * The deadline command: counts one time limit on the official calendar
 * and prints the due date, optionally with every day it looked at. It
 * needs no store, only the calendar under the bureau data folder.
 */
#include "common/common.h"

#include "cli.h"
#include "deadlines/deadlines.h"

static const char deadline_help[] =
	"Usage: casetrail deadline --from DATE (--working-days N |\n"
	"         --calendar-days N | --hours N [--at TIME]) [--explain]\n"
	"         [--json] [--data DIR]\n"
	"\n"
	"Counts a time limit from its trigger and prints the due date as\n"
	"YYYY-MM-DD, followed by \" provisional\" when it depends on a year\n"
	"whose official calendar is not published yet.\n"
	"\n"
	"  --from DATE        the trigger day (YYYY-MM-DD, China Standard\n"
	"                     Time); days count from the day after\n"
	"  --working-days N   N working days (0..3650)\n"
	"  --calendar-days N  N calendar days (0..3650); a last day on a\n"
	"                     rest day moves to the next working day\n"
	"  --hours N          N hours (0..87600) from --at on --from;\n"
	"                     prints the end as YYYY-MM-DD HH:MM\n"
	"  --at TIME          the trigger time for --hours, HH:MM or\n"
	"                     HH:MM:SS in China Standard Time (default\n"
	"                     00:00)\n"
	"  --explain          also print every day looked at: date,\n"
	"                     weekday, counted or why not, and the count\n"
	"  --json             print {\"due\", \"provisional\", \"unit\",\n"
	"                     \"n\", \"from\", \"days\"}, and \"start\" and\n"
	"                     \"end\" for --hours\n"
	"  --data DIR         the bureau data folder, whose calendar/\n"
	"                     holds YYYY.json (default $CASETRAIL_DATA,\n"
	"                     else the source tree's data/)\n";

static const char *const weekday_names[7] = {
	"星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日",
};

struct request {
	int32_t from;
	int64_t trigger_ms;
	int n;
	enum limit_unit unit;
	int explain, as_json;
	const char *data;
};

/* Parses HH:MM or HH:MM:SS into milliseconds after midnight. */
static int parse_clock(const char *text, int64_t *ms)
{
	int part[3] = { 0, 0, 0 }, nparts = 0;
	const char *p = text;

	while (nparts < 3) {
		if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
			return -1;
		part[nparts++] = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p != ':')
			break;
		p++;
	}
	if (*p || nparts < 2 || part[0] > 23 || part[1] > 59 || part[2] > 59)
		return -1;
	*ms = ((int64_t)part[0] * 3600 + part[1] * 60 + part[2]) * 1000;
	return 0;
}

/* Formats a UTC time as China Standard Time, "YYYY-MM-DD HH:MM[:SS]". */
static void format_cst(int64_t utc_ms, char out[32], int rfc3339)
{
	int32_t day = day_of_ms(utc_ms);
	int64_t s = (utc_ms - day_start_ms(day)) / 1000;
	char date[11];

	day_format(day, date);
	if (rfc3339)
		snprintf(out, 32, "%sT%02d:%02d:%02d+08:00", date,
			 (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
	else if (s % 60)
		snprintf(out, 32, "%s %02d:%02d:%02d", date, (int)(s / 3600),
			 (int)(s / 60 % 60), (int)(s % 60));
	else
		snprintf(out, 32, "%s %02d:%02d", date, (int)(s / 3600),
			 (int)(s / 60 % 60));
}

static int set_unit(struct request *r, int *units, enum limit_unit unit,
		    const char *option, const char *value)
{
	int max = unit == UNIT_HOURS ? LIMIT_HOURS_MAX : LIMIT_DAYS_MAX;
	uint64_t n;

	if (++*units > 1)
		return cli_usage("deadline", "give only one of --working-days, "
				 "--calendar-days and --hours");
	if (cli_parse_u64(option, value, &n))
		return EXIT_ERROR;
	if (n > (uint64_t)max)
		return cli_failf("invalid %s %s: expected 0..%d", option,
				 value, max);
	r->unit = unit;
	r->n = (int)n;
	return 0;
}

static int parse_args(int argc, char **argv, struct request *r)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "working-days", required_argument, NULL, 'w' },
		{ "calendar-days", required_argument, NULL, 'c' },
		{ "hours", required_argument, NULL, 'H' },
		{ "at", required_argument, NULL, 'a' },
		{ "explain", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "data", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *at = NULL;
	int64_t at_ms = 0;
	int c, units = 0, rc = 0;

	while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': from = optarg; break;
		case 'w': rc = set_unit(r, &units, UNIT_WORKING_DAYS,
					"--working-days", optarg); break;
		case 'c': rc = set_unit(r, &units, UNIT_CALENDAR_DAYS,
					"--calendar-days", optarg); break;
		case 'H': rc = set_unit(r, &units, UNIT_HOURS, "--hours",
					optarg); break;
		case 'a': at = optarg; break;
		case 'e': r->explain = 1; break;
		case 'j': r->as_json = 1; break;
		case 'd': r->data = optarg; break;
		case 'h': fputs(deadline_help, stdout); exit(EXIT_OK);
		default: return cli_bad_option("deadline", argv);
		}
	}
	if (rc)
		return rc;
	if (optind < argc)
		return cli_usage("deadline", "unexpected argument '%s'",
				 argv[optind]);
	if (!from)
		return cli_usage("deadline", "--from DATE is missing");
	if (units == 0)
		return cli_usage("deadline", "give the period with "
				 "--working-days, --calendar-days or --hours");
	if (day_parse(from, &r->from) != 0)
		return cli_failf("invalid --from '%s': expected a real date "
				 "as YYYY-MM-DD, such as 2026-03-02", from);
	if (at && r->unit != UNIT_HOURS)
		return cli_usage("deadline", "--at sets the trigger time of "
				 "--hours only");
	if (at && parse_clock(at, &at_ms) != 0)
		return cli_failf("invalid --at '%s': expected HH:MM or "
				 "HH:MM:SS, such as 09:30", at);
	r->trigger_ms = day_start_ms(r->from) + at_ms;
	return 0;
}

static int load_calendar(const char *data, struct calendar **out)
{
	char dir[PATH_MAX];
	struct error err = { 0 };
	struct calendar *cal;
	int rc;

	if (snprintf(dir, sizeof(dir), "%s/calendar", data) >=
	    (int)sizeof(dir))
		return cli_failf("data folder path '%s' is too long", data);
	cal = calendar_new();
	if (!cal)
		return cli_failf("cannot set up the calendar: out of memory "
				 "or liblunar-date failed (see the log)");
	rc = calendar_load_dir(cal, dir, &err);
	if (rc == CT_ENOTFOUND) {
		calendar_free(cal);
		return cli_failf("%s; give the bureau data folder with --data "
				 "DIR or $CASETRAIL_DATA", err.msg);
	}
	if (rc) {
		calendar_free(cal);
		return cli_fail(&err);
	}
	*out = cal;
	return 0;
}

/* Prints one explain row: date, weekday, counted or not, count, reason. */
static void print_day(const json_t *day)
{
	const char *date = json_string_value(json_object_get(day, "date"));
	const char *reason = json_string_value(json_object_get(day, "why"));
	const json_t *n = json_object_get(day, "n");
	int provisional = json_is_true(json_object_get(day, "provisional"));
	char count[32] = "";
	int32_t d = 0;

	day_parse(date, &d);
	if (json_is_integer(n))
		snprintf(count, sizeof(count), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(n));
	else if (json_is_real(n))
		snprintf(count, sizeof(count), "%.2f", json_real_value(n));
	printf("%s  %s   %-7s  %6s  %s%s%s\n", date,
	       weekday_names[day_weekday(d) - 1],
	       json_is_true(json_object_get(day, "counted")) ? "yes" : "no",
	       count, reason ? reason : "", reason && provisional ? ", " : "",
	       provisional ? "provisional" : "");
}

static void print_text(const struct request *r, const struct due *due,
		       const json_t *days)
{
	char date[11], end[32];
	size_t i;
	const json_t *day;

	if (r->explain) {
		printf("date        weekday  counted       n  note\n");
		json_array_foreach(days, i, day)
			print_day(day);
	}
	day_format(due->day, date);
	if (r->unit == UNIT_HOURS) {
		format_cst(due->at_ms, end, 0);
		printf("%s\n", end);
		return;
	}
	printf("%s%s\n", date, due->provisional ? " provisional" : "");
}

static void print_json(const struct request *r, const struct due *due,
		       json_t *days)
{
	char date[11], from[11], start[32], end[32];
	json_t *o;

	day_format(due->day, date);
	day_format(r->from, from);
	o = json_pack("{s:s, s:b, s:s, s:i, s:s}", "due", date, "provisional",
		      due->provisional, "unit", limit_unit_name(r->unit), "n",
		      r->n, "from", from);
	if (o && r->unit == UNIT_HOURS) {
		format_cst(r->trigger_ms, start, 1);
		format_cst(due->at_ms, end, 1);
		json_object_set_new(o, "start", json_string(start));
		json_object_set_new(o, "end", json_string(end));
	}
	json_object_set(o, "days", days);
	cli_print_json(o);
}

int cmd_deadline(int argc, char **argv)
{
	struct request r = { 0 };
	struct error err = { 0 };
	struct calendar *cal = NULL;
	struct due due;
	json_t *days;
	int rc;

	rc = parse_args(argc, argv, &r);
	if (rc)
		return rc;
	rc = load_calendar(cli_data_dir(r.data), &cal);
	if (rc)
		return rc;
	days = json_array();
	rc = deadline_after(cal, r.from, r.trigger_ms, r.n, r.unit, NULL, 0,
			    &due, days, &err);
	calendar_free(cal);
	if (rc) {
		json_decref(days);
		return cli_fail(&err);
	}
	if (r.as_json)
		print_json(&r, &due, days);
	else
		print_text(&r, &due, days);
	json_decref(days);
	return EXIT_OK;
}
