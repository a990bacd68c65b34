/* Compression threads for whole chunks: the writer thread hands raw chunks
 * to a bounded queue, a pool of threads deflates them with libdeflate (zlib
 * format, what HDF5's deflate filter reads) and hands them back. HDF5 is
 * never called from a pool thread; threads share only the queue. */
#ifndef OMSI_CHUNK_POOL_H
#define OMSI_CHUNK_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct omsi_chunk_job {
    int target;                /* which dataset (the writer's own tag) */
    uint64_t offset[3];        /* chunk origin in the dataset */
    unsigned char *raw;        /* raw_bytes of assembled values */
    size_t raw_bytes;
    unsigned char *out;        /* out_cap bytes; out_bytes after compression */
    size_t out_cap, out_bytes;
    bool failed;               /* compression failed (out of space or no compressor) */
    struct omsi_chunk_job *next;
} omsi_chunk_job;

typedef struct omsi_chunk_pool {
    pthread_mutex_t lock;
    pthread_cond_t todo_ready, done_ready;
    omsi_chunk_job *todo_head, *todo_tail, *done_head;
    size_t in_flight;          /* submitted, not yet taken back */
    bool stop;
    int level;
    pthread_t *threads;
    unsigned n_threads;
    struct libdeflate_compressor *helper; /* the taking thread's own, or NULL */
} omsi_chunk_pool;

/* Bytes a compressed chunk of raw_bytes may need. */
size_t omsi_chunk_pool_bound(size_t raw_bytes);

struct libdeflate_compressor;

/* Starts n_threads compressor threads at deflate level (0..12); with help,
 * omsi_chunk_pool_take compresses a queued job on the calling thread
 * instead of waiting (only one thread may take then). 0 or -1 (pthread
 * error; the threads started are joined again). */
int omsi_chunk_pool_start(omsi_chunk_pool *p, unsigned n_threads, int level, bool help);
/* Queues a job for compression (never blocks: the caller bounds jobs). */
void omsi_chunk_pool_submit(omsi_chunk_pool *p, omsi_chunk_job *job);
/* Waits for a compressed job (or compresses a queued one, see start);
 * NULL when nothing is in flight. */
omsi_chunk_job *omsi_chunk_pool_take(omsi_chunk_pool *p);
/* Drops the queued jobs and waits for those being compressed (all go to
 * the caller's list free_list, uncompressed or not), stops and joins every
 * thread. */
void omsi_chunk_pool_stop(omsi_chunk_pool *p, omsi_chunk_job **free_list);

#endif
