/*
 * The server's side of probing: `casetrail probe` runs as a child
 * process started with posix_spawn (the server is threaded, and fork()
 * in a threaded process may copy locks held by other threads). The
 * parent reads the child's stdout and watches its wall-clock time and
 * resident memory, and kills it with SIGKILL past a limit. RLIMIT_AS
 * cannot be used for the memory limit because AddressSanitizer reserves
 * terabytes of shadow address space, so VmRSS is polled instead.
 */
#include "common/common.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "probe.h"

#define PROBE_SECONDS_DEFAULT 20
#define PROBE_MEMORY_MB_DEFAULT 512
#define PROBE_OUTPUT_MAX (1024 * 1024)
#define PROBE_POLL_MS 20

extern char **environ;

struct child {
	pid_t pid;
	int out;            /* read end of the child's stdout */
	struct buf output;
	int exited;
	int status;
	char failure[128];  /* why the child was killed, or empty */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Returns the child's VmRSS in KiB, or -1 when it cannot be read. */
static long resident_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static int spawn_child(const char *exe, char *const argv[], struct child *c,
		       struct error *err)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int pipefd[2], rc;

	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return error_set(err, CT_EIO, "cannot create a pipe for the "
				 "prober: %s", strerror(errno));
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
					 O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
	/* The server's other descriptors (sockets, the database) stay
	 * closed in the child even where they lack O_CLOEXEC. */
	posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
	/* Server threads may block or ignore signals; the child starts with
	 * default handling so that SIGXCPU from RLIMIT_CPU ends it. */
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
					       POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&c->pid, exe, &actions, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		return error_set(err, CT_EIO, "cannot start the prober '%s': "
				 "%s", exe, strerror(rc));
	}
	c->out = pipefd[0];
	fcntl(c->out, F_SETFL, O_NONBLOCK);
	return 0;
}

static void kill_child(struct child *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void kill_child(struct child *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failure[0] || c->exited)
		return;
	va_start(ap, fmt);
	vsnprintf(c->failure, sizeof(c->failure), fmt, ap);
	va_end(ap);
	kill(c->pid, SIGKILL);
}

/* Reads what the child has written; returns 1 at end of file. */
static int drain(struct child *c)
{
	char chunk[16384];
	ssize_t n;

	while ((n = read(c->out, chunk, sizeof(chunk))) > 0) {
		if (c->output.len + (size_t)n > PROBE_OUTPUT_MAX) {
			kill_child(c, "printed more than %d bytes",
				   PROBE_OUTPUT_MAX);
			continue;
		}
		buf_append(&c->output, chunk, (size_t)n);
	}
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* Waits for the child to exit and close its stdout, enforcing limits. */
static void watch(struct child *c, int seconds, int memory_mb)
{
	int64_t deadline = now_ms() + seconds * 1000LL;
	int eof = 0;

	while (!c->exited || !eof) {
		struct pollfd pfd = { .fd = c->out, .events = POLLIN };
		long kib;

		if (!eof && poll(&pfd, 1, PROBE_POLL_MS) > 0)
			eof = drain(c);
		else if (eof)
			poll(NULL, 0, PROBE_POLL_MS);
		if (!c->exited &&
		    waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
			c->exited = 1;
			if (!eof)
				eof = drain(c);
			continue;
		}
		/* A process the child left behind may keep stdout open. */
		if (c->exited && now_ms() >= deadline)
			break;
		if (c->exited)
			continue;
		if (now_ms() >= deadline)
			kill_child(c, "timed out after %d s", seconds);
		kib = resident_kib(c->pid);
		if (kib > memory_mb * 1024L)
			kill_child(c, "used more than %d MiB", memory_mb);
	}
}

static int describe_failure(const struct child *c, char *why, size_t n)
{
	if (c->failure[0])
		snprintf(why, n, "%s", c->failure);
	else if (WIFSIGNALED(c->status))
		snprintf(why, n, "killed by signal %d", WTERMSIG(c->status));
	else if (WEXITSTATUS(c->status) != 0)
		snprintf(why, n, "exited with status %d",
			 WEXITSTATUS(c->status));
	else
		return 0;
	return 1;
}

static json_t *unprobeable(const char *path, const char *thumb_out,
			   const char *why)
{
	char qpath[256], qwhy[256];

	log_warn("media", "probe failed", "path=%s reason=%s",
		 log_quote(path, qpath, sizeof(qpath)),
		 log_quote(why, qwhy, sizeof(qwhy)));
	/* A thumbnail the child was writing when it failed is not usable. */
	if (thumb_out)
		unlink(thumb_out);
	return json_pack("{s:[s+], s:b}", "problems", "unprobeable: ", why,
			 "unprobeable", 1);
}

int probe_run(const char *exe, const char *path, const char *thumb_out,
	      const struct probe_limits *lim, json_t **result,
	      struct error *err)
{
	int seconds = lim && lim->seconds > 0 ? lim->seconds
					      : PROBE_SECONDS_DEFAULT;
	int memory_mb = lim && lim->memory_mb > 0 ? lim->memory_mb
						  : PROBE_MEMORY_MB_DEFAULT;
	struct child c = { .pid = -1, .out = -1,
			   .output = BUF_INIT_MAX(PROBE_OUTPUT_MAX + 1) };
	char cpu[24], mem[24], side[24], why[160];
	char *argv[16];
	int argc = 0, rc;
	json_t *v;

	if (!exe)
		exe = "/proc/self/exe";
	/* The child's RLIMIT_AS stops runaway allocations early. It is set
	 * well above the resident limit because mapped libraries and
	 * reserved, untouched memory count towards the address space. */
	snprintf(cpu, sizeof(cpu), "%d", seconds);
	snprintf(mem, sizeof(mem), "%d", memory_mb * 2 + 256);
	snprintf(side, sizeof(side), "%d", lim && lim->max_side > 0
						   ? lim->max_side
						   : PROBE_THUMB_SIDE_DEFAULT);
	argv[argc++] = "casetrail";
	argv[argc++] = "probe";
	argv[argc++] = "--cpu-seconds";
	argv[argc++] = cpu;
	argv[argc++] = "--memory-mb";
	argv[argc++] = mem;
	if (thumb_out) {
		argv[argc++] = "--thumb";
		argv[argc++] = (char *)thumb_out;
		argv[argc++] = "--max-side";
		argv[argc++] = side;
	}
	argv[argc++] = "--";
	argv[argc++] = (char *)path;
	argv[argc] = NULL;

	*result = NULL;
	rc = spawn_child(exe, argv, &c, err);
	if (rc)
		return rc;
	watch(&c, seconds, memory_mb);
	close(c.out);

	if (describe_failure(&c, why, sizeof(why))) {
		*result = unprobeable(path, thumb_out, why);
	} else {
		v = json_loadb(c.output.data ? c.output.data : "",
			       c.output.len, 0, NULL);
		if (json_is_object(v))
			*result = v;
		else {
			json_decref(v);
			*result = unprobeable(path, thumb_out,
					      "output is not a JSON object");
		}
	}
	buf_release(&c.output);
	return 0;
}
