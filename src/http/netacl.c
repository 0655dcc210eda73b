/* ibc — address lists (CIDR) for --trusted: the peers exempt from the
 * per-address connection limit and whose X-Forwarded-For is believed.
 *
 * Hand-written: matching a prefix is a dozen lines; inet_pton() does the
 * parsing. IPv4-mapped IPv6 peers (what a dual-stack socket reports for an
 * IPv4 client) are matched as the IPv4 address they carry. */
#include "http/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/xalloc.h"

struct net {
    int family;              /* 4 or 6 */
    unsigned char addr[16];  /* network bytes; 4 used for IPv4 */
    int prefix;              /* 0..32 / 0..128 */
};

struct netacl {
    struct net *nets;
    size_t n;
};

/* Parses one address (no prefix) into family/bytes. */
static bool parse_addr(const char *s, int *family, unsigned char out[16])
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        *family = 4;
        memcpy(out, &a4, 4);
        return true;
    }
    if (inet_pton(AF_INET6, s, &a6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            *family = 4;
            memcpy(out, a6.s6_addr + 12, 4);
        } else {
            *family = 6;
            memcpy(out, a6.s6_addr, 16);
        }
        return true;
    }
    return false;
}

int netacl_parse(struct netacl **out, const char *spec, struct ibc_error *err)
{
    struct netacl *acl = xcalloc(1, sizeof(*acl));
    *out = acl;
    if (!spec || strcmp(spec, "none") == 0) {
        return 0;
    }
    const char *p = spec;
    while (*p) {
        size_t len = strcspn(p, ", \t");
        if (len == 0) {
            p++;
            continue;
        }
        char item[80];
        if (len >= sizeof(item)) {
            netacl_free(acl);
            *out = NULL;
            return ibc_fail(err, IBC_EINVAL, "not an address: %.*s",
                            (int)(len > 60 ? 60 : len), p);
        }
        memcpy(item, p, len);
        item[len] = '\0';
        p += len;
        struct net net = {0};
        char *slash = strchr(item, '/');
        if (slash) {
            *slash = '\0';
        }
        bool ok = parse_addr(item, &net.family, net.addr);
        int max = net.family == 4 ? 32 : 128;
        net.prefix = max;
        if (ok && slash) {
            char *end;
            long v = strtol(slash + 1, &end, 10);
            ok = slash[1] && *end == '\0' && v >= 0 && v <= max;
            /* "::ffff:0:0/96" style prefixes count the mapped bits. */
            net.prefix = (int)v;
        }
        if (!ok) {
            netacl_free(acl);
            *out = NULL;
            if (slash) {
                *slash = '/';
            }
            return ibc_fail(err, IBC_EINVAL,
                            "not an address or CIDR network: %s "
                            "(write e.g. 10.0.0.0/8, ::1 or none)", item);
        }
        acl->nets = xrealloc(acl->nets, (acl->n + 1) * sizeof(*acl->nets));
        acl->nets[acl->n++] = net;
    }
    return 0;
}

void netacl_free(struct netacl *acl)
{
    if (acl) {
        free(acl->nets);
        free(acl);
    }
}

static bool match(const struct netacl *acl, int family,
                  const unsigned char *addr)
{
    for (size_t i = 0; acl && i < acl->n; i++) {
        const struct net *n = &acl->nets[i];
        if (n->family != family) {
            continue;
        }
        int bits = n->prefix, full = bits / 8, rest = bits % 8;
        if (memcmp(n->addr, addr, (size_t)full) != 0) {
            continue;
        }
        if (rest) {
            unsigned char mask = (unsigned char)(0xff << (8 - rest));
            if ((n->addr[full] & mask) != (addr[full] & mask)) {
                continue;
            }
        }
        return true;
    }
    return false;
}

/* The family and bytes of a socket address (mapped IPv4 as IPv4). */
static bool sa_bytes(const struct sockaddr *sa, int *family,
                     unsigned char out[16])
{
    if (!sa) {
        return false;
    }
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        *family = 4;
        memcpy(out, &s4->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            *family = 4;
            memcpy(out, s6->sin6_addr.s6_addr + 12, 4);
        } else {
            *family = 6;
            memcpy(out, s6->sin6_addr.s6_addr, 16);
        }
        return true;
    }
    return false;
}

bool netacl_match_sa(const struct netacl *acl, const struct sockaddr *sa)
{
    int family;
    unsigned char b[16];
    return sa_bytes(sa, &family, b) && match(acl, family, b);
}

bool netacl_match_text(const struct netacl *acl, const char *addr)
{
    int family;
    unsigned char b[16];
    return addr && parse_addr(addr, &family, b) && match(acl, family, b);
}

void netacl_addr_text(const struct sockaddr *sa, char out[64])
{
    int family;
    unsigned char b[16];
    if (!sa_bytes(sa, &family, b) ||
        !inet_ntop(family == 4 ? AF_INET : AF_INET6, b, out, 64)) {
        snprintf(out, 64, "-");
    }
}
