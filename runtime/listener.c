#include "listener.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* The hook keeps its own budget (a watchdog ends it); this only guards
 * against a hook that ignores it. */
#define ENSURE_WAIT_MS 6000

int rt_listener_probe(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* Non-blocking: a full backlog (EAGAIN) still means a listener.
	 * procviewd drops a connection that closes before sending. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN)
		return 0;
	return -errno;
}

static int run_ensure(const struct rt_listener_ctx *c)
{
	_cleanup_free_ const char **argv = calloc(c->n_hook_args + 3, sizeof(char *));
	int status, waited = 0;
	pid_t pid, r;

	if (!argv)
		return -ENOMEM;
	argv[0] = "procview-hook";
	argv[1] = "ensure";
	for (size_t i = 0; i < c->n_hook_args; i++)
		argv[2 + i] = c->hook_args[i];
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* Our stdio is the container's (docker logs): the hook and the
		 * shim say why in syslog. */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execv(c->hook, (char **)argv);
		_exit(127);
	}
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && waited < ENSURE_WAIT_MS) {
		usleep(10000);
		waited += 10;
	}
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -ETIMEDOUT;
	}
	if (r < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int rt_listener_ready(const char *path, void *data)
{
	int r = rt_listener_probe(path);

	if (r == 0 || !data)
		return r;
	/* Whatever the hook says, the socket decides; its first error is
	 * the one worth reporting. */
	if (run_ensure(data) < 0)
		((struct rt_listener_ctx *)data)->ensure_failed = true;
	return rt_listener_probe(path) == 0 ? 0 : r;
}
