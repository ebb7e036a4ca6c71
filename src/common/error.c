/* Error codes and messages. */
#include "common.h"

void error_clear(struct error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

int error_set(struct error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->msg[0] != '\0')
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *ct_strerror(int code)
{
	switch (code) {
	case CT_OK:
		return "success";
	case CT_EINVAL:
		return "invalid input";
	case CT_ENOTFOUND:
		return "not found";
	case CT_EEXIST:
		return "already exists";
	case CT_EIO:
		return "input/output error";
	case CT_ECRYPTO:
		return "cryptographic operation failed";
	case CT_ECORRUPT:
		return "stored data is corrupt";
	case CT_ENOMEM:
		return "out of memory";
	case CT_EBUSY:
		return "store is busy";
	case CT_ETOOBIG:
		return "input too large";
	case CT_EPERM:
		return "not permitted";
	case CT_ESTATE:
		return "invalid state";
	}
	return "unknown error";
}
