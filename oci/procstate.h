/* The message an OCI runtime sends to a seccomp agent at
 * linux.seccomp.listenerPath (runtime-spec "ContainerProcessState"):
 * {"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state": {...}},
 * with the fds themselves attached by SCM_RIGHTS in the order of "fds". */
#pragma once
#include <stddef.h>
#include <sys/types.h>

struct oci_procstate {
	char *id;        /* state.id: the container */
	pid_t pid;       /* the process the filter was installed for */
	pid_t init_pid;  /* state.pid: the container's init (0 when absent) */
	int seccomp_idx; /* index of "seccompFd" in "fds" */
	char *metadata;  /* listenerMetadata, NULL when absent */
};

/* -EINVAL with *err set (one line naming the field) on bad input. */
int oci_procstate_parse(const char *json, size_t len, struct oci_procstate *out, char **err);
void oci_procstate_free(struct oci_procstate *ps);
