/*
 * Counting periods on the calendar: forwards from a trigger in working
 * days, calendar days or hours, backwards from an end day, and the
 * working days between two days. The rules, with worked examples, are in
 * docs/time-limits.md.
 */
#include "common/common.h"

#include "deadlines.h"

#define MS_PER_HOUR INT64_C(3600000)

static const char why_weekend[] = "周末";
static const char why_paused[] = "暂停";
static const char why_moved[] = "顺延";

struct walk {
	const struct calendar *cal;
	const struct day_span *paused;
	size_t npaused;
	int32_t first_day, last_day; /* the calendar's range */
	json_t *explain;
	struct error *err;
};

static int is_paused(const struct walk *w, int32_t day)
{
	for (size_t i = 0; i < w->npaused; i++) {
		if (day >= w->paused[i].first && day <= w->paused[i].last)
			return 1;
	}
	return 0;
}

/*
 * Returns 1 when day is paused and 0 when not, or CT_ESTATE when the span
 * that pauses day runs past the calendar's last day (an open suspension),
 * because the count could then never end.
 */
static int paused_in_count(const struct walk *w, int32_t day)
{
	char text[11];

	for (size_t i = 0; i < w->npaused; i++) {
		if (day < w->paused[i].first || day > w->paused[i].last)
			continue;
		if (w->paused[i].last <= w->last_day)
			return 1;
		day_format(w->paused[i].first, text);
		return error_set(w->err, CT_ESTATE, "the clock is stopped from "
				 "%s with no end, so the period has no due "
				 "day until the suspension ends", text);
	}
	return 0;
}

static int out_of_range(const struct walk *w, int32_t day)
{
	char text[11];

	day_format(day, text);
	return error_set(w->err, CT_EINVAL, "the period reaches %s, outside "
			 "the years %d..%d that the calendar counts", text,
			 CAL_YEAR_MIN, CAL_YEAR_MAX);
}

/* Appends one day to explain; n (may be NULL) is taken. */
static int explain_day(const struct walk *w, int32_t day, int counted,
		       json_t *n, const char *why, int provisional)
{
	char text[11];
	json_t *o;

	if (!w->explain) {
		json_decref(n);
		return 0;
	}
	day_format(day, text);
	o = json_pack("{s:s, s:b}", "date", text, "counted", counted);
	if (!o) {
		json_decref(n);
		return error_set(w->err, CT_ENOMEM, "out of memory");
	}
	if (n && json_object_set_new(o, "n", n))
		goto oom;
	if (why && json_object_set_new(o, "why", json_string(why)))
		goto oom;
	if (provisional && json_object_set_new(o, "provisional", json_true()))
		goto oom;
	if (json_array_append_new(w->explain, o))
		return error_set(w->err, CT_ENOMEM, "out of memory");
	return 0;
oom:
	json_decref(o);
	return error_set(w->err, CT_ENOMEM, "out of memory");
}

/* The reason shown for a day: its holiday, 调休, 周末 or nothing. */
static const char *why_of(int working, const char *name)
{
	if (name)
		return name;
	return working ? NULL : why_weekend;
}

static int count_working_days(const struct walk *w, int32_t trigger, int n,
			      struct due *out)
{
	int count = 0, prov, rc = 0;
	const char *name;

	for (int32_t d = trigger + 1; count < n && rc == 0; d++) {
		if (d > w->last_day)
			return out_of_range(w, d);
		rc = paused_in_count(w, d);
		if (rc < 0)
			return rc;
		if (rc) {
			rc = explain_day(w, d, 0, NULL, why_paused, 0);
			continue;
		}
		if (!calendar_is_working(w->cal, d, &prov, &name)) {
			out->provisional |= prov;
			rc = explain_day(w, d, 0, NULL, why_of(0, name), prov);
			continue;
		}
		out->provisional |= prov;
		count++;
		out->day = d;
		rc = explain_day(w, d, 1, json_integer(count), name, prov);
	}
	return rc;
}

/*
 * Moves a last day that is a rest day (or paused) to the next working
 * day outside the paused spans, explaining each day passed over.
 */
static int move_to_working_day(const struct walk *w, struct due *out)
{
	int prov, rc = 0;
	const char *name;

	for (int32_t d = out->day + 1; rc == 0; d++) {
		if (d > w->last_day)
			return out_of_range(w, d);
		rc = paused_in_count(w, d);
		if (rc < 0)
			return rc;
		if (rc) {
			rc = explain_day(w, d, 0, NULL, why_paused, 0);
			continue;
		}
		if (calendar_is_working(w->cal, d, &prov, &name)) {
			out->provisional |= prov;
			out->day = d;
			return explain_day(w, d, 0, NULL, why_moved, prov);
		}
		out->provisional |= prov;
		rc = explain_day(w, d, 0, NULL, why_of(0, name), prov);
	}
	return rc;
}

static int count_calendar_days(const struct walk *w, int32_t trigger, int n,
			       struct due *out)
{
	int count = 0, prov = 0, working = 1, rc = 0;
	const char *name;

	for (int32_t d = trigger + 1; count < n && rc == 0; d++) {
		if (d > w->last_day)
			return out_of_range(w, d);
		rc = paused_in_count(w, d);
		if (rc < 0)
			return rc;
		if (rc) {
			rc = explain_day(w, d, 0, NULL, why_paused, 0);
			continue;
		}
		working = calendar_is_working(w->cal, d, &prov, &name);
		count++;
		out->day = d;
		rc = explain_day(w, d, 1, json_integer(count),
				 why_of(working, name), prov);
	}
	if (rc || n == 0)
		return rc;
	/* Only the last day's calendar entry decides anything. */
	out->provisional |= prov;
	return working ? 0 : move_to_working_day(w, out);
}

/* Hours elapsed as a JSON number: an integer when whole. */
static json_t *hours_json(int64_t elapsed_ms)
{
	if (elapsed_ms % MS_PER_HOUR == 0)
		return json_integer(elapsed_ms / MS_PER_HOUR);
	return json_real((double)elapsed_ms / (double)MS_PER_HOUR);
}

static int count_hours(const struct walk *w, int64_t trigger_ms, int n,
		       struct due *out)
{
	int64_t t = trigger_ms, remaining = n * MS_PER_HOUR, elapsed = 0;
	int32_t d = day_of_ms(trigger_ms);
	int rc = 0;

	while (remaining > 0 && rc == 0) {
		int64_t step;

		if (d < w->first_day || d > w->last_day)
			return out_of_range(w, d);
		rc = paused_in_count(w, d);
		if (rc < 0)
			return rc;
		if (rc) {
			rc = explain_day(w, d, 0, NULL, why_paused, 0);
			t = day_start_ms(++d);
			continue;
		}
		step = day_start_ms(d + 1) - t;
		if (step > remaining)
			step = remaining;
		t += step;
		remaining -= step;
		elapsed += step;
		rc = explain_day(w, d, 1, hours_json(elapsed), NULL, 0);
		d++;
	}
	out->at_ms = t;
	/* A period that ends at 00:00 has the day before as its last. */
	out->day = day_of_ms(n > 0 ? t - 1 : t);
	return rc;
}

static int check_spans(const struct walk *w)
{
	if (w->npaused && !w->paused)
		return error_set(w->err, CT_EINVAL, "%zu paused spans given "
				 "but no array of them", w->npaused);
	for (size_t i = 0; i < w->npaused; i++) {
		char first[11], last[11];

		/* A span that starts the day after it ends is empty. */
		if (w->paused[i].first <= w->paused[i].last + 1)
			continue;
		day_format(w->paused[i].first, first);
		day_format(w->paused[i].last, last);
		return error_set(w->err, CT_EINVAL, "paused span %s..%s ends "
				 "before it starts", first, last);
	}
	return 0;
}

static int check_n(int n, enum limit_unit unit, struct error *err)
{
	int max = unit == UNIT_HOURS ? LIMIT_HOURS_MAX : LIMIT_DAYS_MAX;

	if (unit != UNIT_WORKING_DAYS && unit != UNIT_CALENDAR_DAYS &&
	    unit != UNIT_HOURS)
		return error_set(err, CT_EINVAL, "unknown limit unit %d",
				 (int)unit);
	if (n < 0 || n > max)
		return error_set(err, CT_EINVAL, "invalid period of %d %s: "
				 "expected 0..%d", n, limit_unit_name(unit),
				 max);
	return 0;
}

static void walk_init(struct walk *w, const struct calendar *cal,
		      const struct day_span *paused, size_t npaused,
		      json_t *explain, struct error *err)
{
	w->cal = cal;
	w->paused = paused;
	w->npaused = npaused;
	w->first_day = day_from_ymd(CAL_YEAR_MIN, 1, 1);
	w->last_day = day_from_ymd(CAL_YEAR_MAX, 12, 31);
	w->explain = explain;
	w->err = err;
}

int deadline_after(const struct calendar *cal, int32_t trigger_day,
		   int64_t trigger_ms, int n, enum limit_unit unit,
		   const struct day_span *paused, size_t npaused,
		   struct due *out, json_t *explain, struct error *err)
{
	struct walk w;
	int rc;

	walk_init(&w, cal, paused, npaused, explain, err);
	rc = check_n(n, unit, err);
	if (rc == 0)
		rc = check_spans(&w);
	if (rc)
		return rc;
	out->provisional = 0;
	if (unit == UNIT_HOURS)
		return count_hours(&w, trigger_ms, n, out);

	if (trigger_day < w.first_day || trigger_day > w.last_day)
		return out_of_range(&w, trigger_day);
	out->day = trigger_day;
	if (unit == UNIT_WORKING_DAYS)
		rc = count_working_days(&w, trigger_day, n, out);
	else
		rc = count_calendar_days(&w, trigger_day, n, out);
	out->at_ms = day_start_ms(out->day + 1);
	return rc;
}

/* Moves *d forward to the first working day on or after it. */
static int first_working_from(const struct walk *w, int32_t *d,
			      struct due *out)
{
	int prov;

	while (!calendar_is_working(w->cal, *d, &prov, NULL)) {
		out->provisional |= prov;
		if (++*d > w->last_day)
			return out_of_range(w, *d);
	}
	out->provisional |= prov;
	return 0;
}

/*
 * Counts n units back from end_day. move_forward is 1 for an act of the
 * applicant, whose last day moves forward off a rest day, and 0 for an act
 * of the bureau, whose last day stays where it is.
 */
static int count_back(const struct calendar *cal, int32_t end_day, int n,
		      enum limit_unit unit, int move_forward, struct due *out,
		      struct error *err)
{
	struct walk w;
	int32_t d = end_day;
	int prov, count = 0, rc;

	walk_init(&w, cal, NULL, 0, NULL, err);
	rc = check_n(n, unit, err);
	if (rc)
		return rc;
	if (unit == UNIT_HOURS)
		return error_set(err, CT_EINVAL, "a period counted back from "
				 "an end day cannot be in hours; subtract the "
				 "hours from the end moment instead");
	if (end_day < w.first_day || end_day > w.last_day)
		return out_of_range(&w, end_day);
	out->provisional = 0;
	if (unit == UNIT_WORKING_DAYS) {
		while (count < n) {
			if (--d < w.first_day)
				return out_of_range(&w, d);
			count += calendar_is_working(cal, d, &prov, NULL);
			out->provisional |= prov;
		}
	} else if (n > 0) {
		d = end_day - n;
		if (d < w.first_day)
			return out_of_range(&w, d);
		if (move_forward)
			rc = first_working_from(&w, &d, out);
		if (rc)
			return rc;
	}
	out->day = d;
	out->at_ms = day_start_ms(d + 1);
	return 0;
}

int deadline_before(const struct calendar *cal, int32_t end_day, int n,
		    enum limit_unit unit, struct due *out, struct error *err)
{
	return count_back(cal, end_day, n, unit, 1, out, err);
}

int deadline_before_bureau(const struct calendar *cal, int32_t end_day,
			   int n, enum limit_unit unit, struct due *out,
			   struct error *err)
{
	return count_back(cal, end_day, n, unit, 0, out, err);
}

int working_days_between(const struct calendar *cal, int32_t from,
			 int32_t to, const struct day_span *paused,
			 size_t npaused)
{
	struct walk w;
	int count = 0;

	walk_init(&w, cal, paused, npaused, NULL, NULL);
	for (int32_t d = from + 1; d <= to; d++) {
		if (is_paused(&w, d))
			continue;
		count += calendar_is_working(cal, d, NULL, NULL);
	}
	return count;
}

int limit_unit_parse(const char *text, enum limit_unit *unit)
{
	static const enum limit_unit units[] = {
		UNIT_WORKING_DAYS, UNIT_CALENDAR_DAYS, UNIT_HOURS,
	};

	for (size_t i = 0; text && i < ARRAY_SIZE(units); i++) {
		if (strcmp(text, limit_unit_name(units[i])) == 0) {
			*unit = units[i];
			return 0;
		}
	}
	return CT_EINVAL;
}

const char *limit_unit_name(enum limit_unit unit)
{
	switch (unit) {
	case UNIT_WORKING_DAYS: return "working_days";
	case UNIT_CALENDAR_DAYS: return "calendar_days";
	case UNIT_HOURS: return "hours";
	}
	return "unknown";
}
