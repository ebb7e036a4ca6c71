/*
 * Audio, video and plain images through libavformat and libavcodec:
 * format, streams, duration, metadata tags (creation times, location,
 * device), a check for sample data past the end of the file, and the
 * first decodable picture for the thumbnail.
 *
 * The demuxer reads the probe's file descriptor through a custom AVIO
 * context, and every attempt to open another file or URL (playlists,
 * MP4 data references, image sequences) is refused, so that a crafted
 * file cannot make the prober read anything else.
 */
#include "common/common.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe_internal.h"

#define AVIO_BUFFER_SIZE (64 * 1024)
/* Packets read while looking for the first decodable frame. */
#define DECODE_PACKETS_MAX 2000

/* The SEI user-data UUID of Sony and Panasonic AVCHD "MDPM" blocks. */
static const uint8_t mdpm_uuid[16] = {
	0x17, 0xee, 0x8c, 0x60, 0xf8, 0x4d, 0x11, 0xd9,
	0x8c, 0xd6, 0x08, 0x00, 0x20, 0x0c, 0x9a, 0x66,
};

struct av_probe {
	struct probe *p;
	AVFormatContext *fmt;
	AVIOContext *avio;
	int64_t file_size;
	int mdpm_done;
};

static int read_packet(void *opaque, uint8_t *buf, int size)
{
	struct probe *p = opaque;
	ssize_t n;

	do
		n = read(p->fd, buf, (size_t)size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return AVERROR(errno);
	return n == 0 ? AVERROR_EOF : (int)n;
}

static int64_t seek_file(void *opaque, int64_t offset, int whence)
{
	struct probe *p = opaque;
	struct stat st;

	if (whence & AVSEEK_SIZE)
		return fstat(p->fd, &st) == 0 ? st.st_size : AVERROR(errno);
	whence &= ~AVSEEK_FORCE;
	if (lseek(p->fd, offset, whence) < 0)
		return AVERROR(errno);
	return lseek(p->fd, 0, SEEK_CUR);
}

static int refuse_open(AVFormatContext *s, AVIOContext **pb,
		       const char *url, int flags, AVDictionary **options)
{
	(void)s;
	(void)pb;
	(void)url;
	(void)flags;
	(void)options;
	return AVERROR(EPERM);
}

static const char *av_error_text(int code, char *buf, size_t n)
{
	if (av_strerror(code, buf, n) < 0)
		snprintf(buf, n, "error %d", code);
	return buf;
}

static int open_input(struct av_probe *a)
{
	uint8_t *buffer = av_malloc(AVIO_BUFFER_SIZE);
	char msg[128];
	int rc;

	a->fmt = avformat_alloc_context();
	if (!buffer || !a->fmt) {
		av_free(buffer);
		return AVERROR(ENOMEM);
	}
	a->avio = avio_alloc_context(buffer, AVIO_BUFFER_SIZE, 0, a->p,
				     read_packet, NULL, seek_file);
	if (!a->avio) {
		av_free(buffer);
		return AVERROR(ENOMEM);
	}
	a->fmt->pb = a->avio;
	a->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
	a->fmt->io_open = refuse_open;
	rc = avformat_open_input(&a->fmt, NULL, NULL, NULL);
	if (rc < 0)
		return rc;
	rc = avformat_find_stream_info(a->fmt, NULL);
	if (rc < 0)
		probe_problem(a->p, "metadata unreadable: %s",
			      av_error_text(rc, msg, sizeof(msg)));
	return 0;
}

static void close_input(struct av_probe *a)
{
	/* The custom AVIO context outlives the format context. */
	avformat_close_input(&a->fmt);
	if (a->avio) {
		av_freep(&a->avio->buffer);
		avio_context_free(&a->avio);
	}
}

static int is_image_demuxer(const char *name)
{
	size_t n = strlen(name);

	return !strcmp(name, "image2") ||
	       (n > 5 && !strcmp(name + n - 5, "_pipe"));
}

static const char *tag(AVDictionary *m, const char *key)
{
	AVDictionaryEntry *e = av_dict_get(m, key, NULL, 0);

	return e && e->value[0] ? e->value : NULL;
}

/* Parses ISO 6709 "+34.0754-118.2543/" or "+52.3693+006.6761+10.53/". */
static void read_location(struct probe *p, const char *text)
{
	double v[3];
	char *end;
	int n = 0;

	while (n < 3 && (*text == '+' || *text == '-')) {
		v[n++] = strtod(text, &end);
		if (end == text)
			break;
		text = end;
	}
	if (n >= 2)
		probe_set_gps(p, v[0], v[1], n == 3, n == 3 ? v[2] : 0);
}

static void read_tags(struct av_probe *a, int is_mov, int is_avi)
{
	AVDictionary *m = a->fmt->metadata;
	struct probe *p = a->p;
	const char *v;

	if ((v = tag(m, "creation_time")))
		probe_clue_iso(p, is_mov ? "quicktime-creation"
				  : is_avi ? "avi-idit" : "tag-creation-time",
			       v, is_mov);
	if ((v = tag(m, "com.apple.quicktime.creationdate")))
		probe_clue_iso(p, "quicktime-creationdate", v, 0);
	if ((v = tag(m, "date")))
		probe_clue_iso(p, is_mov ? "quicktime-day"
				  : is_avi ? "avi-icrd" : "tag-date", v, 0);
	if ((v = tag(m, "com.apple.quicktime.location.ISO6709")) ||
	    (v = tag(m, "location")))
		read_location(p, v);
	if ((v = tag(m, "com.apple.quicktime.make")) ||
	    (v = tag(m, "com.android.manufacturer")) || (v = tag(m, "make")))
		probe_set_device(p, "make", v);
	if ((v = tag(m, "com.apple.quicktime.model")) ||
	    (v = tag(m, "com.android.model")) || (v = tag(m, "model")))
		probe_set_device(p, "model", v);
	if ((v = tag(m, "com.apple.quicktime.software")) ||
	    (v = tag(m, "software")))
		probe_set_device(p, "software", v);
}

static int bcd(uint8_t b)
{
	return (b >> 4) > 9 || (b & 15) > 9 ? -1 : (b >> 4) * 10 + (b & 15);
}

/*
 * Reads the recording time from an AVCHD MDPM block: after the UUID,
 * "MDPM", a count and 5-byte entries. Entry 0x18 holds the zone byte
 * and the BCD year and month, entry 0x19 the BCD day, hour, minute and
 * second. The zone byte, as ExifTool 12 decodes it: 0x20 west of UTC,
 * bits 1-4 hours, 0x01 an extra half hour, 0x40 daylight saving time.
 */
static int read_mdpm(struct probe *p, const uint8_t *d, size_t len)
{
	const uint8_t *date = NULL, *time = NULL;
	char value[PROBE_TEXT_MAX];
	int t[6], offset;
	size_t count;

	if (len < 21 || memcmp(d + 16, "MDPM", 4) != 0)
		return 0;
	count = d[20];
	for (size_t i = 0; i < count && 21 + 5 * i + 5 <= len; i++) {
		const uint8_t *e = d + 21 + 5 * i;

		if (e[0] == 0x18)
			date = e + 1;
		else if (e[0] == 0x19)
			time = e + 1;
	}
	if (!date || !time)
		return 0;
	t[0] = bcd(date[1]) * 100 + bcd(date[2]);
	t[1] = bcd(date[3]);
	t[2] = bcd(time[0]);
	t[3] = bcd(time[1]);
	t[4] = bcd(time[2]);
	t[5] = bcd(time[3]);
	offset = ((date[0] >> 1) & 15) * 60 + (date[0] & 1 ? 30 : 0);
	if (date[0] & 0x20)
		offset = -offset;
	snprintf(value, sizeof(value), "%02x%02x-%02x-%02x %02x:%02x:%02x "
		 "%c%02d:%02d%s", date[1], date[2], date[3], time[0], time[1],
		 time[2], time[3], offset < 0 ? '-' : '+', abs(offset) / 60,
		 abs(offset) % 60, date[0] & 0x40 ? " DST" : "");
	/* NOTE: the offset is taken as stated, on the reading that it
	 * already includes daylight saving time when 0x40 is set. */
	probe_clue_parts(p, "mts", value, t, -1, 0, 1, offset);
	return 1;
}

/* Looks for an MDPM block in an H.264 packet, removing the emulation
 * prevention bytes (00 00 03) that the SEI payload may carry. */
static void scan_mdpm(struct av_probe *a, const uint8_t *data, size_t size)
{
	uint8_t raw[21 + 5 * 255];

	for (size_t i = 0; i + 16 <= size && !a->mdpm_done; i++) {
		size_t n = 0, zeros = 0;

		if (data[i] != 0x17 || memcmp(data + i, mdpm_uuid, 16) != 0)
			continue;
		for (size_t j = i; j < size && n < sizeof(raw); j++) {
			if (zeros >= 2 && data[j] == 3) {
				zeros = 0;
				continue;
			}
			zeros = data[j] == 0 ? zeros + 1 : 0;
			raw[n++] = data[j];
		}
		a->mdpm_done = read_mdpm(a->p, raw, n);
	}
}

/* Flags MP4 and AVI files whose sample index points past the end of the
 * file, the mark of a recording cut short in a copy or an upload. */
static void check_truncated(struct av_probe *a)
{
	int64_t end = 0;

	for (unsigned i = 0; i < a->fmt->nb_streams; i++) {
		AVStream *st = a->fmt->streams[i];
		int n = avformat_index_get_entries_count(st);
		const AVIndexEntry *e;

		if (n <= 0)
			continue;
		e = avformat_index_get_entry(st, n - 1);
		if (e && e->pos + e->size > end)
			end = e->pos + e->size;
	}
	if (a->file_size > 0 && end > a->file_size)
		probe_problem(a->p, "truncated: sample data ends at byte "
			      "%" PRId64 " of a %" PRId64 "-byte file", end,
			      a->file_size);
}

static void describe_streams(struct av_probe *a, int video, int audio)
{
	struct probe *p = a->p;

	for (unsigned i = 0; i < a->fmt->nb_streams; i++) {
		AVCodecParameters *par = a->fmt->streams[i]->codecpar;

		if (par->codec_id == AV_CODEC_ID_NONE &&
		    (par->codec_type == AVMEDIA_TYPE_VIDEO ||
		     par->codec_type == AVMEDIA_TYPE_AUDIO))
			probe_problem(p, "stream %u: unknown codec", i);
	}
	if (video >= 0) {
		AVStream *st = a->fmt->streams[video];
		json_t *v = json_pack("{s:s, s:i, s:i}", "codec",
				      avcodec_get_name(st->codecpar->codec_id),
				      "width", st->codecpar->width, "height",
				      st->codecpar->height);

		if (st->nb_frames > 0)
			json_object_set_new(v, "frames",
					    json_integer(st->nb_frames));
		json_object_set_new(p->report, "video", v);
	}
	if (audio >= 0) {
		AVCodecParameters *par = a->fmt->streams[audio]->codecpar;

		json_object_set_new(p->report, "audio", json_pack(
			"{s:s, s:i, s:i}", "codec",
			avcodec_get_name(par->codec_id), "channels",
			par->ch_layout.nb_channels, "sample_rate",
			par->sample_rate));
	}
	if (a->fmt->duration != AV_NOPTS_VALUE && a->fmt->duration > 0)
		json_object_set_new(p->report, "duration_ms", json_integer(
			av_rescale(a->fmt->duration, 1000, AV_TIME_BASE)));
}

static int open_decoder(AVStream *st, AVCodecContext **out)
{
	const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
	AVCodecContext *ctx;
	int rc;

	if (!codec)
		return AVERROR_DECODER_NOT_FOUND;
	ctx = avcodec_alloc_context3(codec);
	if (!ctx)
		return AVERROR(ENOMEM);
	rc = avcodec_parameters_to_context(ctx, st->codecpar);
	ctx->thread_count = 1;
	if (rc >= 0)
		rc = avcodec_open2(ctx, codec, NULL);
	if (rc < 0)
		avcodec_free_context(&ctx);
	*out = ctx;
	return rc;
}

/* Sends pkt (NULL: flush) and takes the first intact frame. Returns 1
 * when one was taken, 0 when more input is needed, or an error. */
static int decode_packet(AVCodecContext *ctx, const AVPacket *pkt,
			 AVFrame *frame)
{
	int rc = avcodec_send_packet(ctx, pkt);

	if (rc < 0 && rc != AVERROR(EAGAIN) && rc != AVERROR_EOF)
		return rc;
	while ((rc = avcodec_receive_frame(ctx, frame)) >= 0) {
		if (!(frame->flags & AV_FRAME_FLAG_CORRUPT))
			return 1;
		av_frame_unref(frame);
	}
	return rc == AVERROR(EAGAIN) || rc == AVERROR_EOF ? 0 : rc;
}

/* Reads packets of stream index until its first frame decodes, scanning
 * H.264 packets for MDPM on the way when scan is set. Keeps the frame as
 * the probe's picture when picture is set. */
static void decode_first(struct av_probe *a, int index, int picture,
			 int scan)
{
	AVStream *st = a->fmt->streams[index];
	AVCodecContext *ctx = NULL;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *frame = av_frame_alloc();
	int rc, got = 0, last_error = 0, packets = 0;
	char msg[128];

	rc = pkt && frame ? open_decoder(st, &ctx) : AVERROR(ENOMEM);
	if (rc < 0) {
		probe_problem(a->p, "decode failed: %s: %s",
			      avcodec_get_name(st->codecpar->codec_id),
			      av_error_text(rc, msg, sizeof(msg)));
		goto out_free;
	}
	while (!got && packets < DECODE_PACKETS_MAX &&
	       (rc = av_read_frame(a->fmt, pkt)) >= 0) {
		if (pkt->stream_index == index) {
			packets++;
			if (scan && !a->mdpm_done)
				scan_mdpm(a, pkt->data, (size_t)pkt->size);
			rc = decode_packet(ctx, pkt, frame);
			got = rc > 0;
			if (rc < 0)
				last_error = rc;
		}
		av_packet_unref(pkt);
	}
	if (rc < 0 && rc != AVERROR_EOF)
		last_error = rc;
	if (!got && decode_packet(ctx, NULL, frame) > 0)
		got = 1;
	if (!got) {
		probe_problem(a->p, "decode failed: %s: %s",
			      avcodec_get_name(st->codecpar->codec_id),
			      last_error ? av_error_text(last_error, msg,
							 sizeof(msg))
					 : "no complete frame");
		goto out_free;
	}
	if (picture)
		probe_picture_from_frame(a->p, frame);
out_free:
	avcodec_free_context(&ctx);
	av_frame_free(&frame);
	av_packet_free(&pkt);
}

static void classify(struct av_probe *a, int is_jpeg, int *video,
		     int *audio)
{
	const char *name = a->fmt->iformat->name;
	struct probe *p = a->p;
	const char *kind = "other";
	char format[64];

	*video = av_find_best_stream(a->fmt, AVMEDIA_TYPE_VIDEO, -1, -1,
				     NULL, 0);
	*audio = av_find_best_stream(a->fmt, AVMEDIA_TYPE_AUDIO, -1, -1,
				     NULL, 0);
	if (*video >= 0 && a->fmt->streams[*video]->disposition &
				   AV_DISPOSITION_ATTACHED_PIC)
		*video = -1;
	snprintf(format, sizeof(format), "%s", name);
	if (is_image_demuxer(name)) {
		kind = "photo";
		if (strstr(format, "_pipe"))
			*strstr(format, "_pipe") = '\0';
		else if (*video >= 0)
			snprintf(format, sizeof(format), "%s",
				 avcodec_get_name(a->fmt->streams[*video]
							  ->codecpar->codec_id));
	} else if (*video >= 0) {
		kind = "video";
	} else if (*audio >= 0) {
		kind = "audio";
	} else if (is_jpeg) {
		kind = "photo";
	}
	json_object_set_new(p->report, "kind", json_string(kind));
	json_object_set_new(p->report, "format", json_string(format));
	if (a->fmt->nb_streams == 0)
		probe_problem(p, "no streams");
	else if (*video < 0 && *audio < 0)
		probe_problem(p, "no audio or video stream");
}

void probe_av(struct probe *p, int is_jpeg)
{
	struct av_probe a = { .p = p };
	struct stat st;
	char msg[128];
	int video, audio, rc;

	if (fstat(p->fd, &st) == 0)
		a.file_size = st.st_size;
	lseek(p->fd, 0, SEEK_SET);
	rc = open_input(&a);
	if (rc < 0) {
		json_object_set_new(p->report, "kind",
				    json_string(is_jpeg ? "photo" : "other"));
		if (is_jpeg)
			json_object_set_new(p->report, "format",
					    json_string("jpeg"));
		probe_problem(p, "%s: %s", is_jpeg ? "decode failed"
						   : "unrecognized format",
			      av_error_text(rc, msg, sizeof(msg)));
		close_input(&a);
		return;
	}
	classify(&a, is_jpeg, &video, &audio);
	if (!strcmp(json_string_value(json_object_get(p->report, "kind")),
		    "photo")) {
		if (video >= 0) {
			AVCodecParameters *par =
				a.fmt->streams[video]->codecpar;

			json_object_set_new(p->report, "width",
					    json_integer(par->width));
			json_object_set_new(p->report, "height",
					    json_integer(par->height));
		}
	} else {
		read_tags(&a, strstr(a.fmt->iformat->name, "mp4") != NULL,
			  !strcmp(a.fmt->iformat->name, "avi"));
		describe_streams(&a, video, audio);
		check_truncated(&a);
	}
	if (video >= 0 || audio >= 0)
		decode_first(&a, video >= 0 ? video : audio, video >= 0,
			     !strcmp(a.fmt->iformat->name, "mpegts") &&
				     video >= 0 &&
				     a.fmt->streams[video]->codecpar->codec_id ==
					     AV_CODEC_ID_H264);
	close_input(&a);
}
