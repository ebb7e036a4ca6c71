/*
 * Capture time of a probed file. Every source (EXIF, GPS, QuickTime
 * atoms, AVI IDIT, the MDPM block of AVCHD video) adds a clue; this file
 * parses their notations, decides what MP4 creation_time means, picks the
 * capture time and reports whether the clues agree.
 *
 * MP4 and QuickTime define creation_time as UTC, but many cameras write
 * their local wall-clock time there. When another clue in the file gives
 * the local time, creation_time is judged by which of the two readings
 * matches it.
 */
#include "common/common.h"

#include <ctype.h>

#include "probe_internal.h"

#define HOUR_MS (3600 * 1000LL)
#define DAY_MS (24 * HOUR_MS)
/* UTC offsets in use run from -12:00 to +14:00. */
#define ZONE_MAX_MS (14 * HOUR_MS)

/* The order in which clues become the capture time. */
static const char *const capture_order[] = {
	"exif-original", "quicktime-creationdate", "mts", "avi-idit",
	"quicktime-day", "quicktime-creation", "exif-digitized", "exif-gps",
};

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Checks year, month, day, hour, minute, second. */
static int parts_valid(const int t[6])
{
	return t[0] >= 1 && t[0] <= 9999 && t[1] >= 1 && t[1] <= 12 &&
	       t[2] >= 1 && t[2] <= days_in_month(t[0], t[1]) &&
	       t[3] >= 0 && t[3] <= 23 && t[4] >= 0 && t[4] <= 59 &&
	       t[5] >= 0 && t[5] <= 59;
}

static int64_t parts_to_ms(const int t[6], int millis)
{
	int64_t days = days_from_civil(t[0], t[1], t[2]);

	return ((days * 24 + t[3]) * 60 + t[4]) * 60000LL + t[5] * 1000LL +
	       millis;
}

/* Formats "YYYY-MM-DDTHH:MM:SS" with ".mmm" when with_millis. */
static void format_ms(int64_t ms, int with_millis, char *out, size_t n)
{
	int64_t days = ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS);
	int64_t rest = ms - days * DAY_MS;
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d,
		 (int)(rest / HOUR_MS), (int)(rest / 60000 % 60),
		 (int)(rest / 1000 % 60));
	if (with_millis)
		snprintf(out + strlen(out), n - strlen(out), ".%03d",
			 (int)(rest % 1000));
}

static void format_offset(int minutes, char *out, size_t n)
{
	int a = minutes < 0 ? -minutes : minutes;

	snprintf(out, n, "%c%02d:%02d", minutes < 0 ? '-' : '+', a / 60,
		 a % 60);
}

/* Reads exactly count digits at s. Returns -1 unless all are digits. */
static int read_digits(const char *s, int count)
{
	int v = 0;

	for (int i = 0; i < count; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Reads fraction digits as milliseconds: "5" is 500, "133" is 133. */
static int read_millis(const char *s, const char **end)
{
	int ms = 0, scale = 100;

	while (isdigit((unsigned char)*s)) {
		ms += (*s - '0') * scale;
		scale /= 10;
		s++;
	}
	if (end)
		*end = s;
	return ms;
}

/* Parses "+08:00", "+0800" or "+08" into minutes east of UTC. */
static int parse_offset(const char *s, int *minutes)
{
	int sign, h, m = 0;

	if (*s != '+' && *s != '-')
		return -1;
	sign = *s == '-' ? -1 : 1;
	h = read_digits(s + 1, 2);
	if (h < 0)
		return -1;
	s += 3;
	if (*s == ':')
		s++;
	if (*s) {
		m = read_digits(s, 2);
		if (m < 0 || s[2])
			return -1;
	}
	if (h > 14 || m > 59)
		return -1;
	*minutes = sign * (h * 60 + m);
	return 0;
}

/* An all-zero or blank stamp ("0000:00:00 00:00:00") or an epoch date
 * (1904-01-01, 1970-01-01) that devices write when their clock is unset. */
static int is_zero_stamp(const char *s, const int t[6], int parsed)
{
	int digits = 0;

	if (parsed && t[1] == 1 && t[2] == 1 &&
	    (t[0] == 1904 || t[0] == 1970))
		return 1;
	for (; *s; s++) {
		if (isdigit((unsigned char)*s) && *s != '0')
			return 0;
		digits += isdigit((unsigned char)*s) != 0;
		if (!isdigit((unsigned char)*s) && !strchr(" :-T", *s))
			return 0;
	}
	return digits > 0;
}

static struct probe_clue *add_clue(struct probe *p, const char *source,
				   const char *value)
{
	struct probe_clue *c;

	if (p->n_clues >= PROBE_CLUES_MAX)
		return NULL;
	c = &p->clues[p->n_clues++];
	memset(c, 0, sizeof(*c));
	c->source = source;
	probe_clean_text(value, strlen(value), c->value, sizeof(c->value));
	/* Other clues (EXIF DateTime, generic "date" tags) are recorded but
	 * neither chosen nor compared. */
	for (size_t i = 0; i < ARRAY_SIZE(capture_order); i++)
		if (!strcmp(source, capture_order[i]))
			c->is_candidate = 1;
	return c;
}

static void set_clue_time(struct probe *p, struct probe_clue *c,
			  const int t[6], int millis)
{
	if (is_zero_stamp(c->value, t, 1)) {
		c->zero = 1;
		return;
	}
	if (!parts_valid(t)) {
		probe_problem(p, "invalid capture time: %s \"%s\"", c->source,
			      c->value);
		return;
	}
	c->has_time = 1;
	c->ms = parts_to_ms(t, millis);
}

void probe_clue_parts(struct probe *p, const char *source, const char *value,
		      const int parts[6], int millis, int is_utc,
		      int has_offset, int offset_min)
{
	struct probe_clue *c = add_clue(p, source, value);

	if (!c)
		return;
	c->has_millis = millis >= 0;
	c->is_utc = is_utc;
	c->has_offset = has_offset;
	c->offset_min = offset_min;
	if (parts)
		set_clue_time(p, c, parts, millis > 0 ? millis : 0);
}

void probe_clue_exif(struct probe *p, const char *source,
		     const char *datetime, const char *subsec,
		     const char *offset)
{
	char value[PROBE_TEXT_MAX];
	struct probe_clue *c;
	int t[6] = { 0 }, millis = 0;
	static const int at[6][2] = { { 0, 4 }, { 5, 2 }, { 8, 2 },
				      { 11, 2 }, { 14, 2 }, { 17, 2 } };

	snprintf(value, sizeof(value), "%s%s%s%s%s", datetime,
		 subsec && *subsec ? "." : "", subsec ? subsec : "",
		 offset && *offset ? " " : "", offset ? offset : "");
	c = add_clue(p, source, value);
	if (!c)
		return;
	if (strlen(datetime) < 19) {
		c->zero = is_zero_stamp(datetime, t, 0);
		if (!c->zero)
			probe_problem(p, "invalid capture time: %s \"%s\"",
				      source, c->value);
		return;
	}
	for (int i = 0; i < 6; i++)
		t[i] = read_digits(datetime + at[i][0], at[i][1]);
	if (subsec && isdigit((unsigned char)*subsec)) {
		c->has_millis = 1;
		millis = read_millis(subsec, NULL);
	}
	if (offset && *offset && parse_offset(offset, &c->offset_min) == 0)
		c->has_offset = 1;
	else if (offset && *offset)
		probe_problem(p, "invalid UTC offset: %s \"%s\"", source,
			      c->value);
	set_clue_time(p, c, t, millis);
}

void probe_clue_iso(struct probe *p, const char *source, const char *text,
		    int as_utc)
{
	struct probe_clue *c = add_clue(p, source, text);
	const char *s = text;
	int t[6] = { 0 }, millis = 0;

	if (!c)
		return;
	t[0] = read_digits(s, 4);
	if (t[0] < 0 || s[4] != '-' || strlen(s) < 19) {
		/* A year or a date alone is kept as a clue without a time. */
		c->zero = t[0] >= 0 && is_zero_stamp(text, t, 0);
		return;
	}
	t[1] = read_digits(s + 5, 2);
	t[2] = read_digits(s + 8, 2);
	t[3] = read_digits(s + 11, 2);
	t[4] = read_digits(s + 14, 2);
	t[5] = read_digits(s + 17, 2);
	if (s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
	    s[16] != ':') {
		probe_problem(p, "invalid capture time: %s \"%s\"", source,
			      c->value);
		return;
	}
	s += 19;
	if (*s == '.') {
		c->has_millis = 1;
		millis = read_millis(s + 1, &s);
	}
	if (*s == 'Z' && !s[1])
		c->is_utc = 1;
	else if (*s && parse_offset(s, &c->offset_min) == 0)
		c->has_offset = 1;
	else if (*s)
		probe_problem(p, "invalid UTC offset: %s \"%s\"", source,
			      c->value);
	else
		c->is_utc = as_utc;
	/* FFmpeg prints every MP4 time with microseconds; ".000000" states
	 * no precision the file had. */
	if (c->has_millis && millis == 0)
		c->has_millis = 0;
	set_clue_time(p, c, t, millis);
}

static int usable(const struct probe_clue *c)
{
	return c->has_time && !c->zero && c->is_candidate;
}

static int utc_of(const struct probe_clue *c, int64_t *ms)
{
	if (c->is_utc)
		*ms = c->ms;
	else if (c->has_offset)
		*ms = c->ms - c->offset_min * 60000LL;
	else
		return 0;
	return 1;
}

static int local_of(const struct probe_clue *c, int64_t *ms)
{
	*ms = c->ms;
	return !c->is_utc;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* Whether d is a whole number of hours (a zone difference) give or take
 * the agreement margin. */
static int whole_hours(int64_t d)
{
	int64_t rest = abs64(d) % HOUR_MS;

	return abs64(d) <= ZONE_MAX_MS + PROBE_AGREE_MS &&
	       (rest <= PROBE_AGREE_MS || HOUR_MS - rest <= PROBE_AGREE_MS);
}

static int64_t round_hours(int64_t d)
{
	return (d >= 0 ? d + HOUR_MS / 2 : d - HOUR_MS / 2) / HOUR_MS;
}

/* Whether two clues state the same moment, allowing a whole-hour zone
 * difference where only one of them is pinned to UTC or where a clue's
 * local time is in an unknown zone. */
static int clues_agree(const struct probe_clue *a, const struct probe_clue *b,
		       int zone_shift)
{
	int64_t ua, ub, la, lb;

	if (zone_shift) {
		if (!utc_of(a, &ua))
			local_of(a, &ua);
		if (!utc_of(b, &ub))
			local_of(b, &ub);
		return whole_hours(ua - ub);
	}
	if (utc_of(a, &ua) && utc_of(b, &ub))
		return abs64(ua - ub) <= PROBE_AGREE_MS;
	if (local_of(a, &la) && local_of(b, &lb))
		return abs64(la - lb) <= PROBE_AGREE_MS;
	if (utc_of(a, &ua))
		return local_of(b, &lb) && whole_hours(lb - ua);
	return utc_of(b, &ub) && local_of(a, &la) && whole_hours(la - ub);
}

static struct probe_clue *find_clue(struct probe *p, const char *source)
{
	for (size_t i = 0; i < p->n_clues; i++)
		if (!strcmp(p->clues[i].source, source) &&
		    usable(&p->clues[i]))
			return &p->clues[i];
	return NULL;
}

/*
 * Decides whether the MP4 creation_time ct is UTC or local time, against
 * the first other clue that gives the same moment. Returns 1 when ct was
 * written as local time in another zone than the reference's (the check
 * for agreement then allows whole hours).
 */
static int judge_creation_time(struct probe *p, struct probe_clue *ct)
{
	static const char *const refs[] = {
		"quicktime-creationdate", "quicktime-day", "mts",
		"exif-original", "exif-gps",
	};
	struct probe_clue *r = NULL;
	int64_t u, l;

	for (size_t i = 0; i < ARRAY_SIZE(refs) && !r; i++)
		r = find_clue(p, refs[i]);
	if (!r) {
		probe_note(p, "creation_time taken as UTC, as MP4 defines "
			      "it; no other clue in the file confirms it");
		return 0;
	}
	if (utc_of(r, &u) && abs64(ct->ms - u) <= PROBE_AGREE_MS)
		return 0;
	if (local_of(r, &l) && abs64(ct->ms - l) <= PROBE_AGREE_MS) {
		ct->is_utc = 0;
		probe_note(p, "creation_time holds local time, not UTC: it "
			      "equals the local time of %s", r->source);
		return 0;
	}
	if (utc_of(r, &u) && whole_hours(ct->ms - u)) {
		ct->is_utc = 0;
		probe_note(p, "creation_time holds local time, not UTC: it is "
			      "%+" PRId64 " h from the UTC time of %s",
			   round_hours(ct->ms - u), r->source);
		return 1;
	}
	return 0;
}

/* Sets *utc from a clue pinned to UTC that agrees with the local time of
 * best, rounding their difference to a quarter hour (a UTC offset). */
static int pin_to_utc(struct probe *p, const struct probe_clue *best,
		      int64_t *utc)
{
	const int64_t quarter = 15 * 60000LL;
	char offset[16];

	for (size_t i = 0; i < p->n_clues; i++) {
		const struct probe_clue *c = &p->clues[i];
		int64_t d;

		if (!usable(c) || !c->is_utc || !clues_agree(best, c, 0))
			continue;
		d = best->ms - c->ms;
		d = (d >= 0 ? d + quarter / 2 : d - quarter / 2) / quarter *
		    quarter;
		*utc = best->ms - d;
		format_offset((int)(d / 60000), offset, sizeof(offset));
		probe_note(p, "UTC offset %s inferred from %s", offset,
			   c->source);
		return 1;
	}
	return 0;
}

static void set_capture(struct probe *p, json_t *capture,
			const struct probe_clue *best)
{
	char text[48];
	int64_t utc = 0;
	int has_utc = 0;

	json_object_set_new(capture, "source", json_string(best->source));
	if (best->is_utc) {
		utc = best->ms;
		has_utc = 1;
	} else {
		format_ms(best->ms, best->has_millis, text, sizeof(text));
		json_object_set_new(capture, "local", json_string(text));
		if (best->has_offset) {
			format_offset(best->offset_min, text, sizeof(text));
			json_object_set_new(capture, "offset",
					    json_string(text));
			has_utc = utc_of(best, &utc);
		} else {
			has_utc = pin_to_utc(p, best, &utc);
		}
	}
	if (has_utc) {
		format_ms(utc, best->has_millis, text, sizeof(text));
		json_object_set_new(capture, "utc",
				    json_sprintf("%sZ", text));
	}
}

void probe_capture_finish(struct probe *p)
{
	json_t *capture = json_object();
	json_t *clues = json_array();
	struct probe_clue *ct = find_clue(p, "quicktime-creation");
	const struct probe_clue *best = NULL;
	int shifted = 0, disagree = 0, zero = 0;

	if (ct)
		shifted = judge_creation_time(p, ct);
	for (size_t i = 0; i < p->n_clues; i++) {
		const struct probe_clue *c = &p->clues[i];

		json_array_append_new(clues, json_pack("{s:s, s:s}", "source",
						       c->source, "value",
						       c->value));
		zero |= c->zero;
		for (size_t j = i + 1; j < p->n_clues; j++) {
			const struct probe_clue *d = &p->clues[j];

			if (usable(c) && usable(d) &&
			    !clues_agree(c, d, shifted && (c == ct || d == ct)))
				disagree = 1;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(capture_order) && !best; i++)
		best = find_clue(p, capture_order[i]);
	if (best)
		set_capture(p, capture, best);
	if (zero)
		probe_problem(p, "zero capture time");
	json_object_set_new(capture, "clues", clues);
	json_object_set_new(capture, "disagree", json_boolean(disagree));
	if (json_array_size(p->notes))
		json_object_set(capture, "notes", p->notes);
	json_object_set_new(p->report, "capture", capture);
}
