#include "serve/serve_pool.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

int serve_pool_open(serve_pool *p, const char *path, unsigned n, bool per_request, omsi_error *err)
{
    memset(p, 0, sizeof *p);
    p->per_request = per_request;
    if (!(p->path = strdup(path)))
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (n < 1)
        n = 1;
    if (n > SERVE_POOL_MAX)
        n = SERVE_POOL_MAX;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    pthread_mutex_init(&p->hdf5_lock, NULL);
    hbool_t safe = 0;
    p->hdf5_serialized = H5is_library_threadsafe(&safe) < 0 || !safe;
    for (unsigned i = 0; i < n; i++) {
        int rc = omsi_catalog_open(path, OMSI_CATALOG_READ_ONLY, &p->cats[i], err);
        if (rc) {
            serve_pool_close(p);
            return rc;
        }
        p->n++;
        if (per_request) {
            omsi_catalog_close(p->cats[0]);
            p->n = 0;
            break;
        }
    }
    return 0;
}

void serve_pool_close(serve_pool *p)
{
    for (unsigned i = 0; i < p->n; i++)
        omsi_catalog_close(p->cats[i]);
    p->n = 0;
    free(p->path);
    p->path = NULL;
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->hdf5_lock);
}

int serve_pool_take(serve_pool *p, omsi_catalog **cat, omsi_error *err)
{
    if (p->per_request)
        return omsi_catalog_open(p->path, OMSI_CATALOG_READ_ONLY, cat, err);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        for (unsigned i = 0; i < p->n; i++)
            if (!p->busy[i]) {
                p->busy[i] = true;
                pthread_mutex_unlock(&p->lock);
                *cat = p->cats[i];
                return 0;
            }
        pthread_cond_wait(&p->freed, &p->lock);
    }
}

void serve_pool_give(serve_pool *p, omsi_catalog *cat)
{
    if (p->per_request) {
        omsi_catalog_close(cat);
        return;
    }
    pthread_mutex_lock(&p->lock);
    for (unsigned i = 0; i < p->n; i++)
        if (p->cats[i] == cat)
            p->busy[i] = false;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

void serve_pool_hdf5_enter(serve_pool *p)
{
    if (p->hdf5_serialized)
        pthread_mutex_lock(&p->hdf5_lock);
}

void serve_pool_hdf5_leave(serve_pool *p)
{
    if (p->hdf5_serialized)
        pthread_mutex_unlock(&p->hdf5_lock);
}
