/*
 * Case files as BagIt packages (see archive.h).
 */
#include "common/common.h"
