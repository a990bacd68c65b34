/* A worker's lease on the job it converts: a thread with its own catalog
 * connection renews it every third of the lease while the conversion (and
 * its HDF5 calls) runs on the worker's main thread. When the renewal finds
 * the job taken over by another host (this one was cut off longer than the
 * lease), it raises the cancel flag: the conversion stops, and the record
 * step would refuse anyway. */
#ifndef OMSI_WATCHD_LEASE_H
#define OMSI_WATCHD_LEASE_H

#include "base/omsi_error.h"
#include "base/omsi_log.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct watchd_lease {
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    bool stop;                  /* under mutex */
    bool started;
    const char *catalog_path;
    int64_t job_id;
    double seconds;
    volatile sig_atomic_t *cancel; /* raised when the lease is lost */
    volatile sig_atomic_t lost;
    const omsi_logger *log;
} watchd_lease;

/* Starts renewing job_id's lease (seconds long). */
int watchd_lease_start(watchd_lease *l, const char *catalog_path, int64_t job_id, double seconds,
                       volatile sig_atomic_t *cancel, const omsi_logger *log, omsi_error *err);
/* Stops renewing and waits for the thread. No-op when not started. */
void watchd_lease_stop(watchd_lease *l);

#endif
