/* Process identity (omsi_proc.h). */
#include "base/omsi_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool omsi_proc_start_time(pid_t pid, uint64_t *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name (field 2) may hold spaces and ')': fields after the
     * last ')' start with field 3, the state. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
        return false;
    p += 2;
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return false;
        p++;
    }
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p)
        return false;
    *start = v;
    return true;
}

bool omsi_proc_alive(pid_t pid, uint64_t start)
{
    uint64_t now;
    if (pid <= 0 || !omsi_proc_start_time(pid, &now))
        return false;
    return start == 0 || now == start;
}

const char *omsi_proc_host(char buf[OMSI_HOST_MAX])
{
    const char *env = getenv("OMSI_HOST");
    if (env && *env)
        snprintf(buf, OMSI_HOST_MAX, "%s", env);
    else if (gethostname(buf, OMSI_HOST_MAX) != 0)
        buf[0] = '\0';
    buf[OMSI_HOST_MAX - 1] = '\0';
    if (!buf[0])
        snprintf(buf, OMSI_HOST_MAX, "localhost");
    for (char *p = buf; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        if (!ok)
            *p = '_';
    }
    return buf;
}
