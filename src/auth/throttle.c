/* ibc — counting attempts in memory: failed sign-ins, anonymous posts.
 *
 * A fixed-size open-addressing table of counters, one mutex. A counter is a
 * fixed window: the first event starts it, events are counted until it
 * ends, then the next event starts a new one. Keys are never stored, only a
 * keyed 64-bit hash (libsodium's SipHash with a random key made at start),
 * so memory stays bounded whatever arrives and nobody can aim collisions.
 * When the probe sequence is full, the counter whose window ended longest
 * ago (else the oldest) is reused: an attacker flooding with fresh keys
 * can at worst make us forget counters, never grow memory.
 *
 * Written by hand: a dozen lines over a hash; no library needed. The
 * answer is a number of seconds for Retry-After — the worker never sleeps. */
#include "auth/auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#define PROBE 16 /* slots looked at per key */

struct slot {
    uint64_t h;      /* 0: free */
    time_t start;    /* window start */
    time_t end;      /* window end */
    int count;
};

struct throttle {
    pthread_mutex_t mu;
    unsigned char key[crypto_shorthash_KEYBYTES];
    struct slot *slots;
    size_t mask;
    size_t used;
};

struct throttle *throttle_new(size_t slots)
{
    size_t n = 64;
    while (n < slots && n < ((size_t)1 << 24)) {
        n <<= 1;
    }
    struct throttle *t = xcalloc(1, sizeof(*t));
    pthread_mutex_init(&t->mu, NULL);
    crypto_shorthash_keygen(t->key);
    t->slots = xcalloc(n, sizeof(*t->slots));
    t->mask = n - 1;
    return t;
}

void throttle_free(struct throttle *t)
{
    if (!t) {
        return;
    }
    pthread_mutex_destroy(&t->mu);
    free(t->slots);
    free(t);
}

static uint64_t key_hash(const struct throttle *t, const char *key)
{
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const unsigned char *)key, strlen(key), t->key);
    uint64_t h;
    memcpy(&h, out, sizeof(h));
    return h ? h : 1;
}

/* The slot of h, or NULL. Locked. */
static struct slot *find(struct throttle *t, uint64_t h)
{
    for (size_t i = 0; i < PROBE; i++) {
        struct slot *s = &t->slots[(h + i) & t->mask];
        if (s->h == h) {
            return s;
        }
    }
    return NULL;
}

/* A slot for a new key: a free one, else the stalest. Locked. */
static struct slot *claim(struct throttle *t, uint64_t h, time_t now)
{
    struct slot *best = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        struct slot *s = &t->slots[(h + i) & t->mask];
        if (s->h == 0) {
            t->used++;
            return s;
        }
        /* ended windows first, then the earliest end */
        if (!best || (s->end <= now && best->end > now) ||
            ((s->end <= now) == (best->end <= now) && s->end < best->end)) {
            best = s;
        }
    }
    return best;
}

/* Seconds left when s blocks at limit; 0 otherwise. Locked. */
static int blocked(const struct slot *s, int limit, time_t now)
{
    if (!s || now >= s->end || s->count < limit) {
        return 0;
    }
    time_t left = s->end - now;
    return left < 1 ? 1 : (int)left;
}

static void add(struct throttle *t, uint64_t h, int window, time_t now)
{
    struct slot *s = find(t, h);
    if (!s) {
        s = claim(t, h, now);
        s->h = h;
        s->count = 0;
        s->end = 0;
    }
    if (now >= s->end) {
        s->start = now;
        s->end = now + window;
        s->count = 0;
    }
    s->count++;
}

int throttle_check(struct throttle *t, const char *key, int limit,
                   int window, time_t now)
{
    (void)window;
    uint64_t h = key_hash(t, key);
    pthread_mutex_lock(&t->mu);
    int left = blocked(find(t, h), limit, now);
    pthread_mutex_unlock(&t->mu);
    return left;
}

void throttle_add(struct throttle *t, const char *key, int window, time_t now)
{
    uint64_t h = key_hash(t, key);
    pthread_mutex_lock(&t->mu);
    add(t, h, window, now);
    pthread_mutex_unlock(&t->mu);
}

int throttle_hit(struct throttle *t, const char *key, int limit, int window,
                 time_t now)
{
    uint64_t h = key_hash(t, key);
    pthread_mutex_lock(&t->mu);
    int left = blocked(find(t, h), limit, now);
    if (!left) {
        add(t, h, window, now);
    }
    pthread_mutex_unlock(&t->mu);
    return left;
}

void throttle_clear(struct throttle *t, const char *key)
{
    uint64_t h = key_hash(t, key);
    pthread_mutex_lock(&t->mu);
    struct slot *s = find(t, h);
    if (s) {
        /* keep the slot (probe chains stay intact), zero its window */
        s->count = 0;
        s->end = 0;
    }
    pthread_mutex_unlock(&t->mu);
}

size_t throttle_used(struct throttle *t)
{
    pthread_mutex_lock(&t->mu);
    size_t n = t->used;
    pthread_mutex_unlock(&t->mu);
    return n;
}
