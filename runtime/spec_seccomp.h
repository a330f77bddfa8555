/* The config.json edit that sends sysinfo(2) to procviewd through the
 * container's own seccomp profile (one entry of spec.c's table). */
#pragma once
#include "spec.h"

/* linux.seccomp gets sysinfo as SCMP_ACT_NOTIFY and listenerPath set to
 * s->seccomp_socket. "sysinfo" is first taken out of every rule that
 * names it: libseccomp keeps the first unconditional rule for a syscall
 * and ignores later ones without an error, so an appended rule alone
 * would change nothing under Docker's default profile (seen with runc
 * 1.1.5). Left alone, with *note saying why when worth telling:
 * no linux.seccomp (privileged, unconfined): nothing to add to;
 * another agent's listenerPath; a profile that denies sysinfo, or allows
 * it only for some arguments; a listener that does not answer. Returns
 * as rt_spec_edit. */
int rt_edit_seccomp(yajl_val tree, const struct rt_edit_settings *s, char **note, char **err);
