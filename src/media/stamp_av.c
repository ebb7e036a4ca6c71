/*
 * Marks written into copies of audio and video files: libavformat
 * remuxes the file, copying every packet as it is, into a container of
 * the same kind whose "comment" tag states the mark. Demuxing parses
 * untrusted bytes, so the server never does it in its own process:
 * stamp_av_run starts `casetrail copy stamp-media` with posix_spawn,
 * gives it the mark on standard input and kills it past a time limit.
 */
#include "common/common.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/dict.h>

#include "common/log.h"
#include "stamp.h"

#define STAMP_POLL_MS 20

extern char **environ;

/* Copies the file's tags, leaving out where it was recorded. */
static void copy_tags(AVDictionary **to, const AVDictionary *from)
{
	const AVDictionaryEntry *t = NULL;

	while ((t = av_dict_get(from, "", t, AV_DICT_IGNORE_SUFFIX)))
		if (!av_stristr(t->key, "location") &&
		    !av_stristr(t->key, "gps"))
			av_dict_set(to, t->key, t->value, 0);
}

static int add_streams(AVFormatContext *ic, AVFormatContext *oc)
{
	for (unsigned i = 0; i < ic->nb_streams; i++) {
		AVStream *in = ic->streams[i];
		AVStream *out = avformat_new_stream(oc, NULL);

		if (!out || avcodec_parameters_copy(out->codecpar,
						    in->codecpar) < 0)
			return -1;
		/* The muxer picks the tag its container uses for the codec. */
		out->codecpar->codec_tag = 0;
		out->time_base = in->time_base;
		copy_tags(&out->metadata, in->metadata);
	}
	return 0;
}

static int copy_packets(AVFormatContext *ic, AVFormatContext *oc)
{
	AVPacket *pkt = av_packet_alloc();
	int rc = pkt ? 0 : AVERROR(ENOMEM);

	while (rc == 0 && av_read_frame(ic, pkt) >= 0) {
		AVStream *in = ic->streams[pkt->stream_index];
		AVStream *out = oc->streams[pkt->stream_index];

		av_packet_rescale_ts(pkt, in->time_base, out->time_base);
		pkt->pos = -1;
		rc = av_interleaved_write_frame(oc, pkt);
		av_packet_unref(pkt);
	}
	av_packet_free(&pkt);
	return rc;
}

int stamp_av(const char *in_path, const char *out_path, const char *mark,
	     struct error *err)
{
	AVFormatContext *ic = NULL, *oc = NULL;
	char why[AV_ERROR_MAX_STRING_SIZE] = "";
	int rc = avformat_open_input(&ic, in_path, NULL, NULL);

	if (rc == 0)
		rc = avformat_find_stream_info(ic, NULL);
	if (rc >= 0)
		rc = avformat_alloc_output_context2(&oc, NULL, NULL, out_path);
	if (rc >= 0 && add_streams(ic, oc) != 0)
		rc = AVERROR(ENOMEM);
	if (rc >= 0) {
		copy_tags(&oc->metadata, ic->metadata);
		av_dict_set(&oc->metadata, "comment", mark, 0);
		rc = avio_open(&oc->pb, out_path, AVIO_FLAG_WRITE);
	}
	if (rc >= 0)
		rc = avformat_write_header(oc, NULL);
	if (rc >= 0)
		rc = copy_packets(ic, oc);
	if (rc >= 0)
		rc = av_write_trailer(oc);
	if (oc && oc->pb)
		avio_closep(&oc->pb);
	avformat_free_context(oc);
	avformat_close_input(&ic);
	if (rc >= 0)
		return 0;
	av_strerror(rc, why, sizeof(why));
	unlink(out_path);
	return error_set(err, CT_EINVAL, "cannot remux '%s' into '%s': %s",
			 in_path, out_path, why);
}

/* --- the separate process ------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int spawn(const char *exe, char *const argv[], int in_fd, pid_t *pid,
		 struct error *err)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int rc;

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, in_fd, STDIN_FILENO);
	posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
					 O_WRONLY, 0);
	/* The server's sockets and database stay closed in the child. */
	posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
					       POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(pid, exe, &actions, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	if (rc != 0)
		return error_set(err, CT_EIO, "cannot start '%s' to mark a "
				 "media file: %s", exe, strerror(rc));
	return 0;
}

/* Waits for pid at most seconds; kills it past that. */
static int wait_for(pid_t pid, int seconds, struct error *err)
{
	int64_t deadline = now_ms() + seconds * 1000LL;
	int status = 0;

	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (now_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return error_set(err, CT_EIO, "marking a media file "
					 "timed out after %d s", seconds);
		}
		poll(NULL, 0, STAMP_POLL_MS);
	}
	if (WIFSIGNALED(status))
		return error_set(err, CT_EIO, "marking a media file was "
				 "killed by signal %d", WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		return error_set(err, CT_EIO, "marking a media file failed "
				 "with status %d", WEXITSTATUS(status));
	return 0;
}

int stamp_av_run(const char *exe, const char *in_path, const char *out_path,
		 const char *mark, int seconds, struct error *err)
{
	char *argv[] = { "casetrail", "copy", "stamp-media", (char *)in_path,
			 (char *)out_path, NULL };
	size_t len = strlen(mark);
	int pipefd[2], rc;
	pid_t pid;

	/* The mark names the requester: it goes by a pipe, not argv. */
	if (len >= PIPE_BUF)
		return error_set(err, CT_EINVAL, "the mark is %zu bytes; at "
				 "most %d", len, PIPE_BUF - 1);
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return error_set(err, CT_EIO, "cannot create a pipe: %s",
				 strerror(errno));
	rc = write(pipefd[1], mark, len) == (ssize_t)len ? 0 : CT_EIO;
	close(pipefd[1]);
	if (rc == 0)
		rc = spawn(exe ? exe : "/proc/self/exe", argv, pipefd[0], &pid,
			   err);
	else
		error_set(err, rc, "cannot write the mark to a pipe");
	close(pipefd[0]);
	if (rc == 0)
		rc = wait_for(pid, seconds, err);
	if (rc == 0 && access(out_path, F_OK) != 0)
		rc = error_set(err, CT_EIO, "marking a media file wrote no "
			       "file");
	if (rc)
		unlink(out_path);
	return rc;
}
