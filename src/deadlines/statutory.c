/*
 * The statutory holidays of 全国年节及纪念日放假办法, which count in a year
 * whose official calendar is not published. The table covers every year
 * of CAL_YEAR_MIN..MAX and is built once per process, because the lunar
 * festivals come from liblunar-date.
 *
 * Each year uses the version of the Measures in force that year:
 *
 *   from 2025  元旦 1 Jan; 春节 除夕..正月初三; 清明; 劳动节 1-2 May;
 *              端午; 中秋; 国庆节 1-3 Oct
 *   2014-2024  as above, but 春节 正月初一..初三 and 劳动节 1 May only
 *   2008-2013  春节 除夕..正月初二, 劳动节 1 May only
 *   2000-2007  元旦; 春节 正月初一..初三; 劳动节 1-3 May; 国庆节 1-3 Oct
 *
 * The annual notice also moves days off next to weekends and makes up
 * for holidays that fall on a weekend. None of that is guessed here.
 */
#include "common/common.h"

#include <pthread.h>

#include "common/log.h"
#include "deadlines.h"
#include "internal.h"

#define YEARS (CAL_YEAR_MAX - CAL_YEAR_MIN + 1)
#define HOLIDAYS_MAX 16 /* 13 days off from 2025 */

struct holiday {
	int32_t day;
	const char *name;
};

struct year_holidays {
	struct holiday days[HOLIDAYS_MAX];
	int n;
};

static struct year_holidays table[YEARS];

static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static struct error table_err;

int qingming_april_day(int year)
{
	int y = year % 100;

	/* floor(Y * 0.2422 + 4.81) - floor(Y / 4), in integers. */
	return (y * 2422 + 48100) / 10000 - y / 4;
}

/*
 * Adds a holiday to a year's list. Only 中秋 can fall on a day that is
 * already a holiday (1-3 October). That day gets the name the State
 * Council's notices give it.
 */
static void add(int year, int32_t day, const char *name)
{
	struct year_holidays *t = &table[year - CAL_YEAR_MIN];

	for (int i = 0; i < t->n; i++) {
		if (t->days[i].day == day) {
			t->days[i].name = "国庆节、中秋节";
			return;
		}
	}
	if (t->n < HOLIDAYS_MAX)
		t->days[t->n++] = (struct holiday){ day, name };
}

static void add_span(int year, int32_t first, int count, const char *name)
{
	for (int i = 0; i < count; i++)
		add(year, first + i, name);
}

static void fill_year(int y, const struct lunar_festivals *f)
{
	int32_t new_year = f->new_year;

	add(y, day_from_ymd(y, 1, 1), "元旦");
	if (y >= 2025)
		add_span(y, new_year - 1, 4, "春节");
	else if (y >= 2014 || y < 2008)
		add_span(y, new_year, 3, "春节");
	else
		add_span(y, new_year - 1, 3, "春节");

	if (y >= 2008) {
		add(y, day_from_ymd(y, 4, qingming_april_day(y)), "清明节");
		add_span(y, day_from_ymd(y, 5, 1), y >= 2025 ? 2 : 1,
			 "劳动节");
		add(y, f->dragon_boat, "端午节");
		add(y, f->mid_autumn, "中秋节");
	} else {
		add_span(y, day_from_ymd(y, 5, 1), 3, "劳动节");
	}
	add_span(y, day_from_ymd(y, 10, 1), 3, "国庆节");
}

static void build_table(void)
{
	struct lunar_festivals fest[YEARS];

	if (lunar_festivals_compute(CAL_YEAR_MIN, CAL_YEAR_MAX, fest,
				    &table_err) != 0) {
		char quoted[ERROR_MSG_MAX];

		log_error("deadlines", "lunar holidays unavailable", "error=%s",
			  log_quote(table_err.msg, quoted, sizeof(quoted)));
		return;
	}
	for (int y = CAL_YEAR_MIN; y <= CAL_YEAR_MAX; y++)
		fill_year(y, &fest[y - CAL_YEAR_MIN]);
}

int statutory_init(struct error *err)
{
	pthread_once(&table_once, build_table);
	if (table_err.code == 0)
		return 0;
	error_set(err, table_err.code, "%s", table_err.msg);
	return table_err.code;
}

int statutory_holiday(int32_t day, const char **name)
{
	int y, m, d;

	day_to_ymd(day, &y, &m, &d);
	if (y < CAL_YEAR_MIN || y > CAL_YEAR_MAX)
		return 0;
	for (int i = 0; i < table[y - CAL_YEAR_MIN].n; i++) {
		const struct holiday *h = &table[y - CAL_YEAR_MIN].days[i];

		if (h->day == day) {
			*name = h->name;
			return 1;
		}
	}
	return 0;
}
