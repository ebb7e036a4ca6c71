/*
 * The first header of every casetrail source file: the C library headers
 * that nearly every file needs, the error and buffer types, and the list of
 * banned calls, which must come after the system headers it shadows.
 */
#ifndef CASETRAIL_COMMON_H
#define CASETRAIL_COMMON_H

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "buf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#include "banned.h"

#endif
