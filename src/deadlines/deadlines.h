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
 * depends on such a year is marked provisional.
 */
#ifndef CASETRAIL_DEADLINES_H
#define CASETRAIL_DEADLINES_H

#include <jansson.h>
#include <stdint.h>

#include "common/error.h"

/* The first and last year the calendar counts in. */
#define CAL_YEAR_MIN 2000
#define CAL_YEAR_MAX 2099

enum limit_unit {
	UNIT_WORKING_DAYS,
	UNIT_CALENDAR_DAYS,
	UNIT_HOURS,
};

struct calendar;

struct calendar *calendar_new(void);
void calendar_free(struct calendar *cal);

/*
 * Adds or replaces one year from a holiday-cn year file
 * ({year, papers[], days[{name, date, isOffDay}]}). Days listed of other
 * years (a December before) are applied too, unless that year has a file
 * of its own. A file with no days marks its year unpublished. Rejects,
 * naming the value, a malformed date, a date outside CAL_YEAR_MIN..MAX, a
 * holiday on no date or a make-up day on a weekday.
 */
int calendar_add_year(struct calendar *cal, const json_t *year_file,
		      struct error *err);

/* Loads every YYYY.json of dir. */
int calendar_load_dir(struct calendar *cal, const char *dir,
		      struct error *err);

/* Returns whether the year has a published calendar with days. */
int calendar_published(const struct calendar *cal, int year);

/*
 * Returns 1 for a working day, 0 for a rest day. *provisional (may be
 * NULL) is set when the answer comes from the statutory holidays of an
 * unpublished year. *name (may be NULL) points at the holiday's name, or
 * "调休" for a make-up day, or NULL.
 */
int calendar_is_working(const struct calendar *cal, int32_t day,
			int *provisional, const char **name);

/* Civil dates. day_parse accepts exactly YYYY-MM-DD of a real date. */
int day_parse(const char *text, int32_t *day);
void day_format(int32_t day, char out[11]);
int32_t day_from_ymd(int y, int m, int d);
void day_to_ymd(int32_t day, int *y, int *m, int *d);
int day_weekday(int32_t day); /* 1 Monday .. 7 Sunday */

/* The CST civil day of a UTC time in milliseconds. */
int32_t day_of_ms(int64_t utc_ms);
/* UTC milliseconds of 00:00 CST of day. */
int64_t day_start_ms(int32_t day);

/* A span of days on which the clock stands still, first..last inclusive. */
struct day_span {
	int32_t first, last;
};

struct due {
	int32_t day;      /* the last day of the period */
	int64_t at_ms;    /* for hours: the moment the period ends */
	int provisional;  /* a counted or skipped day was provisional */
};

/*
 * Counts a period of n units from its trigger. Days start the day after
 * the trigger day; hours at the trigger moment (trigger_ms). Working days
 * count only working days outside the paused spans. Calendar days count
 * every day outside the paused spans, and a last day that falls on a rest
 * day moves to the next working day. n is 0..3650 (hours: 0..87600).
 *
 * explain, when not NULL, receives one object per day looked at:
 * {"date", "counted": bool, "n": running count when counted, "why":
 * "周末" | holiday name | "调休" | "暂停" | "顺延"}.
 */
int deadline_after(const struct calendar *cal, int32_t trigger_day,
		   int64_t trigger_ms, int n, enum limit_unit unit,
		   const struct day_span *paused, size_t npaused,
		   struct due *out, json_t *explain, struct error *err);

/*
 * Counts n units back from end_day (the "30 days before expiry" kind):
 * the returned day is the last day on which the act is in time.
 */
int deadline_before(const struct calendar *cal, int32_t end_day, int n,
		    enum limit_unit unit, struct due *out, struct error *err);

/*
 * Counts the working days from the day after from to to inclusive,
 * outside the paused spans (0 when to <= from).
 */
int working_days_between(const struct calendar *cal, int32_t from,
			 int32_t to, const struct day_span *paused,
			 size_t npaused);

/* Parses "working_days", "calendar_days" or "hours". */
int limit_unit_parse(const char *text, enum limit_unit *unit);
const char *limit_unit_name(enum limit_unit unit);

#endif
