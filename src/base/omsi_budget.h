/* The memory budget: one limit (--memory-limit, default 256 MiB) bounds the
 * whole conversion. Every allocation whose size comes from file content is
 * checked against it before it is made, so a hostile or absurd file gets a
 * clear error instead of an OOM kill. */
#ifndef OMSI_BUDGET_H
#define OMSI_BUDGET_H

#include "base/omsi_error.h"

#include <stdint.h>

#define OMSI_MEMORY_LIMIT_DEFAULT ((uint64_t)256 << 20)
/* Below this no conversion can work (one chunk plus the reader's buffers). */
#define OMSI_MEMORY_LIMIT_MIN ((uint64_t)16 << 20)

/* limit, or the default when limit is 0. */
uint64_t omsi_budget_limit(uint64_t limit);

/* OMSI_ERR_NOMEM naming file and what when bytes exceed the limit (0 =
 * default), e.g. "a.mzML: spectrum 7 (13.1 M points) needs 210 MiB, more than
 * the memory limit of 256 MiB (--memory-limit)". file may be NULL. */
int omsi_budget_check(uint64_t limit, uint64_t bytes, const char *file, const char *what,
                      omsi_error *err);

/* Parses a byte count: digits with an optional K, M, G or T suffix (powers of
 * 1024; "KiB", "MB" spellings accepted). -1 when malformed or overflowing. */
int omsi_parse_bytes(const char *text, uint64_t *out);

#endif
