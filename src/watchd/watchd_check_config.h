/* omsi-watchd --check-config FILE: everything wrong with a config file,
 * listed at once (bad lines with their numbers, values out of range,
 * folders that are missing or lack the access the daemon needs). */
#ifndef OMSI_WATCHD_CHECK_CONFIG_H
#define OMSI_WATCHD_CHECK_CONFIG_H

#include <stdio.h>

/* Writes one line per problem to out ("FILE:LINE: ..." or "FILE: ...").
 * Returns the number of problems, -1 when out of memory. */
int watchd_check_config(const char *path, FILE *out);

#endif
