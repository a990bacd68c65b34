#include "writer/chunk_pool.h"

#include <libdeflate.h>
#include <stdlib.h>

size_t omsi_chunk_pool_bound(size_t raw_bytes)
{
    /* libdeflate_zlib_compress_bound without a compressor: its documented
     * worst case is small; stored blocks add 5 bytes per 64 KiB block plus
     * the zlib header and trailer. */
    return raw_bytes + raw_bytes / 4096 * 5 + 5 * ((raw_bytes >> 16) + 1) + 64;
}

static void compress_job(struct libdeflate_compressor *c, omsi_chunk_job *job)
{
    job->out_bytes = c ? libdeflate_zlib_compress(c, job->raw, job->raw_bytes, job->out, job->out_cap) : 0;
    job->failed = job->out_bytes == 0;
}

static void *worker(void *arg)
{
    omsi_chunk_pool *p = arg;
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(p->level);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->todo_head && !p->stop)
            pthread_cond_wait(&p->todo_ready, &p->lock);
        if (!p->todo_head)
            break; /* stopping and nothing left */
        omsi_chunk_job *job = p->todo_head;
        p->todo_head = job->next;
        if (!p->todo_head)
            p->todo_tail = NULL;
        pthread_mutex_unlock(&p->lock);
        compress_job(c, job);
        pthread_mutex_lock(&p->lock);
        job->next = p->done_head;
        p->done_head = job;
        pthread_cond_signal(&p->done_ready);
    }
    pthread_mutex_unlock(&p->lock);
    if (c)
        libdeflate_free_compressor(c);
    return NULL;
}

int omsi_chunk_pool_start(omsi_chunk_pool *p, unsigned n_threads, int level, bool help)
{
    *p = (omsi_chunk_pool){.level = level};
    if (n_threads == 0)
        n_threads = 1;
    p->threads = calloc(n_threads, sizeof *p->threads);
    if (!p->threads)
        return -1;
    /* NULL (no memory) only means the caller waits instead of helping */
    p->helper = help ? libdeflate_alloc_compressor(level) : NULL;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->todo_ready, NULL);
    pthread_cond_init(&p->done_ready, NULL);
    for (; p->n_threads < n_threads; p->n_threads++)
        if (pthread_create(&p->threads[p->n_threads], NULL, worker, p) != 0) {
            omsi_chunk_pool_stop(p, NULL);
            return -1;
        }
    return 0;
}

void omsi_chunk_pool_submit(omsi_chunk_pool *p, omsi_chunk_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->todo_tail)
        p->todo_tail->next = job;
    else
        p->todo_head = job;
    p->todo_tail = job;
    p->in_flight++;
    pthread_cond_signal(&p->todo_ready);
    pthread_mutex_unlock(&p->lock);
}

omsi_chunk_job *omsi_chunk_pool_take(omsi_chunk_pool *p)
{
    pthread_mutex_lock(&p->lock);
    omsi_chunk_job *job = NULL;
    while (p->in_flight) {
        if (p->done_head) {
            job = p->done_head;
            p->done_head = job->next;
            break;
        }
        if (p->todo_head && p->helper) {
            /* Rather than wait, the caller compresses the oldest queued
             * chunk itself: it leaves the queue, so it is the caller's
             * alone, and the queue's lock is not held meanwhile. */
            job = p->todo_head;
            p->todo_head = job->next;
            if (!p->todo_head)
                p->todo_tail = NULL;
            p->in_flight--;
            pthread_mutex_unlock(&p->lock);
            compress_job(p->helper, job);
            job->next = NULL;
            return job;
        }
        pthread_cond_wait(&p->done_ready, &p->lock);
    }
    if (job) {
        job->next = NULL;
        p->in_flight--;
    }
    pthread_mutex_unlock(&p->lock);
    return job;
}

void omsi_chunk_pool_stop(omsi_chunk_pool *p, omsi_chunk_job **free_list)
{
    if (!p->threads)
        return;
    /* queued jobs are dropped uncompressed (stopping early is for errors
     * and cancellation); only those being compressed are waited for */
    pthread_mutex_lock(&p->lock);
    omsi_chunk_job *job = p->todo_head;
    p->todo_head = p->todo_tail = NULL;
    while (job) {
        omsi_chunk_job *next = job->next;
        p->in_flight--;
        if (free_list) {
            job->next = *free_list;
            *free_list = job;
        }
        job = next;
    }
    pthread_mutex_unlock(&p->lock);
    while ((job = omsi_chunk_pool_take(p)) != NULL) {
        if (free_list) {
            job->next = *free_list;
            *free_list = job;
        }
    }
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->todo_ready);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->todo_ready);
    pthread_cond_destroy(&p->done_ready);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    p->threads = NULL;
    if (p->helper)
        libdeflate_free_compressor(p->helper);
    p->helper = NULL;
    p->n_threads = 0;
}
