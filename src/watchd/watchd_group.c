/* Grouping of files into datasets (see watchd_group.h). */
#include "watchd/watchd_group.h"

#include "base/omsi_util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *watchd_kind_format(watchd_kind kind)
{
    switch (kind) {
    case WATCHD_KIND_IMG: return "img";
    case WATCHD_KIND_IMZML: return "imzml";
    case WATCHD_KIND_MZML: return "mzml";
    case WATCHD_KIND_BRUKER: return "bruckerflex";
    default: return NULL;
    }
}

static const struct {
    const char *suffix;
    watchd_kind kind;
    bool primary;
} suffixes[] = {
    {".hdr", WATCHD_KIND_IMG, true},
    {".t2m", WATCHD_KIND_IMG, false},
    {".img", WATCHD_KIND_IMG, false},
    {".imzML", WATCHD_KIND_IMZML, true},
    {".ibd", WATCHD_KIND_IMZML, false},
    {".mzML", WATCHD_KIND_MZML, true},
    {" Spot List.txt", WATCHD_KIND_BRUKER, true},
    {"_spot_list.txt", WATCHD_KIND_BRUKER, true},
};

watchd_kind watchd_group_file(const char *name, char **stem, bool *is_primary)
{
    *stem = NULL;
    *is_primary = false;
    /* Hidden files are temporaries of copy tools and of our own converter. */
    if (name[0] == '.' || name[0] == '\0')
        return WATCHD_KIND_NONE;
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t n = strlen(suffixes[i].suffix);
        if (len <= n || !omsi_has_suffix_ci(name, suffixes[i].suffix))
            continue;
        *stem = strndup(name, len - n);
        if (!*stem)
            return WATCHD_KIND_NONE;
        *is_primary = suffixes[i].primary;
        return suffixes[i].kind;
    }
    return WATCHD_KIND_NONE;
}

/* Matches "R<d+>X<d+>Y<d+>" exactly from s to the end. */
static bool is_rxy(const char *s)
{
    static const char letters[] = "RXY";
    for (int i = 0; i < 3; i++) {
        if (*s != letters[i])
            return false;
        s++;
        if (!isdigit((unsigned char)*s))
            return false;
        while (isdigit((unsigned char)*s))
            s++;
    }
    return *s == '\0';
}

/* "<digits>_<letters><digits>": a non-imaging target position (0_A1, 0_B12). */
static bool is_target(const char *name)
{
    const char *s = name;
    if (!isdigit((unsigned char)*s))
        return false;
    while (isdigit((unsigned char)*s))
        s++;
    if (*s++ != '_' || !isalpha((unsigned char)*s))
        return false;
    while (isalpha((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s))
        return false;
    while (isdigit((unsigned char)*s))
        s++;
    return *s == '\0';
}

bool watchd_is_spot_name(const char *name)
{
    if (is_rxy(name) || is_target(name))
        return true;
    const char *underscore = strchr(name, '_');
    return underscore && underscore != name && is_rxy(underscore + 1);
}

char *watchd_group_key(const char *dir, const char *stem, watchd_kind kind)
{
    size_t n = strlen(dir) + strlen(stem) + 16;
    char *key = malloc(n);
    if (key)
        snprintf(key, n, "%s/%s#%s", dir, stem, watchd_kind_format(kind));
    return key;
}

char *watchd_group_bruker_parent(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    /* Walk the components; the first spot name ends the search. */
    char *component = copy;
    while (component && *component) {
        char *slash = strchr(component, '/');
        if (slash)
            *slash = '\0';
        if (component != copy && watchd_is_spot_name(component)) {
            /* component's parent is the run folder; its parent is wanted. */
            component[-1] = '\0';
            char *run_slash = strrchr(copy, '/');
            if (!run_slash || run_slash == copy) {
                free(copy);
                return NULL;
            }
            *run_slash = '\0';
            return copy;
        }
        if (slash)
            *slash = '/';
        component = slash ? slash + 1 : NULL;
    }
    free(copy);
    return NULL;
}
