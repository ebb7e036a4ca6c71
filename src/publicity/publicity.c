/*
 * 双公示 publication of licensing decisions (see publicity.h).
 */
#include "common/common.h"
