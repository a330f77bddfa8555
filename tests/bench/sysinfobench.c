/* sysinfo(2) latency, native against answered by procviewd, in one run:
 * time N calls, then install a filter that sends sysinfo to a seccomp
 * notify fd, pass the fd to procviewd's socket as a runtime would, and
 * time N calls again. Also used by tests as a runtime-free client.
 *   sysinfobench SOCKET [N [LOOP_SECS]]
 *     prints "native_us=.. notified_us=.. totalram=..", then with LOOP_SECS
 *     calls sysinfo once a ms for that long and prints "calls=.. failed=..
 *     errno=.. worst_ms=.." (a daemon crash or handover test).
 * Run it inside a memory-limited cgroup, or procviewd lets the kernel
 * answer (the host's view) and the figure is the CONTINUE path. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median over rounds of 100 calls, in us per call. */
static double measure(int n, struct sysinfo *si)
{
	int rounds = n / 100 > 0 ? n / 100 : 1;
	double *t = calloc((size_t)rounds, sizeof(double)), med;

	for (int r = 0; r < rounds; r++) {
		double t0 = now_us();

		for (int i = 0; i < 100; i++)
			if (syscall(SYS_sysinfo, si) != 0) {
				perror("sysinfo");
				exit(1);
			}
		t[r] = (now_us() - t0) / 100;
	}
	qsort(t, (size_t)rounds, sizeof(double), cmp);
	med = t[rounds / 2];
	free(t);
	return med;
}

static int install_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sysinfo, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

/* What runc sends: the state JSON with the fd attached. */
static int send_fd(const char *path, int fd)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char msg[512], cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	snprintf(msg, sizeof(msg),
		 "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":%d,\"state\":"
		 "{\"ociVersion\":\"1.0.2\",\"id\":\"sysinfobench-%d\",\"status\":\"creating\","
		 "\"pid\":%d,\"bundle\":\"/\"}}",
		 (int)getpid(), (int)getpid(), (int)getpid());
	iov = (struct iovec){ msg, strlen(msg) };
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0 || sendmsg(s, &mh, 0) < 0) {
		fprintf(stderr, "sysinfobench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	close(s);
	return 0;
}

/* Call sysinfo once a millisecond: count failures, find the slowest. */
static void loop(double secs)
{
	double end = now_us() + secs * 1e6, worst = 0;
	unsigned long calls = 0, failed = 0;
	int last_errno = 0;

	while (now_us() < end) {
		struct sysinfo si;
		double t0 = now_us();

		calls++;
		if (syscall(SYS_sysinfo, &si) != 0) {
			failed++;
			last_errno = errno;
		}
		if (now_us() - t0 > worst)
			worst = now_us() - t0;
		usleep(1000);
	}
	printf("calls=%lu failed=%lu errno=%d worst_ms=%.1f\n", calls, failed, last_errno,
	       worst / 1e3);
}

int main(int argc, char **argv)
{
	struct sysinfo native, notified;
	int n = argc > 2 ? atoi(argv[2]) : 20000, fd;
	double tn, ts;

	if (argc < 2) {
		fprintf(stderr, "usage: sysinfobench SOCKET [N]\n");
		return 2;
	}
	tn = measure(n, &native);
	fd = install_filter();
	if (fd < 0) {
		perror("sysinfobench: seccomp");
		return 1;
	}
	if (send_fd(argv[1], fd) < 0)
		return 1;
	close(fd);
	ts = measure(n, &notified);
	printf("native_us=%.2f notified_us=%.2f native_totalram=%lu totalram=%lu mem_unit=%u "
	       "uptime=%ld procs=%u\n",
	       tn, ts, native.totalram * native.mem_unit, notified.totalram * notified.mem_unit,
	       notified.mem_unit, notified.uptime, notified.procs);
	fflush(stdout);
	if (argc > 3)
		loop(atof(argv[3]));
	return 0;
}
