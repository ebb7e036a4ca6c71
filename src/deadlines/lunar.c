/*
 * The one file that calls liblunar-date (a GObject library). It turns the
 * lunar festivals of a range of years into solar days, so the rest of
 * src/deadlines/ works with plain day numbers.
 */
#include "common/common.h"

#include <lunar-date/lunar-date.h>

#include "deadlines.h"
#include "internal.h"

/*
 * Parses the "%(year)-%(month)-%(day)" output of lunar_date_strftime,
 * which liblunar-date 3.0 writes as plain solar digits ("2027-2-6").
 */
static int parse_solar(const char *text, int32_t *day)
{
	int part[3] = { 0, 0, 0 };
	int i = 0;
	const char *p = text;

	for (; *p && i < 3; p++) {
		if (*p == '-') {
			i++;
			continue;
		}
		if (*p < '0' || *p > '9' || part[i] > 9999)
			return -1;
		part[i] = part[i] * 10 + (*p - '0');
	}
	if (i != 2 || part[1] < 1 || part[1] > 12 || part[2] < 1 ||
	    part[2] > 31)
		return -1;
	*day = day_from_ymd(part[0], part[1], part[2]);
	return 0;
}

static int lunar_to_day(LunarDate *date, int year, int month, int mday,
			int32_t *day, struct error *err)
{
	GError *gerr = NULL;
	gchar *text;
	int rc;

	lunar_date_set_lunar_date(date, (GDateYear)year, (GDateMonth)month,
				  (GDateDay)mday, 0, FALSE, &gerr);
	if (gerr) {
		rc = error_set(err, CT_EINVAL,
			       "liblunar-date rejected lunar date %d-%d-%d: %s",
			       year, month, mday, gerr->message);
		g_error_free(gerr);
		return rc;
	}
	text = lunar_date_strftime(date, "%(year)-%(month)-%(day)");
	rc = text ? parse_solar(text, day) : -1;
	if (rc)
		rc = error_set(err, CT_EINVAL,
			       "liblunar-date returned '%s' for lunar date "
			       "%d-%d-%d; expected a solar date such as "
			       "2027-2-6",
			       text ? text : "(nothing)", year, month, mday);
	g_free(text);
	return rc;
}

/* Returns whether day lies between month/day lo and hi of year. */
static int in_season(int32_t day, int year, int lo_m, int lo_d, int hi_m,
		     int hi_d)
{
	return day >= day_from_ymd(year, lo_m, lo_d) &&
	       day <= day_from_ymd(year, hi_m, hi_d);
}

/*
 * The one LunarDate of the process. liblunar-date 3.0.1 has no call that
 * frees one completely (lunar_date_free leaves the GObject instance,
 * g_object_unref leaves its date fields), so it is kept, reachable, for
 * the life of the process. Only statutory_init calls in, once.
 */
static LunarDate *kept_date;

int lunar_festivals_compute(int first, int last, struct lunar_festivals *out,
			    struct error *err)
{
	LunarDate *date;
	int rc = 0;

	if (!kept_date)
		kept_date = lunar_date_new();
	date = kept_date;
	if (!date)
		return error_set(err, CT_ENOMEM, "out of memory");
	for (int y = first; y <= last && rc == 0; y++) {
		struct lunar_festivals *f = &out[y - first];

		rc = lunar_to_day(date, y, 1, 1, &f->new_year, err);
		if (rc == 0)
			rc = lunar_to_day(date, y, 5, 5, &f->dragon_boat, err);
		if (rc == 0)
			rc = lunar_to_day(date, y, 8, 15, &f->mid_autumn, err);
		if (rc)
			break;
		/*
		 * In 2000..2099 the festivals fall within Jan 21..Feb 19,
		 * May 27..Jun 25 and Sep 7..Oct 6; a date outside these
		 * windows, a day wider, means the library is broken.
		 */
		if (!in_season(f->new_year, y, 1, 20, 2, 20) ||
		    !in_season(f->dragon_boat, y, 5, 26, 6, 26) ||
		    !in_season(f->mid_autumn, y, 9, 6, 10, 7))
			rc = error_set(err, CT_EINVAL,
				       "liblunar-date gave festival dates of "
				       "lunar year %d outside their seasons",
				       y);
	}
	return rc;
}
