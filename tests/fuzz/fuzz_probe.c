/*
 * libFuzzer target for the media prober. Each input is written to a
 * memfd and probed through /proc/self/fd/N, so that the same path-based
 * code runs as in `casetrail probe`: libavformat and libavcodec, libexif,
 * libheif, the capture time rules and, through a second memfd, the JPEG
 * thumbnail. A report must always come back, and must be a JSON object
 * with a problems array, because damaged files are data.
 */
#include "common/common.h"

#include <libavutil/log.h>
#include <sys/mman.h>
#include <unistd.h>

#include "media/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd_with(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-probe", MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		abort();
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_opts opts = { .max_side = 64 };
	char path[64], thumb[64];
	struct error err;
	json_t *report = NULL;
	int in, out;

	av_log_set_level(AV_LOG_QUIET);
	in = memfd_with(data, size);
	out = memfd_create("fuzz-thumb", MFD_CLOEXEC);
	if (out < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", in);
	snprintf(thumb, sizeof(thumb), "/proc/self/fd/%d", out);
	opts.thumb_out = thumb;

	error_clear(&err);
	if (probe_file(path, &opts, &report, &err) != 0) {
		fprintf(stderr, "probe_file failed on a memfd: %s\n", err.msg);
		abort();
	}
	if (!json_is_object(report) ||
	    !json_is_array(json_object_get(report, "problems"))) {
		fprintf(stderr, "probe_file returned no report\n");
		abort();
	}
	json_decref(report);
	close(out);
	close(in);
	return 0;
}
