#include "readers/bruker_spots.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_SPOTS = 1 << 22, SPOT_LIST_MAX_BYTES = 64 << 20 };

static bool parse_uint(const char **p, uint32_t *out)
{
    if (!isdigit((unsigned char)**p))
        return false;
    uint64_t v = 0;
    while (isdigit((unsigned char)**p)) {
        v = v * 10 + (uint64_t)(**p - '0');
        if (v > 1000000)
            return false;
        (*p)++;
    }
    *out = (uint32_t)v;
    return true;
}

bool bruker_parse_spot_name(const char *name, uint32_t *region, uint32_t *x, uint32_t *y)
{
    const char *p = name;
    const char *us = strchr(name, '_');
    if (us) { /* "<chip>_" prefix: digits only */
        for (const char *q = name; q < us; q++)
            if (!isdigit((unsigned char)*q))
                return false;
        p = us + 1;
    }
    if (*p++ != 'R' || !parse_uint(&p, region) || *p++ != 'X' || !parse_uint(&p, x) || *p++ != 'Y' ||
        !parse_uint(&p, y))
        return false;
    return *p == '\0';
}

/* "0_A1" style (non-imaging target positions). */
static bool parse_target_name(const char *name, const char **spot)
{
    const char *us = strchr(name, '_');
    if (!us || us == name)
        return false;
    for (const char *q = name; q < us; q++)
        if (!isdigit((unsigned char)*q))
            return false;
    const char *p = us + 1;
    if (!isalpha((unsigned char)*p))
        return false;
    while (isalpha((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p)
        return false;
    *spot = us + 1;
    return true;
}

void bruker_run_free(bruker_run *run)
{
    for (size_t i = 0; i < run->count; i++) {
        free(run->spots[i].acqu);
        free(run->spots[i].fid);
        free(run->spots[i].unusable);
    }
    free(run->spots);
    free(run->names);
    free(run->folder);
    free(run->spot_list);
    memset(run, 0, sizeof *run);
}

/* One directory entry with its readdir type: DT_DIR is a real directory
 * (a symlink is DT_LNK), which spares an lstat per entry; DT_UNKNOWN (some
 * file systems) falls back to lstat. */
typedef struct dir_entry {
    char *name;
    unsigned char type;
} dir_entry;

typedef struct dir_list {
    dir_entry *e;
    size_t count, cap;
} dir_list;

static void dir_list_free(dir_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->e[i].name);
    free(l->e);
    memset(l, 0, sizeof *l);
}

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const dir_entry *)a)->name, ((const dir_entry *)b)->name);
}

static int dir_list_add(dir_list *l, const char *name, unsigned char type)
{
    if (l->count == l->cap) {
        size_t n = l->cap ? 2 * l->cap : 16;
        dir_entry *p = realloc(l->e, n * sizeof *p);
        if (!p)
            return -1;
        l->e = p;
        l->cap = n;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    l->e[l->count].name = copy;
    l->e[l->count++].type = type;
    return 0;
}

/* Sorted entries of dir (no dot entries). */
static int list_dir(const char *dir, dir_list *names, omsi_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", dir);
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d)))
        if (e->d_name[0] != '.')
            rc = dir_list_add(names, e->d_name, e->d_type) ? omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory") : 0;
    closedir(d);
    if (!rc && names->count > 1)
        qsort(names->e, names->count, sizeof *names->e, compare_entries);
    return rc;
}

/* A real directory (not a symlink). */
static bool plain_dir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Entry e of folder dir is a real directory: its readdir type when known. */
static bool plain_dir_entry(const char *path, const dir_entry *e)
{
    if (e->type == DT_DIR)
        return true;
    return e->type == DT_UNKNOWN && plain_dir(path);
}

/* path resolves to a regular file inside root (no escape through symlinks);
 * *size gets its size. */
static bool inside(const char *root_real, const char *path, uint64_t *size)
{
    char *real = realpath(path, NULL);
    if (!real)
        return false;
    size_t n = strlen(root_real);
    struct stat st;
    bool ok = strncmp(real, root_real, n) == 0 && real[n] == '/' && stat(real, &st) == 0 && S_ISREG(st.st_mode);
    if (ok)
        *size = (uint64_t)st.st_size;
    free(real);
    return ok;
}

/* inside(), cheaply when every folder from the run folder down to path is a
 * real directory (plain_chain; names from readdir, never "..", so they
 * cannot leave the tree): then a regular file that is not a symlink is inside,
 * one lstat instead of realpath's readlink per path component. */
static bool usable_file(const char *root_real, const char *path, bool plain_chain, uint64_t *size)
{
    struct stat st;
    if (plain_chain && lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        *size = (uint64_t)st.st_size;
        return true;
    }
    return inside(root_real, path, size);
}

/* Why a companion that inside() refused never becomes data (a FIFO, a
 * device, a symlink out of the tree), malloc'ed; NULL while it is missing
 * (still coming). */
static char *unusable_reason(const char *path)
{
    omsi_error why = {0};
    omsi_file_kind kind = omsi_companion_kind(path, NULL, &why);
    if (kind == OMSI_FILE_MISSING)
        return NULL;
    if (kind == OMSI_FILE_REGULAR)
        omsi_error_set(&why, OMSI_ERR_FORMAT, "%s: outside the dataset folder", path);
    return strdup(why.message);
}

/* The acquisition of one spot: <spot>/<n>/<k>S<Lin|Ref>/ with an acqu
 * (acqus when acqu is absent), first in name order, LIFT folders skipped.
 * s->fid stays NULL while the fid is missing (an incomplete spot).
 * spot_dir is a real directory in the run folder (checked by the caller). */
static void find_acquisition(const char *root_real, const char *spot_dir, bruker_spot *s)
{
    dir_list exps = {0}, acqs = {0};
    omsi_error ignore = {0};
    char *odd = NULL; /* s->unusable */
    uint64_t size = 0;
    if (list_dir(spot_dir, &exps, &ignore) == 0)
        for (size_t i = 0; i < exps.count && !s->acqu; i++) {
            char *exp = omsi_path_join(spot_dir, exps.e[i].name);
            if (exp && plain_dir_entry(exp, &exps.e[i]) && list_dir(exp, &acqs, &ignore) == 0)
                for (size_t j = 0; j < acqs.count && !s->acqu; j++) {
                    const char *a = acqs.e[j].name;
                    if (strstr(a, "LIFT") || (!strstr(a, "SLin") && !strstr(a, "SRef")))
                        continue;
                    /* a symlinked <k>SLin is followed, and checked by realpath */
                    bool plain = acqs.e[j].type == DT_DIR;
                    char *acq = omsi_path_join(exp, a);
                    char *acqu = acq ? omsi_path_join(acq, "acqu") : NULL;
                    bool ok = acqu && usable_file(root_real, acqu, plain, &size);
                    if (acqu && !ok && !omsi_is_regular_file(acqu)) {
                        if (!odd)
                            odd = unusable_reason(acqu);
                        free(acqu);
                        acqu = omsi_path_join(acq, "acqus");
                        ok = acqu && usable_file(root_real, acqu, plain, &size);
                    }
                    char *fid = acq ? omsi_path_join(acq, "fid") : NULL;
                    if (ok) {
                        s->acqu = acqu;
                        s->acqu_bytes = size;
                        acqu = NULL;
                        free(odd);
                        odd = NULL;
                        if (fid && usable_file(root_real, fid, plain, &s->fid_bytes)) {
                            s->fid = fid;
                            fid = NULL;
                        } else if (fid) {
                            odd = unusable_reason(fid);
                        }
                    } else if (acqu && !odd) {
                        odd = unusable_reason(acqu);
                    }
                    free(fid);
                    free(acqu);
                    free(acq);
                }
            dir_list_free(&acqs);
            free(exp);
        }
    dir_list_free(&exps);
    s->unusable = odd;
}

static int add_spot(bruker_run *run, size_t *cap, const bruker_spot *s, omsi_error *err)
{
    if (run->count == MAX_SPOTS)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: more than %d spots", run->folder, MAX_SPOTS);
    if (run->count == *cap) {
        size_t n = *cap ? 2 * *cap : 64;
        char what[64];
        snprintf(what, sizeof what, "a table of %zu spots", n);
        int rc = omsi_budget_check(run->memory_limit, (uint64_t)n * sizeof(bruker_spot),
                                   run->spot_list ? run->spot_list : run->folder, what, err);
        if (rc)
            return rc;
        bruker_spot *p = realloc(run->spots, n * sizeof *p);
        if (!p)
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        run->spots = p;
        *cap = n;
    }
    run->spots[run->count++] = *s;
    return 0;
}

/* Spots of a folder: imaging names, else target names in name order. */
static int scan_folder(bruker_run *run, const dir_list *names, const char *root_real, omsi_error *err)
{
    size_t cap = 0;
    int rc = 0;
    bool any_imaging = false;
    for (size_t i = 0; i < names->count; i++) {
        uint32_t r, x, y;
        any_imaging |= bruker_parse_spot_name(names->e[i].name, &r, &x, &y);
    }
    uint32_t position = 0;
    for (size_t i = 0; i < names->count && !rc; i++) {
        bruker_spot s = {0};
        const char *target;
        if (any_imaging) {
            if (!bruker_parse_spot_name(names->e[i].name, &s.region, &s.x, &s.y))
                continue;
            s.imaging = true;
            const char *us = strchr(names->e[i].name, '_');
            snprintf(s.name, sizeof s.name, "%s", us ? us + 1 : names->e[i].name);
        } else if (parse_target_name(names->e[i].name, &target)) {
            snprintf(s.name, sizeof s.name, "%s", target);
        } else {
            continue;
        }
        char *dir = omsi_path_join(run->folder, names->e[i].name);
        if (!dir)
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        if (plain_dir_entry(dir, &names->e[i])) {
            find_acquisition(root_real, dir, &s);
            /* "0_A1"-like names are too common to claim a folder without an acqu. */
            if (any_imaging || s.acqu) {
                if (!any_imaging)
                    s.x = position++;
                rc = add_spot(run, &cap, &s, err);
                if (rc) {
                    free(s.acqu);
                    free(s.fid);
                    free(s.unusable);
                }
            }
        }
        free(dir);
    }
    return rc;
}

/* The listed entries "<chip>_<name>" by name, for a binary search per spot
 * list row (a linear search over the folder per row is quadratic); ties
 * keep the folder's name order. */
typedef struct suffix_entry {
    const char *suffix;
    size_t index;
} suffix_entry;

static int compare_suffixes(const void *a, const void *b)
{
    const suffix_entry *s = a, *t = b;
    int c = strcmp(s->suffix, t->suffix);
    if (c)
        return c;
    return s->index < t->index ? -1 : s->index > t->index;
}

static suffix_entry *suffix_index(const dir_list *names, size_t *count)
{
    *count = 0;
    suffix_entry *idx = malloc((names->count ? names->count : 1) * sizeof *idx);
    if (!idx)
        return NULL;
    for (size_t i = 0; i < names->count; i++) {
        const char *us = strchr(names->e[i].name, '_');
        if (us)
            idx[(*count)++] = (suffix_entry){us + 1, i};
    }
    if (*count > 1)
        qsort(idx, *count, sizeof *idx, compare_suffixes);
    return idx;
}

/* First entry of idx with this suffix (or count). */
static size_t suffix_lower_bound(const suffix_entry *idx, size_t count, const char *suffix)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(idx[mid].suffix, suffix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Spot list rows: "X-pos Y-pos spot-name region name with spaces". */
static int read_spot_list(bruker_run *run, const dir_list *names, const char *root_real, omsi_error *err)
{
    char *text = NULL;
    size_t len = 0, cap = 0, names_cap = 0;
    int rc = omsi_read_small_file(run->spot_list, SPOT_LIST_MAX_BYTES, &text, &len, err);
    if (rc)
        return rc;
    run->spot_list_bytes = len;
    size_t n_idx;
    suffix_entry *idx = suffix_index(names, &n_idx);
    if (!idx) {
        free(text);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    int line_no = 0;
    for (char *line = text; line && *line && !rc;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line_no++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#') {
            line = next;
            continue;
        }
        long sx, sy;
        char spot[64];
        int used = 0;
        if (sscanf(line, "%ld %ld %63s %n", &sx, &sy, spot, &used) < 3) {
            rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: line %d: expected 'X-pos Y-pos spot-name region'",
                                run->spot_list, line_no);
            break;
        }
        const char *region_name = used > 0 && (size_t)used <= n ? line + used : "";
        bruker_spot s = {0};
        if (!bruker_parse_spot_name(spot, &s.region, &s.x, &s.y)) {
            rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: line %d: spot name '%s' is not R<r>X<x>Y<y>",
                                run->spot_list, line_no, spot);
            break;
        }
        s.imaging = true;
        snprintf(s.name, sizeof s.name, "%s", strchr(spot, '_') ? strchr(spot, '_') + 1 : spot);
        /* The spot's folder: a listed entry "<chip>_<name>" (never a path from the file). */
        for (size_t k = suffix_lower_bound(idx, n_idx, s.name);
             k < n_idx && !s.acqu && strcmp(idx[k].suffix, s.name) == 0; k++) {
            const dir_entry *e = &names->e[idx[k].index];
            char *dir = omsi_path_join(run->folder, e->name);
            if (dir && plain_dir_entry(dir, e))
                find_acquisition(root_real, dir, &s);
            free(dir);
        }
        rc = add_spot(run, &cap, &s, err);
        if (rc) {
            free(s.acqu);
            free(s.fid);
            free(s.unusable);
        }
        run->listed++;
        /* Region display names from the fourth column when it is not a number. */
        char *end;
        strtol(region_name, &end, 10);
        if (!rc && region_name[0] && *end) {
            bool known = false;
            for (size_t i = 0; i < run->n_names && !known; i++)
                known = run->names[i].region == s.region;
            if (!known && run->n_names == BRUKER_MAX_REGIONS) {
                rc = omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: line %d: more than %d named regions",
                                    run->spot_list, line_no, BRUKER_MAX_REGIONS);
                break;
            }
            if (!known) {
                if (run->n_names == names_cap) {
                    size_t ncap = names_cap ? 2 * names_cap : 8;
                    bruker_region_name *p = realloc(run->names, ncap * sizeof *p);
                    if (!p) {
                        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
                        break;
                    }
                    run->names = p;
                    names_cap = ncap;
                }
                run->names[run->n_names].region = s.region;
                snprintf(run->names[run->n_names].name, sizeof run->names[0].name, "%s", region_name);
                run->n_names++;
            }
        }
        line = next;
    }
    free(idx);
    free(text);
    return rc;
}

static const char *const list_suffixes[] = {"_spot_list.txt", " Spot List.txt"};

int bruker_run_find(const char *path, uint64_t memory_limit, bruker_run *out, omsi_error *err)
{
    memset(out, 0, sizeof *out);
    out->memory_limit = memory_limit;
    int rc = 0;
    for (size_t i = 0; i < 2 && !out->folder; i++)
        if (omsi_has_suffix_ci(path, list_suffixes[i]) && omsi_is_regular_file(path)) {
            out->folder = omsi_strip_suffix_ci(path, list_suffixes[i]);
            out->spot_list = strdup(path);
            if (!out->folder || !out->spot_list)
                rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        }
    if (!rc && !out->folder) {
        if (!omsi_is_directory(path)) {
            bruker_run_free(out);
            return omsi_error_set(err, OMSI_ERR_NOT_FORMAT, "%s: not a spot folder or spot list", path);
        }
        out->folder = strdup(path);
        if (!out->folder)
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    if (rc) {
        bruker_run_free(out);
        return rc;
    }
    dir_list names = {0};
    char *root_real = omsi_is_directory(out->folder) ? realpath(out->folder, NULL) : NULL;
    if (root_real)
        rc = list_dir(out->folder, &names, err);
    else if (!out->spot_list)
        rc = omsi_error_set(err, OMSI_ERR_NOT_FORMAT, "%s: not a directory", out->folder);
    if (!rc) {
        if (out->spot_list)
            rc = read_spot_list(out, &names, root_real ? root_real : "/nonexistent", err);
        else
            rc = scan_folder(out, &names, root_real, err);
    }
    free(root_real);
    dir_list_free(&names);
    if (!rc && out->count == 0 && !out->spot_list)
        rc = omsi_error_set(err, OMSI_ERR_NOT_FORMAT, "%s: no Bruker flex spot folders", path);
    if (rc)
        bruker_run_free(out);
    return rc;
}
