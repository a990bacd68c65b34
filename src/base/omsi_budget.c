#include "base/omsi_budget.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

uint64_t omsi_budget_limit(uint64_t limit)
{
    return limit ? limit : OMSI_MEMORY_LIMIT_DEFAULT;
}

int omsi_budget_check(uint64_t limit, uint64_t bytes, const char *file, const char *what,
                      omsi_error *err)
{
    limit = omsi_budget_limit(limit);
    if (bytes <= limit)
        return 0;
    return omsi_error_set(err, OMSI_ERR_NOMEM,
                          "%s%s%s needs %.1f MiB, more than the memory limit of %.1f MiB (--memory-limit)",
                          file ? file : "", file ? ": " : "", what, (double)bytes / 1048576.0,
                          (double)limit / 1048576.0);
}

int omsi_parse_bytes(const char *text, uint64_t *out)
{
    if (!text || !isdigit((unsigned char)text[0]))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno)
        return -1;
    static const char *const units[] = {"", "K", "M", "G", "T"};
    int shift = -1;
    for (int i = 0; i < 5 && shift < 0; i++) {
        size_t n = strlen(units[i]);
        if (strncasecmp(end, units[i], n) != 0)
            continue;
        const char *rest = end + n;
        if (*rest == '\0' || (i > 0 && (strcasecmp(rest, "B") == 0 || strcasecmp(rest, "iB") == 0)))
            shift = 10 * i;
    }
    if (shift < 0 || (shift && v > (UINT64_MAX >> shift)))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}
