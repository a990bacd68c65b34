/* Process identity: a pid plus its start time (field 22 of /proc/PID/stat,
 * clock ticks since boot), so that a recorded process is told apart from a
 * later one that got the same pid. */
#ifndef OMSI_PROC_H
#define OMSI_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The start time of pid; false when it does not exist (or is a zombie). */
bool omsi_proc_start_time(pid_t pid, uint64_t *start);

/* True while pid exists and, when start is not 0, started at start. */
bool omsi_proc_alive(pid_t pid, uint64_t start);

/* The name this host goes by in the catalog's job leases and in partial
 * file names: $OMSI_HOST if set (tests pretend to be two hosts), else
 * gethostname(). Characters other than letters, digits, '.', '_' and '-'
 * become '_'; never empty ("localhost" at worst). Returns buf. */
#define OMSI_HOST_MAX 128
const char *omsi_proc_host(char buf[OMSI_HOST_MAX]);

#endif
