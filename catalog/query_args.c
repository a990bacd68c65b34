/* The argument parser of `omsi-catalog query`, written without getopt so it
 * keeps no global state and can be fuzzed. */
#include "catalog/query.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Whether the broken-down time tm names a real instant: strptime takes day
 * 31 in any month and second 60, and timegm would silently move such a
 * date to the next month or minute. */
static bool real_time(const struct tm *tm, time_t t)
{
    struct tm back;
    return gmtime_r(&t, &back) && back.tm_year == tm->tm_year && back.tm_mon == tm->tm_mon &&
           back.tm_mday == tm->tm_mday && back.tm_hour == tm->tm_hour && back.tm_min == tm->tm_min &&
           back.tm_sec == tm->tm_sec;
}

int omsi_query_parse_time(const char *text, double *out)
{
    char *end;
    errno = 0;
    double seconds = strtod(text, &end);
    if (end != text && *end == '\0' && errno == 0 && isfinite(seconds) && strchr(text, '-') == NULL) {
        *out = seconds;
        return 0;
    }
    static const char *const formats[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                                          "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *rest = strptime(text, formats[i], &tm);
        if (rest && *rest == '\0') {
            struct tm asked = tm; /* timegm normalizes tm in place */
            time_t t = timegm(&tm);
            if (!real_time(&asked, t))
                return -2;
            *out = (double)t;
            return 0;
        }
    }
    return -1;
}

static int parse_number(const char *opt, const char *text, double min, double *out, omsi_error *err)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(v) || v < min)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: '%s' is not a number >= %g", opt, text, min);
    *out = v;
    return 0;
}

static int parse_count(const char *opt, const char *text, int64_t *out, omsi_error *err)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || errno || v < 0)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: '%s' is not a count", opt, text);
    *out = v;
    return 0;
}

/* Whether text holds a letter or digit (any non-ASCII byte may be one): the
 * full-text index has no token for blanks or punctuation alone. */
static bool has_word(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p >= '0' && *p <= '9') || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') || *p >= 0x80)
            return true;
    return false;
}

static const char *const job_states[] = {"pending", "running", "done", "failed", "quarantined"};

int omsi_query_parse(int argc, char *const *argv, omsi_query *q, bool *help, omsi_error *err)
{
    memset(q, 0, sizeof *q);
    q->limit = 100;
    q->ppm = 10;
    *help = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            *help = true;
            return 0;
        }
        if (strcmp(arg, "--json") == 0) { q->output = OMSI_OUT_JSON; continue; }
        if (strcmp(arg, "--csv") == 0) { q->output = OMSI_OUT_CSV; continue; }
        if (strcmp(arg, "--all-versions") == 0) { q->all_versions = true; continue; }
        if (strncmp(arg, "--", 2) != 0)
            return omsi_error_set(err, OMSI_ERR_USAGE, "unexpected argument '%s'", arg);
        /* Options with a value: --opt VALUE or --opt=VALUE. */
        char name[32];
        const char *value = NULL;
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (len >= sizeof name)
            return omsi_error_set(err, OMSI_ERR_USAGE, "unknown option '%.40s'", arg);
        memcpy(name, arg, len);
        name[len] = '\0';
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return omsi_error_set(err, OMSI_ERR_USAGE, "%s needs a value", name);
        }
        int rc = 0;
        if (strcmp(name, "--format") == 0) {
            q->format = value;
        } else if (strcmp(name, "--instrument") == 0) {
            q->instrument = value;
        } else if (strcmp(name, "--text") == 0) {
            if (!has_word(value))
                return omsi_error_set(err, OMSI_ERR_USAGE,
                                      "--text: '%s' has no words to search for (letters or digits)", value);
            q->text = value;
        } else if (strcmp(name, "--state") == 0) {
            bool known = false;
            for (size_t k = 0; k < sizeof job_states / sizeof job_states[0]; k++)
                known |= strcmp(value, job_states[k]) == 0;
            if (!known)
                return omsi_error_set(err, OMSI_ERR_USAGE,
                                      "--state: '%s' is not pending, running, done, failed or quarantined", value);
            q->state = value;
        } else if (strcmp(name, "--since") == 0 || strcmp(name, "--until") == 0) {
            bool since = name[2] == 's';
            double t;
            int bad = omsi_query_parse_time(value, &t);
            if (bad == -2)
                return omsi_error_set(err, OMSI_ERR_USAGE,
                                      "%s: '%s' is not a date that exists (day of month or hour, "
                                      "minute, second out of range)", name, value);
            if (bad)
                return omsi_error_set(err, OMSI_ERR_USAGE, "%s: '%s' is not a date (YYYY-MM-DD[THH:MM:SS], UTC) or unix time",
                                      name, value);
            if (since) { q->since = t; q->has_since = true; }
            else { q->until = t; q->has_until = true; }
        } else if (strcmp(name, "--mz") == 0) {
            rc = parse_number(name, value, 0, &q->mz, err);
            q->has_mz = true;
        } else if (strcmp(name, "--peak") == 0) {
            rc = parse_number(name, value, 0, &q->peak, err);
            q->has_peak = true;
        } else if (strcmp(name, "--min-intensity") == 0) {
            rc = parse_number(name, value, 0, &q->min_intensity, err);
        } else if (strcmp(name, "--min-coverage") == 0) {
            rc = parse_number(name, value, 0, &q->min_coverage, err);
            if (!rc && q->min_coverage > 1)
                return omsi_error_set(err, OMSI_ERR_USAGE, "--min-coverage: %g is not a fraction (0..1)",
                                      q->min_coverage);
        } else if (strcmp(name, "--ppm") == 0) {
            rc = parse_number(name, value, 0, &q->ppm, err);
        } else if (strcmp(name, "--min-pixels") == 0) {
            rc = parse_count(name, value, &q->min_pixels, err);
        } else if (strcmp(name, "--min-spectra") == 0) {
            rc = parse_count(name, value, &q->min_spectra, err);
        } else if (strcmp(name, "--limit") == 0) {
            rc = parse_count(name, value, &q->limit, err);
        } else if (strcmp(name, "--offset") == 0) {
            rc = parse_count(name, value, &q->offset, err);
        } else if (strcmp(name, "--meta") == 0) {
            if (q->n_meta == OMSI_QUERY_MAX_META)
                return omsi_error_set(err, OMSI_ERR_USAGE, "--meta: at most %d filters", OMSI_QUERY_MAX_META);
            const char *sep = strpbrk(value, "=~");
            if (!sep || sep == value)
                return omsi_error_set(err, OMSI_ERR_USAGE, "--meta: '%s' is not KEY=VALUE or KEY~TEXT", value);
            omsi_meta_filter *m = &q->meta[q->n_meta++];
            m->key = value; /* the key ends at sep: stored with its length below */
            m->substring = *sep == '~';
            m->value = sep + 1;
        } else {
            return omsi_error_set(err, OMSI_ERR_USAGE, "unknown option '%s' (see omsi-catalog query --help)", name);
        }
        if (rc)
            return rc;
    }
    if (q->ppm > 1e6)
        return omsi_error_set(err, OMSI_ERR_USAGE, "--ppm: %g is more than 1e6", q->ppm);
    if (!q->has_peak && (q->min_intensity > 0 || q->min_coverage > 0))
        return omsi_error_set(err, OMSI_ERR_USAGE, "--min-intensity and --min-coverage need --peak MZ");
    return 0;
}

int omsi_query_parse_line(char *line, omsi_query *q, bool *help, omsi_error *err)
{
    enum { MAX_WORDS = 64 };
    char *argv[MAX_WORDS + 1];
    int argc = 0;
    argv[argc++] = (char *)"query";
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            *p++ = '\0';
        if (!*p)
            break;
        if (argc == MAX_WORDS + 1) {
            memset(q, 0, sizeof *q);
            *help = false;
            return omsi_error_set(err, OMSI_ERR_USAGE, "more than %d words in a query", MAX_WORDS);
        }
        argv[argc++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
    }
    return omsi_query_parse(argc, argv, q, help, err);
}
