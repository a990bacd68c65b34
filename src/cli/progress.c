#include "cli/progress.h"
#include "base/omsi_util.h"

#include <string.h>

enum { TERMINAL_EVERY_MS = 200, LOG_EVERY_S = 10 };

void omsi_progress_init(omsi_progress *p, const char *program, FILE *out, bool enabled, bool terminal)
{
    memset(p, 0, sizeof *p);
    p->program = program;
    p->out = out;
    p->enabled = enabled;
    p->terminal = terminal;
    p->now = omsi_monotonic_seconds;
    p->stage_start = p->last_print = p->now();
}

void omsi_progress_finish(omsi_progress *p)
{
    if (p->line_open) {
        fputc('\n', p->out);
        fflush(p->out);
        p->line_open = false;
    }
}

static void format_duration(double s, char *out, size_t size)
{
    if (!(s >= 0) || s > 360000) {
        snprintf(out, size, "--:--");
        return;
    }
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, size, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, size, "%lu:%02lu", t / 60, t % 60);
}

void omsi_progress_update(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
    omsi_progress *p = ctx;
    if (!p->enabled)
        return;
    double now = p->now();
    if (strncmp(p->stage, stage, sizeof p->stage - 1) != 0) {
        /* A new phase: the old one's line stays as it ended. */
        omsi_progress_finish(p);
        snprintf(p->stage, sizeof p->stage, "%s", stage);
        p->stage_start = now;
        p->last_print = p->terminal ? now - 1 : now;
        p->printed_done = false;
    }
    bool complete = total > 0 && done >= total;
    if (complete && p->printed_done)
        return;
    double since = now - p->last_print;
    if (!complete && since < (p->terminal ? TERMINAL_EVERY_MS / 1000.0 : LOG_EVERY_S))
        return;
    if (complete && !p->terminal && now - p->stage_start < LOG_EVERY_S)
        return; /* a log line only for phases long enough to be worth one */
    p->last_print = now;
    p->printed_done = complete;
    double elapsed = now - p->stage_start;
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    double pct = total ? 100.0 * (double)done / (double)total : 100.0;
    char left[32], took[32];
    format_duration(rate > 0 ? (double)(total > done ? total - done : 0) / rate : -1, left, sizeof left);
    format_duration(elapsed, took, sizeof took);
    if (p->terminal)
        fputs("\r\033[K", p->out);
    fprintf(p->out, "%s: %s %5.1f %% (%llu/%llu, %.0f/s, %s %s)", p->program, stage, pct,
            (unsigned long long)done, (unsigned long long)total, rate, complete ? "took" : "ETA",
            complete ? took : left);
    if (p->terminal) {
        p->line_open = true;
    } else {
        fputc('\n', p->out);
    }
    fflush(p->out);
}
