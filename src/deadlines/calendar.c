/*
 * The official working-day calendar: the holiday-cn year files as loaded,
 * and the lookup of whether a day is a working day. Every year file's
 * listed days are kept as read, and a flat table of one entry per day of
 * CAL_YEAR_MIN..MAX is rebuilt from them after each change, so lookups
 * are one array read and the result never depends on the loading order.
 */
#include "common/common.h"

#include <dirent.h>

#include "deadlines.h"
#include "internal.h"

#define YEARS (CAL_YEAR_MAX - CAL_YEAR_MIN + 1)
#define NAMES_MAX 255       /* distinct holiday names, indexed by uint8_t */
#define NAME_BYTES_MAX 64   /* "国庆节、中秋节" is 21 bytes */
#define LISTED_MAX 400      /* days one year file may list */

enum listed_state { STATE_WEEKDAY_RULE, STATE_OFF, STATE_WORK };

struct listed_day {
	int32_t day;
	bool off;
	uint8_t name; /* index into calendar.names */
};

struct year_file {
	bool present;
	size_t n;
	struct listed_day *days;
};

struct calendar {
	int32_t first_day; /* CAL_YEAR_MIN-01-01 */
	int32_t ndays;
	struct year_file files[YEARS];
	uint8_t *state; /* enum listed_state per day */
	uint8_t *name;  /* index into names per day, 0 for none */
	char *names[NAMES_MAX + 1];
	int nnames;
};

struct calendar *calendar_new(void)
{
	struct calendar *cal;

	if (statutory_init(NULL) != 0)
		return NULL;
	cal = calloc(1, sizeof(*cal));
	if (!cal)
		return NULL;
	cal->first_day = day_from_ymd(CAL_YEAR_MIN, 1, 1);
	cal->ndays = day_from_ymd(CAL_YEAR_MAX + 1, 1, 1) - cal->first_day;
	cal->state = calloc((size_t)cal->ndays, 1);
	cal->name = calloc((size_t)cal->ndays, 1);
	if (!cal->state || !cal->name) {
		calendar_free(cal);
		return NULL;
	}
	return cal;
}

void calendar_free(struct calendar *cal)
{
	if (!cal)
		return;
	for (int i = 0; i < YEARS; i++)
		free(cal->files[i].days);
	for (int i = 1; i <= cal->nnames; i++)
		free(cal->names[i]);
	free(cal->state);
	free(cal->name);
	free(cal);
}

static int year_of(int32_t day)
{
	int y, m, d;

	day_to_ymd(day, &y, &m, &d);
	return y;
}

/* Checks one member of days[]; stores its day in *day. */
static int check_day(const json_t *entry, size_t i, int year,
		     const char *label, int32_t *day, struct error *err)
{
	const json_t *date = json_object_get(entry, "date");
	const json_t *name = json_object_get(entry, "name");
	const char *text = json_string_value(date);

	if (!json_is_object(entry))
		return error_set(err, CT_EINVAL, "%s: days[%zu] is not an "
				 "object", label, i);
	if (!text)
		return error_set(err, CT_EINVAL, "%s: days[%zu].date is "
				 "missing or not a string", label, i);
	if (day_parse(text, day) != 0)
		return error_set(err, CT_EINVAL, "%s: days[%zu].date '%s' is "
				 "not a real date; expected YYYY-MM-DD", label,
				 i, text);
	if (*day < day_from_ymd(year - 1, 12, 1) ||
	    *day > day_from_ymd(year + 1, 1, 31))
		return error_set(err, CT_EINVAL, "%s: days[%zu].date %s lies "
				 "outside %d, the December before and the "
				 "January after", label, i, text, year);
	if (year_of(*day) < CAL_YEAR_MIN || year_of(*day) > CAL_YEAR_MAX)
		return error_set(err, CT_EINVAL, "%s: days[%zu].date %s lies "
				 "outside the calendar's years %d..%d", label,
				 i, text, CAL_YEAR_MIN, CAL_YEAR_MAX);
	if (!json_is_string(name) || json_string_length(name) == 0 ||
	    json_string_length(name) > NAME_BYTES_MAX)
		return error_set(err, CT_EINVAL, "%s: days[%zu].name is "
				 "missing, empty, longer than %d bytes or not "
				 "a string", label, i, NAME_BYTES_MAX);
	if (!json_is_boolean(json_object_get(entry, "isOffDay")))
		return error_set(err, CT_EINVAL, "%s: days[%zu].isOffDay is "
				 "missing or not true or false", label, i);
	return 0;
}

static int check_papers(const json_t *file, const char *label,
			struct error *err)
{
	const json_t *papers = json_object_get(file, "papers");
	size_t i;
	const json_t *p;

	if (!json_is_array(papers))
		return error_set(err, CT_EINVAL, "%s: member 'papers' is "
				 "missing or not an array", label);
	json_array_foreach(papers, i, p) {
		if (!json_is_string(p))
			return error_set(err, CT_EINVAL, "%s: papers[%zu] is "
					 "not a string", label, i);
	}
	return 0;
}

static int check_year(const json_t *file, const char *label, int *year_out,
		      struct error *err)
{
	const json_t *year = json_object_get(file, "year");
	const json_t *days = json_object_get(file, "days");
	int32_t seen[LISTED_MAX];
	json_int_t y;
	size_t i;
	const json_t *entry;
	int rc;

	if (!json_is_object(file))
		return error_set(err, CT_EINVAL, "%s is not a JSON object",
				 label);
	if (!json_is_integer(year))
		return error_set(err, CT_EINVAL, "%s: member 'year' is "
				 "missing or not an integer", label);
	y = json_integer_value(year);
	if (y < CAL_YEAR_MIN || y > CAL_YEAR_MAX)
		return error_set(err, CT_EINVAL,
				 "%s: year %" JSON_INTEGER_FORMAT " lies outside "
				 "the calendar's years %d..%d",
				 label, y, CAL_YEAR_MIN, CAL_YEAR_MAX);
	rc = check_papers(file, label, err);
	if (rc)
		return rc;
	if (!json_is_array(days))
		return error_set(err, CT_EINVAL, "%s: member 'days' is "
				 "missing or not an array", label);
	if (json_array_size(days) > LISTED_MAX)
		return error_set(err, CT_ETOOBIG, "%s: member 'days' lists "
				 "%zu days; at most %d are allowed", label,
				 json_array_size(days), LISTED_MAX);
	json_array_foreach(days, i, entry) {
		rc = check_day(entry, i, (int)y, label, &seen[i], err);
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++) {
			char text[11];

			if (seen[j] != seen[i])
				continue;
			day_format(seen[i], text);
			return error_set(err, CT_EINVAL, "%s: days[%zu].date "
					 "%s is listed twice", label, i, text);
		}
	}
	if (year_out)
		*year_out = (int)y;
	return 0;
}

int calendar_check_year(const json_t *year_file, int *year,
			struct error *err)
{
	return check_year(year_file, "year file", year, err);
}

/* Returns the index of name in cal->names, adding it when new. */
static int intern_name(struct calendar *cal, const char *name, uint8_t *index,
		       struct error *err)
{
	for (int i = 1; i <= cal->nnames; i++) {
		if (strcmp(cal->names[i], name) == 0) {
			*index = (uint8_t)i;
			return 0;
		}
	}
	if (cal->nnames == NAMES_MAX)
		return error_set(err, CT_ETOOBIG, "the calendar holds %d "
				 "distinct holiday names already; '%s' is one "
				 "too many", NAMES_MAX, name);
	cal->names[cal->nnames + 1] = strdup(name);
	if (!cal->names[cal->nnames + 1])
		return error_set(err, CT_ENOMEM, "out of memory");
	cal->nnames++;
	*index = (uint8_t)cal->nnames;
	return 0;
}

static void apply_day(struct calendar *cal, const struct listed_day *l)
{
	int32_t i = l->day - cal->first_day;

	if (l->off)
		cal->state[i] = STATE_OFF;
	else if (day_weekday(l->day) >= 6)
		cal->state[i] = STATE_WORK;
	else
		cal->state[i] = STATE_WEEKDAY_RULE;
	cal->name[i] = l->name;
}

/*
 * Rebuilds the day table: first the days files list of other years, then
 * each year's own days, so that a year's own listing wins.
 */
static void rebuild(struct calendar *cal)
{
	memset(cal->state, STATE_WEEKDAY_RULE, (size_t)cal->ndays);
	memset(cal->name, 0, (size_t)cal->ndays);
	for (int own = 0; own <= 1; own++) {
		for (int i = 0; i < YEARS; i++) {
			const struct year_file *f = &cal->files[i];

			for (size_t j = 0; j < f->n; j++) {
				int y = year_of(f->days[j].day);

				if ((y == CAL_YEAR_MIN + i) == own)
					apply_day(cal, &f->days[j]);
			}
		}
	}
}

static int add_checked(struct calendar *cal, const json_t *file, int year,
		       struct error *err)
{
	const json_t *days = json_object_get(file, "days");
	size_t n = json_array_size(days), i;
	struct listed_day *list = NULL;
	struct year_file *f = &cal->files[year - CAL_YEAR_MIN];
	const json_t *entry;
	int rc;

	if (n) {
		list = calloc(n, sizeof(*list));
		if (!list)
			return error_set(err, CT_ENOMEM, "out of memory");
	}
	json_array_foreach(days, i, entry) {
		const char *name =
			json_string_value(json_object_get(entry, "name"));

		day_parse(json_string_value(json_object_get(entry, "date")),
			  &list[i].day);
		list[i].off = json_is_true(json_object_get(entry, "isOffDay"));
		rc = intern_name(cal, name, &list[i].name, err);
		if (rc) {
			free(list);
			return rc;
		}
	}
	free(f->days);
	f->present = true;
	f->n = n;
	f->days = list;
	rebuild(cal);
	return 0;
}

int calendar_add_year(struct calendar *cal, const json_t *year_file,
		      struct error *err)
{
	int year, rc;

	rc = check_year(year_file, "year file", &year, err);
	if (rc)
		return rc;
	return add_checked(cal, year_file, year, err);
}

int calendar_read_file(const char *path, json_t **year_file,
		       struct error *err)
{
	char label[PATH_MAX + 32];
	json_error_t jerr;
	json_t *file;
	FILE *in;
	int rc;

	snprintf(label, sizeof(label), "calendar file '%s'", path);
	in = fopen(path, "r");
	if (!in)
		return error_set(err, errno == ENOENT ? CT_ENOTFOUND : CT_EIO,
				 "cannot open %s: %s", label, strerror(errno));
	file = json_loadf(in, JSON_REJECT_DUPLICATES, &jerr);
	fclose(in);
	if (!file)
		return error_set(err, CT_EINVAL, "%s is not valid JSON: %s "
				 "(line %d)", label, jerr.text, jerr.line);
	rc = check_year(file, label, NULL, err);
	if (rc) {
		json_decref(file);
		return rc;
	}
	*year_file = file;
	return 0;
}

/* Returns the year that a name of the form YYYY.json gives, or -1. */
static int year_file_name(const char *name)
{
	int y = 0;

	if (strlen(name) != 9 || strcmp(name + 4, ".json") != 0)
		return -1;
	for (int i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		y = y * 10 + (name[i] - '0');
	}
	return y;
}

/* Reads every year file of dir into files[] (indexed by year). */
static int read_dir(const char *dir, json_t *files[YEARS], struct error *err)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return error_set(err, errno == ENOENT ? CT_ENOTFOUND : CT_EIO,
				 "cannot open calendar folder '%s': %s", dir,
				 strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		int y = year_file_name(de->d_name), file_year;

		if (y < 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path)) {
			rc = error_set(err, CT_EINVAL, "calendar folder path "
				       "'%s' is too long", dir);
			break;
		}
		if (y < CAL_YEAR_MIN || y > CAL_YEAR_MAX) {
			rc = error_set(err, CT_EINVAL, "calendar file '%s' "
				       "names a year outside %d..%d", path,
				       CAL_YEAR_MIN, CAL_YEAR_MAX);
			break;
		}
		rc = calendar_read_file(path, &files[y - CAL_YEAR_MIN], err);
		if (rc)
			break;
		file_year = (int)json_integer_value(
			json_object_get(files[y - CAL_YEAR_MIN], "year"));
		if (file_year != y)
			rc = error_set(err, CT_EINVAL, "calendar file '%s': "
				       "member 'year' is %d but the file name "
				       "says %d", path, file_year, y);
	}
	closedir(d);
	return rc;
}

int calendar_load_dir(struct calendar *cal, const char *dir,
		      struct error *err)
{
	json_t *files[YEARS] = { 0 };
	int rc = read_dir(dir, files, err);

	for (int i = 0; i < YEARS && rc == 0; i++) {
		if (files[i])
			rc = add_checked(cal, files[i], CAL_YEAR_MIN + i, err);
	}
	for (int i = 0; i < YEARS; i++)
		json_decref(files[i]);
	return rc;
}

int calendar_published(const struct calendar *cal, int year)
{
	if (year < CAL_YEAR_MIN || year > CAL_YEAR_MAX)
		return 0;
	return cal->files[year - CAL_YEAR_MIN].present &&
	       cal->files[year - CAL_YEAR_MIN].n > 0;
}

int calendar_is_working(const struct calendar *cal, int32_t day,
			int *provisional, const char **name)
{
	int32_t i = day - cal->first_day;
	int weekday = day_weekday(day) <= 5, prov = 0, working;
	const char *holiday = NULL;

	if (i < 0 || i >= cal->ndays) {
		prov = 1;
		working = weekday;
	} else if (cal->state[i] == STATE_OFF) {
		holiday = cal->names[cal->name[i]];
		working = 0;
	} else if (cal->state[i] == STATE_WORK) {
		holiday = "调休";
		working = 1;
	} else if (calendar_published(cal, year_of(day))) {
		working = weekday;
	} else {
		prov = 1;
		working = statutory_holiday(day, &holiday) ? 0 : weekday;
	}
	if (provisional)
		*provisional = prov;
	if (name)
		*name = holiday;
	return working;
}

size_t calendar_changed_days(const struct calendar *a,
			     const struct calendar *b, int32_t first,
			     int32_t last, int32_t *out, size_t max)
{
	size_t count = 0;

	for (int32_t d = first; d <= last; d++) {
		if (calendar_is_working(a, d, NULL, NULL) ==
		    calendar_is_working(b, d, NULL, NULL))
			continue;
		if (count < max)
			out[count] = d;
		count++;
	}
	return count;
}
