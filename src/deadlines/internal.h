/*
 * Shared by the files of src/deadlines/ only: the statutory holidays that
 * count in a year without a published calendar, and the lunar dates they
 * need from liblunar-date.
 */
#ifndef CASETRAIL_DEADLINES_INTERNAL_H
#define CASETRAIL_DEADLINES_INTERNAL_H

#include <stdint.h>

#include "common/error.h"

/* The solar days of the lunar festivals of one lunar year. */
struct lunar_festivals {
	int32_t new_year;    /* 正月初一 */
	int32_t dragon_boat; /* 五月初五 */
	int32_t mid_autumn;  /* 八月十五 */
};

/*
 * Fills out[0 .. last - first] with the festivals of the lunar years
 * first..last through liblunar-date. Returns 0, or CT_EINVAL with err set
 * when the library rejects a date or returns one outside the season the
 * festival always falls in. Not thread-safe: statutory_init calls it once.
 */
int lunar_festivals_compute(int first, int last, struct lunar_festivals *out,
			    struct error *err);

/*
 * Computes the statutory holiday table once per process. Returns 0, or
 * the error of the lunar conversion (the same on every call).
 */
int statutory_init(struct error *err);

/*
 * Returns 1 and sets *name when day is a statutory holiday of its year
 * under the version of 全国年节及纪念日放假办法 in force that year, else 0.
 * Requires a successful statutory_init and a day of CAL_YEAR_MIN..MAX.
 */
int statutory_holiday(int32_t day, const char **name);

/* The day of the Qingming solar term (清明) in April of year, 2000..2099. */
int qingming_april_day(int year);

#endif
