/* libmicrohttpd setup and the per-request gate: method, size, token, rate,
 * path; then serve_dispatch answers and one line is logged. */
#include "serve/serve.h"
#include "serve/serve_addr.h"
#include "serve/serve_api.h"
#include "serve/serve_rate.h"
#include "serve/serve_token.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
    SERVE_DEFAULT_THREADS = 4,
    SERVE_DEFAULT_CONNECTIONS = 256,
    SERVE_TIMEOUT_SECONDS = 30,
    SERVE_MEMORY_LIMIT = 64 * 1024, /* per connection: request line and headers must fit */
};

struct omsi_server {
    struct MHD_Daemon *daemon;
    int fd;
    serve_pool pool;
    serve_rate rate;
    serve_ctx ctx;
    pthread_rwlock_t fork_lock; /* requests read, a forking caller writes */
    char *token;
    const omsi_logger *log;
    char address[80];
    uint16_t port;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return serve_unescape(s);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    serve_args_add(cls, key, value);
    return MHD_YES;
}

static void client_name(struct MHD_Connection *c, char *out, size_t size)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, size, "?");
    if (info && info->client_addr) {
        char full[80];
        serve_addr_format(info->client_addr, full, sizeof full);
        /* The host only: a client's connections share its bucket. */
        char *colon = strrchr(full, ':');
        if (colon)
            *colon = '\0';
        snprintf(out, size, "%s", full);
    }
}

static enum MHD_Result send_reply(struct MHD_Connection *c, serve_reply *r, bool head, unsigned allow)
{
    struct MHD_Response *resp;
    if (r->body_static)
        resp = MHD_create_response_from_buffer(r->size, r->body, MHD_RESPMEM_PERSISTENT);
    else {
        resp = MHD_create_response_from_buffer(r->size, r->body, MHD_RESPMEM_MUST_FREE);
        r->body = NULL; /* libmicrohttpd frees it */
    }
    if (!resp)
        return MHD_NO;
    (void)head; /* libmicrohttpd leaves the body out of a HEAD answer */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                            "script-src 'self' 'unsafe-inline'");
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (r->status == 429)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (r->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ok = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* The gate, in the order a request meets it (method, body, rate, token,
 * path), then the endpoint: reply is filled either way. */
static void answer(omsi_server *s, struct MHD_Connection *c, const char *url, const char *method,
                   const char *client, serve_reply *reply, unsigned *allow)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (!get) {
        *allow = 1;
        serve_reply_error(reply, 405, "%s: the catalog is read-only; only GET and HEAD are served", method);
        return;
    }
    const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *chunked = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if ((length && strcmp(length, "0") != 0) || chunked) {
        serve_reply_error(reply, 413, "a GET request has no body");
        return;
    }
    if (!serve_rate_allow(&s->rate, client, now_seconds())) {
        serve_reply_error(reply, 429, "too many requests from %s; retry in a second", client);
        return;
    }
    serve_route route;
    char why[160];
    unsigned st = serve_route_parse(url, &route, why, sizeof why);
    /* The page itself holds no data: it loads without the token and asks for it. */
    if (s->token && !(st == 0 && route.kind == SERVE_ROUTE_PAGE) &&
        !serve_token_accepts(s->token,
                             MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
                             MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE))) {
        serve_reply_error(reply, 401, "a bearer token is needed (Authorization: Bearer TOKEN)");
        return;
    }
    if (st) {
        serve_reply_error(reply, st, "%s", why);
        return;
    }
    serve_args args = {0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
    pthread_rwlock_rdlock(&s->fork_lock);
    serve_dispatch(&s->ctx, &route, &args, reply);
    pthread_rwlock_unlock(&s->fork_lock);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    (void)version;
    (void)upload_data;
    omsi_server *s = cls;
    if (*con_cls && *upload_data_size) {
        *upload_data_size = 0; /* a body after the answer: dropped */
        return MHD_YES;
    }
    if (*con_cls)
        return MHD_YES;
    *con_cls = s; /* answered on the first call: the headers are all there */
    double start = now_seconds();
    char client[80];
    client_name(c, client, sizeof client);
    serve_reply reply = {0};
    unsigned allow = 0;
    answer(s, c, url, method, client, &reply, &allow);
    unsigned status = reply.status;
    enum MHD_Result ok = send_reply(c, &reply, strcmp(method, "HEAD") == 0, allow);
    serve_reply_free(&reply);
    char path[120];
    snprintf(path, sizeof path, "%s", url); /* omsi_log escapes control characters */
    omsi_log(s->log, OMSI_LOG_NOTICE, "%s %s %s %u %.1f ms", client, method, path, status,
             (now_seconds() - start) * 1e3);
    return ok;
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    if (n && line[n - 1] == '\n')
        line[n - 1] = '\0';
    omsi_log(cls, OMSI_LOG_WARNING, "libmicrohttpd: %s", line);
}

static int bind_socket(const char *listen_text, omsi_server *s, bool *loopback, omsi_error *err)
{
    serve_addr addr;
    int rc = serve_addr_parse(listen_text, &addr, err);
    if (rc)
        return rc;
    *loopback = addr.loopback;
    s->fd = socket(addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: socket", listen_text);
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s->fd, (struct sockaddr *)&addr.ss, addr.len) != 0)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: cannot listen there", listen_text);
    if (listen(s->fd, 512) != 0)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: listen", listen_text);
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    if (getsockname(s->fd, (struct sockaddr *)&bound, &len) != 0)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: getsockname", listen_text);
    serve_addr_format((struct sockaddr *)&bound, s->address, sizeof s->address);
    s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

int omsi_serve_start(const omsi_serve_config *cfg, omsi_server **out, omsi_error *err)
{
    *out = NULL;
    omsi_server *s = calloc(1, sizeof *s);
    if (!s)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    s->fd = -1;
    s->log = cfg->log;
    /* A waiting fork goes before new requests (glibc prefers readers). */
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->fork_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    const char *listen_text = cfg->listen ? cfg->listen : SERVE_DEFAULT_LISTEN;
    bool loopback = false, pool_open = false;
    unsigned threads = cfg->threads ? cfg->threads : SERVE_DEFAULT_THREADS;
    double rate = cfg->rate_per_second == 0 ? 100 : cfg->rate_per_second < 0 ? 0 : cfg->rate_per_second;
    serve_rate_init(&s->rate, rate, 4 * rate);
    int rc = bind_socket(listen_text, s, &loopback, err);
    if (!rc && !loopback && !cfg->token && !cfg->insecure)
        rc = omsi_error_set(err, OMSI_ERR_USAGE,
                            "%s is not a loopback address: give --token-file FILE (or --insecure to serve "
                            "the catalog to anyone who can reach it)", listen_text);
    if (!rc && cfg->token && !(s->token = strdup(cfg->token)))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    if (!rc && !(rc = serve_pool_open(&s->pool, cfg->catalog_path, threads, cfg->forking, err)))
        pool_open = true;
    if (!rc) {
        s->ctx = (serve_ctx){.pool = &s->pool, .log = cfg->log};
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
        if (strchr(listen_text, '['))
            flags |= MHD_USE_IPv6;
        s->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, (void *)cfg->log,
            MHD_OPTION_LISTEN_SOCKET, s->fd, MHD_OPTION_THREAD_POOL_SIZE, threads,
            MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections ? cfg->max_connections : SERVE_DEFAULT_CONNECTIONS,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SERVE_TIMEOUT_SECONDS, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)SERVE_MEMORY_LIMIT, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
        if (!s->daemon)
            rc = omsi_error_set(err, OMSI_ERR_IO, "%s: the HTTP server did not start", s->address);
    }
    if (rc) {
        if (pool_open)
            serve_pool_close(&s->pool);
        if (s->fd >= 0)
            close(s->fd);
        serve_rate_destroy(&s->rate);
        pthread_rwlock_destroy(&s->fork_lock);
        free(s->token);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

const char *omsi_serve_address(const omsi_server *s) { return s->address; }
uint16_t omsi_serve_port(const omsi_server *s) { return s->port; }

void omsi_serve_stop(omsi_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    close(s->fd);
    serve_pool_close(&s->pool);
    serve_rate_destroy(&s->rate);
    pthread_rwlock_destroy(&s->fork_lock);
    free(s->token);
    free(s);
}

void omsi_serve_hold(omsi_server *s)
{
    if (s)
        pthread_rwlock_wrlock(&s->fork_lock);
}

void omsi_serve_release(omsi_server *s)
{
    if (s)
        pthread_rwlock_unlock(&s->fork_lock);
}
