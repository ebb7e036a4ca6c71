/*
 * Civil dates as day numbers (days since 1970-01-01) of China Standard
 * Time, UTC+8 all year. Pure integer arithmetic on the proleptic
 * Gregorian calendar, so no time zone database and no gmtime.
 */
#include "common/common.h"

#include "deadlines.h"

#define MS_PER_DAY INT64_C(86400000)
#define CST_OFFSET_MS (INT64_C(8) * 3600 * 1000)

/*
 * The conversions follow Howard Hinnant's days_from_civil and
 * civil_from_days: years run from March so that the leap day comes last,
 * and 400-year eras of 146097 days repeat exactly.
 */
int32_t day_from_ymd(int y, int m, int d)
{
	int64_t year = y - (m <= 2);
	int64_t era = (year >= 0 ? year : year - 399) / 400;
	int64_t yoe = year - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (int32_t)(era * 146097 + doe - 719468);
}

void day_to_ymd(int32_t day, int *y, int *m, int *d)
{
	int64_t z = (int64_t)day + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int month = (int)(mp < 10 ? mp + 3 : mp - 9);

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = month;
	*y = (int)(yoe + era * 400 + (month <= 2));
}

int day_weekday(int32_t day)
{
	/* 1970-01-01 was a Thursday (4). */
	int r = (int)(((int64_t)day + 3) % 7);

	return (r < 0 ? r + 7 : r) + 1;
}

static int days_in_month(int y, int m)
{
	static const int length[12] = { 31, 28, 31, 30, 31, 30,
					 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : length[m - 1];
}

static int read_digits(const char *p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

int day_parse(const char *text, int32_t *day)
{
	int y, m, d;

	if (!text || strlen(text) != 10 || text[4] != '-' || text[7] != '-' ||
	    read_digits(text, 4, &y) || read_digits(text + 5, 2, &m) ||
	    read_digits(text + 8, 2, &d))
		return CT_EINVAL;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return CT_EINVAL;
	*day = day_from_ymd(y, m, d);
	return 0;
}

static void put_digits(char *p, int v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

void day_format(int32_t day, char out[11])
{
	int y, m, d;

	day_to_ymd(day, &y, &m, &d);
	if (y < 0 || y > 9999) {
		memcpy(out, "0000-00-00", 11);
		return;
	}
	put_digits(out, y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = '\0';
}

int32_t day_of_ms(int64_t utc_ms)
{
	int64_t t = utc_ms + CST_OFFSET_MS;
	int64_t q = t / MS_PER_DAY;

	/* Round towards minus infinity for times before 1970. */
	if (t % MS_PER_DAY < 0)
		q--;
	return (int32_t)q;
}

int64_t day_start_ms(int32_t day)
{
	return (int64_t)day * MS_PER_DAY - CST_OFFSET_MS;
}
