/* Recursive inotify watcher (see watchd_inotify.h). */
#include "watchd/watchd_inotify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define WATCH_MASK                                                                     \
    (IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
     IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

int watchd_dirty_add(omsi_path_list *list, const char *path)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->paths[i], path) == 0)
            return 0;
    return omsi_path_list_add(list, path);
}

int watchd_watcher_open(watchd_watcher *w, const omsi_logger *log, omsi_error *err)
{
    memset(w, 0, sizeof *w);
    w->log = log;
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "inotify_init1");
    return 0;
}

void watchd_watcher_close(watchd_watcher *w)
{
    if (w->fd >= 0)
        close(w->fd);
    for (size_t i = 0; i < w->count; i++)
        free(w->watches[i].path);
    free(w->watches);
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

static watchd_watch *find_wd(watchd_watcher *w, int wd)
{
    for (size_t i = 0; i < w->count; i++)
        if (w->watches[i].wd == wd)
            return &w->watches[i];
    return NULL;
}

static void forget_wd(watchd_watcher *w, int wd)
{
    for (size_t i = 0; i < w->count; i++) {
        if (w->watches[i].wd == wd) {
            free(w->watches[i].path);
            w->watches[i] = w->watches[--w->count];
            return;
        }
    }
}

/* One folder: inotify_add_watch; the same wd again (re-added) updates the path. */
static int add_one(watchd_watcher *w, const char *dir, omsi_error *err)
{
    int wd = inotify_add_watch(w->fd, dir, WATCH_MASK);
    if (wd < 0) {
        if (errno == ENOSPC)
            return omsi_error_set(err, OMSI_ERR_IO,
                                  "%s: out of inotify watches (%zu in use by omsi-watchd); raise the "
                                  "limit, e.g. `sysctl fs.inotify.max_user_watches=1048576` (and "
                                  "persist it in /etc/sysctl.d/), or use --poll SECONDS",
                                  dir, w->count);
        if (errno == ENOENT || errno == ENOTDIR)
            return 0; /* gone already */
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: inotify_add_watch", dir);
    }
    watchd_watch *known = find_wd(w, wd);
    char *copy = strdup(dir);
    if (!copy)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (known) {
        free(known->path);
        known->path = copy;
        return 0;
    }
    if (w->count == w->capacity) {
        size_t cap = w->capacity ? w->capacity * 2 : 64;
        watchd_watch *items = realloc(w->watches, cap * sizeof *items);
        if (!items) {
            free(copy);
            return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        }
        w->watches = items;
        w->capacity = cap;
    }
    w->watches[w->count++] = (watchd_watch){.wd = wd, .path = copy};
    return 0;
}

int watchd_watcher_add_tree(watchd_watcher *w, const char *dir, omsi_path_list *added,
                            omsi_error *err)
{
    /* Watch first, then list: a folder created in between is seen either
     * as an event or by the listing. */
    int rc = add_one(w, dir, err);
    if (rc)
        return rc;
    if (added && watchd_dirty_add(added, dir))
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue; /* ".", ".." and hidden folders */
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
            continue;
        char *sub = omsi_path_join(dir, e->d_name);
        if (!sub) {
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
            break;
        }
        rc = watchd_watcher_add_tree(w, sub, added, err);
        free(sub);
    }
    closedir(d);
    return rc;
}

int watchd_watcher_read(watchd_watcher *w, omsi_path_list *dirty, bool *overflow,
                        omsi_error *err)
{
    _Alignas(struct inotify_event) char buf[16384];
    for (;;) {
        ssize_t n = read(w->fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR)
                continue;
            return omsi_error_errno(err, OMSI_ERR_IO, errno, "reading inotify events");
        }
        if (n == 0)
            return 0;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                *overflow = true;
                continue;
            }
            watchd_watch *watch = find_wd(w, ev->wd);
            if (!watch)
                continue;
            if (ev->mask & IN_IGNORED) {
                forget_wd(w, ev->wd);
                continue;
            }
            if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
                if (watchd_dirty_add(dirty, watch->path))
                    return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
                continue;
            }
            if (watchd_dirty_add(dirty, watch->path))
                return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
            if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && ev->len &&
                ev->name[0] != '.') {
                char *sub = omsi_path_join(watch->path, ev->name);
                if (!sub)
                    return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
                int rc = watchd_watcher_add_tree(w, sub, dirty, err);
                free(sub);
                if (rc)
                    return rc;
            }
        }
    }
}
