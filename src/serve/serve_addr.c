#include "serve/serve_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int serve_addr_parse(const char *text, serve_addr *out, omsi_error *err)
{
    memset(out, 0, sizeof *out);
    char host[64];
    const char *colon = strrchr(text, ':');
    size_t hlen = colon ? (size_t)(colon - text) : 0;
    if (!colon || hlen == 0 || hlen >= sizeof host)
        return omsi_error_set(err, OMSI_ERR_USAGE, "--listen '%s': give ADDR:PORT, e.g. 127.0.0.1:8642", text);
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    const char *port_text = colon + 1;
    unsigned long port = 0;
    size_t digits = strspn(port_text, "0123456789");
    if (digits == 0 || digits > 5 || port_text[digits] || (port = strtoul(port_text, NULL, 10)) > 65535)
        return omsi_error_set(err, OMSI_ERR_USAGE, "--listen '%s': the port must be 0 to 65535", text);
    bool bracket = host[0] == '[' && host[hlen - 1] == ']';
    if (bracket) {
        memmove(host, host + 1, hlen - 2);
        host[hlen - 2] = '\0';
    }
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
    if (!bracket && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        out->len = sizeof *v4;
        out->loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (bracket && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        out->len = sizeof *v6;
        out->loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    } else {
        return omsi_error_set(err, OMSI_ERR_USAGE,
                              "--listen '%s': not a numeric address (127.0.0.1, 0.0.0.0, [::1], localhost)", text);
    }
    return 0;
}

void serve_addr_format(const struct sockaddr *sa, char *out, size_t size)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
        snprintf(out, size, "[%s]:%u", host, ntohs(v6->sin6_port));
    } else {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        snprintf(out, size, "%s:%u", host, ntohs(v4->sin_port));
    }
}
