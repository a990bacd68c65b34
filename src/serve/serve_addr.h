/* --listen ADDR:PORT: "127.0.0.1:8642", "[::1]:8642", "0.0.0.0:80",
 * "localhost:8642"; port 0 asks the kernel for a free one. Pure. */
#ifndef OMSI_SERVE_ADDR_H
#define OMSI_SERVE_ADDR_H

#include "base/omsi_error.h"

#include <stdbool.h>
#include <sys/socket.h>

#define SERVE_DEFAULT_LISTEN "127.0.0.1:8642"

typedef struct serve_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    bool loopback;            /* 127.0.0.0/8 or ::1 */
} serve_addr;

/* OMSI_ERR_USAGE naming text when it is not a numeric address (or
 * localhost) and a port 0..65535. */
int serve_addr_parse(const char *text, serve_addr *out, omsi_error *err);

/* "127.0.0.1:8642", "[::1]:8642" */
void serve_addr_format(const struct sockaddr *sa, char *out, size_t size);

#endif
