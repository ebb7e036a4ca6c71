/*
 * The statutory clock: the official working-day calendar and the counting
 * of periods in working days, calendar days and hours.
 *
 * Dates are civil days of China Standard Time (UTC+8), numbered as days
 * since 1970-01-01 (day 0). A working day is a Monday to Friday that is
 * not an official holiday, or a weekend day the State Council made a
 * make-up working day (调休). A year whose calendar is not published is
 * counted with the statutory holidays of 全国年节及纪念日放假办法 (the solar
 * ones and, through liblunar-date, the lunar ones), and every date that
 * depends on such a year is marked provisional. docs/time-limits.md gives
 * the rules with worked examples.
 *
 * A struct calendar is not changed by the counting functions, so once
 * loaded it may be shared by any number of threads.
 */
#ifndef CASETRAIL_DEADLINES_H
#define CASETRAIL_DEADLINES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* The first and last year the calendar counts in. */
#define CAL_YEAR_MIN 2000
#define CAL_YEAR_MAX 2099

/* The maximum n of a period: ten years of days, or of hours. */
#define LIMIT_DAYS_MAX 3650
#define LIMIT_HOURS_MAX 87600

enum limit_unit {
	UNIT_WORKING_DAYS,
	UNIT_CALENDAR_DAYS,
	UNIT_HOURS,
};

struct calendar;

/*
 * Returns an empty calendar, in which every year is unpublished. Returns
 * NULL when out of memory or when liblunar-date fails to convert the
 * lunar holidays (logged).
 */
struct calendar *calendar_new(void);
void calendar_free(struct calendar *cal);

/*
 * Checks a holiday-cn year file ({year, papers[], days[{name, date,
 * isOffDay}]}) without adding it, and stores its year in *year (may be
 * NULL). The error names the member and value of the first problem: a
 * missing or mistyped member, a year outside CAL_YEAR_MIN..MAX, a date
 * listed twice, or a date that is not a real YYYY-MM-DD. A date must also
 * lie in the file's year, the December before or the January after.
 */
int calendar_check_year(const json_t *year_file, int *year,
			struct error *err);

/*
 * Adds or replaces one year from a holiday-cn year file, after the checks
 * of calendar_check_year. The State Council's notice for a year can
 * rearrange the last days of the December before, so days listed of other
 * years are applied too. Where a date is also listed by its own year's
 * file, that listing wins, whatever the order of adding. A make-up working
 * day listed on a Monday to Friday changes nothing (2020.json lists
 * 2020-02-03, the day work resumed). A file with no days marks its year
 * unpublished. Borrows year_file.
 */
int calendar_add_year(struct calendar *cal, const json_t *year_file,
		      struct error *err);

/*
 * Reads and checks one year file (JSON with duplicate keys rejected);
 * on success *year_file is a new reference the caller releases with
 * json_decref. Errors name the file.
 */
int calendar_read_file(const char *path, json_t **year_file,
		       struct error *err);

/*
 * Loads every YYYY.json of dir (other files are ignored). Each file's year
 * member must match its name. Every file is read and checked before any
 * is added, so a file that fails the checks leaves the calendar as it
 * was. A missing dir is CT_ENOTFOUND.
 */
int calendar_load_dir(struct calendar *cal, const char *dir,
		      struct error *err);

/* Returns whether the year has a published calendar with days. */
int calendar_published(const struct calendar *cal, int year);

/*
 * Returns 1 for a working day, 0 for a rest day. *provisional (may be
 * NULL) is set to 1 when the result comes from the statutory holidays of
 * an unpublished year, or when the day lies outside CAL_YEAR_MIN..MAX and
 * only weekends rest. Otherwise it is set to 0. *name (may be NULL)
 * points at the holiday's name, or "调休" for a make-up day, or NULL. The
 * name stays valid until calendar_free.
 */
int calendar_is_working(const struct calendar *cal, int32_t day,
			int *provisional, const char **name);

/*
 * Compares two calendars day by day over first..last and returns how many
 * days are working in one and rest in the other. The first max of these
 * days go to out (may be NULL when max is 0). It shows what a new year
 * file would change before it is imported.
 */
size_t calendar_changed_days(const struct calendar *a,
			     const struct calendar *b, int32_t first,
			     int32_t last, int32_t *out, size_t max);

/*
 * Civil dates. day_parse accepts exactly YYYY-MM-DD of a real date of the
 * years 0001..9999 and returns 0 or CT_EINVAL. day_format writes
 * YYYY-MM-DD for the years 0..9999 and the invalid "0000-00-00"
 * otherwise.
 */
int day_parse(const char *text, int32_t *day);
void day_format(int32_t day, char out[11]);
int32_t day_from_ymd(int y, int m, int d);
void day_to_ymd(int32_t day, int *y, int *m, int *d);
int day_weekday(int32_t day); /* 1 Monday .. 7 Sunday */

/* The CST civil day of a UTC time in milliseconds. */
int32_t day_of_ms(int64_t utc_ms);
/* UTC milliseconds of 00:00 CST of day. */
int64_t day_start_ms(int32_t day);

/*
 * A span of days on which the clock is stopped, first..last inclusive.
 * first = last + 1 is an empty span: a suspension that starts and resumes
 * on the same day pauses no day.
 */
struct day_span {
	int32_t first, last;
};

struct due {
	int32_t day;     /* the last day of the period */
	int64_t at_ms;   /* the end of the period, UTC ms, exclusive: the
			    moment n hours after the trigger, or 00:00 CST
			    after the last day for days */
	int provisional; /* the due day depends on a provisional day */
};

/*
 * Counts a period of n units from its trigger. Days start the day after
 * the trigger day; hours at the trigger moment (trigger_ms, which the day
 * units ignore). Working days count only working days outside the paused
 * spans. Calendar days count every day outside the paused spans, and a
 * last day that falls on a rest day moves to the next working day outside
 * the paused spans. Hours run continuously except through the paused days
 * (from 00:00 CST of a span's first day to 00:00 CST after its last). With
 * n = 0 the due day is the trigger day. n is 0..LIMIT_DAYS_MAX for days,
 * 0..LIMIT_HOURS_MAX for hours; a period that would reach past
 * CAL_YEAR_MAX is rejected (CT_EINVAL). When the count reaches a paused
 * span that ends after CAL_YEAR_MAX, such as { start + 1, INT32_MAX - 1 }
 * for a suspension not yet resumed, the period has no due day yet and the
 * call returns CT_ESTATE.
 *
 * out->provisional is set when the due day depends on a provisional
 * calendar entry. For working days that is any day counted or skipped.
 * For calendar days only the last day and the days it moved over decide.
 * Hours never are provisional.
 *
 * explain, when not NULL, receives one object per day looked at:
 * {"date", "counted": bool, "n": running count when counted, "why":
 * "周末" | holiday name | "调休" | "暂停" | "顺延" (the day a last day
 * moved to), "provisional": true when that day's calendar entry is}. For
 * hours "n" is the hours elapsed at the end of that day (a real number
 * when not whole). Members without a value are left out.
 */
int deadline_after(const struct calendar *cal, int32_t trigger_day,
		   int64_t trigger_ms, int n, enum limit_unit unit,
		   const struct day_span *paused, size_t npaused,
		   struct due *out, json_t *explain, struct error *err);

/*
 * Counts n units back from end_day (the "30 days before expiry" kind):
 * the returned day is the last day on which the act is in time. It is
 * meant for acts of the applicant or the public. So a calendar-day result
 * on a rest day moves forward to the next working day, as a last day
 * counted forwards does, and the move can reach end_day itself. Working days
 * return the n-th working day before end_day. n = 0 returns end_day.
 * Hours are rejected (CT_EINVAL): count them back from a moment with
 * plain arithmetic.
 */
int deadline_before(const struct calendar *cal, int32_t end_day, int n,
		    enum limit_unit unit, struct due *out, struct error *err);

/*
 * Counts n units back from end_day for an act of the bureau that must
 * come at least n units before an event (the hearing notice 7 days before
 * the hearing, 行政许可法 art. 48): as deadline_before, but a calendar-day
 * result on a rest day stays where it is, because moving it later would
 * shorten the notice the applicant gets.
 */
int deadline_before_bureau(const struct calendar *cal, int32_t end_day,
			   int n, enum limit_unit unit, struct due *out,
			   struct error *err);

/*
 * Counts the working days from the day after from to to inclusive,
 * outside the paused spans (0 when to <= from).
 */
int working_days_between(const struct calendar *cal, int32_t from,
			 int32_t to, const struct day_span *paused,
			 size_t npaused);

/* Parses "working_days", "calendar_days" or "hours"; 0 or CT_EINVAL. */
int limit_unit_parse(const char *text, enum limit_unit *unit);
const char *limit_unit_name(enum limit_unit unit);

#endif
