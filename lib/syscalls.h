/* Syscall numbers (x86-64) that older glibc headers lack; the callers use
 * syscall(2) directly. One place, so every file agrees. */
#pragma once
#include <sys/syscall.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
