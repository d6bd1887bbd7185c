/* hs_proxy.c -- a TCP relay on loopback that can hand a stanza over one
 * byte at a time (hs_proxy.h).
 *
 * One thread relays one client at a time with poll().  The server's bytes
 * go through a buffer: relayed at once when free, kept while armed until
 * the marker and the end after it have come, kept while holding.  "The
 * client has read this byte" is asked of the kernel with sock_diag: the
 * client's socket must have received every byte written so far
 * (tcpi_bytes_received) and have none left unread (idiag_rqueue), so two
 * bytes never meet in one read whatever the load; the client may be in
 * any process of this network namespace. */
#include "config.h"

#include "hs_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_WAIT_MS 10000 /* a client that does not read a byte in 10 s */

enum mode { FREE, ARMED, HOLDING };

struct hs_proxy {
    int lfd, port, target_port, wake[2];
    char target[64];
    pthread_t thread;
    pthread_mutex_t mu;
    bool stop;
    bool cut;          /* hs_proxy_cut: hang up the current connection */
    unsigned cuts;     /* hang-ups done for hs_proxy_cut */
    double hold_until; /* ... and take no new one before then (now_ms) */
    enum mode mode;
    char marker[128], end[64];
    size_t lead, one_by_one;
    int cfd, sfd, client_port;
    uint64_t written; /* bytes written to the client on this connection */
    char *buf;        /* the server's bytes not yet written to the client */
    size_t len, cap;
    unsigned accepted; /* clients taken */
    char needle[64];   /* hs_proxy_watch: counted in the client's bytes */
    char tail[64];     /* the client's last bytes (a needle across reads) */
    size_t tail_len;
    unsigned seen;
};

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The client's socket as the kernel sees it: bytes received in all and
 * bytes not yet read.  0, or -1 when it cannot be found. */
static int client_queue(const hs_proxy *p, uint64_t *received, uint32_t *unread)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 r;
    } req = {
        .nlh = {.nlmsg_len = sizeof req,
                .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                .nlmsg_flags = NLM_F_REQUEST},
        .r = {.sdiag_family = AF_INET,
              .sdiag_protocol = IPPROTO_TCP,
              .idiag_ext = 1 << (INET_DIAG_INFO - 1),
              .idiag_states = ~0u,
              .id = {.idiag_sport = htons((uint16_t)p->client_port),
                     .idiag_dport = htons((uint16_t)p->port),
                     .idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}},
    };
    char ans[8192];
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    ssize_t n;
    int rc = -1;

    req.r.id.idiag_src[0] = req.r.id.idiag_dst[0] = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    if (send(fd, &req, sizeof req, 0) == (ssize_t)sizeof req &&
        (n = recv(fd, ans, sizeof ans, 0)) > 0) {
        struct nlmsghdr *h = (struct nlmsghdr *)ans;
        if (NLMSG_OK(h, (unsigned)n) && h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
            struct inet_diag_msg *m = NLMSG_DATA(h);
            int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
            *unread = m->idiag_rqueue;
            for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, alen);
                 a = RTA_NEXT(a, alen))
                if (a->rta_type == INET_DIAG_INFO) {
                    struct tcp_info ti = {0};
                    size_t sz = (size_t)RTA_PAYLOAD(a) < sizeof ti
                                    ? (size_t)RTA_PAYLOAD(a)
                                    : sizeof ti;
                    memcpy(&ti, RTA_DATA(a), sz);
                    *received = ti.tcpi_bytes_received;
                    rc = 0;
                }
        }
    }
    close(fd);
    return rc;
}

/* Waits until the client has received and read every byte written to it.
 * False when it has not within READ_WAIT_MS. */
static bool client_read_all(const hs_proxy *p)
{
    double deadline = now_ms() + READ_WAIT_MS;

    while (now_ms() < deadline) {
        uint64_t received = 0;
        uint32_t unread = 1;
        if (client_queue(p, &received, &unread) == 0 &&
            received >= p->written && unread == 0)
            return true;
        usleep(100);
    }
    return false;
}

static int write_all(int fd, const char *b, size_t n)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int to_client(hs_proxy *p, size_t n)
{
    if (write_all(p->cfd, p->buf, n) < 0)
        return -1;
    p->written += n;
    memmove(p->buf, p->buf + n, p->len - n);
    p->len -= n;
    return 0;
}

/* Armed: once the marker and the end after it are in the buffer, what
 * precedes the marker's lead goes at once, the rest one byte a read. */
static int send_armed(hs_proxy *p)
{
    char marker[128], end[64], *m, *e;
    size_t lead, start, stop;

    pthread_mutex_lock(&p->mu);
    memcpy(marker, p->marker, sizeof marker);
    memcpy(end, p->end, sizeof end);
    lead = p->lead;
    pthread_mutex_unlock(&p->mu);
    m = memmem(p->buf, p->len, marker, strlen(marker));
    if (!m || !(e = memmem(m, p->len - (size_t)(m - p->buf), end, strlen(end))))
        return 0;
    start = (size_t)(m - p->buf) > lead ? (size_t)(m - p->buf) - lead : 0;
    stop = (size_t)(e - p->buf) + strlen(end);
    if (start && to_client(p, start) < 0)
        return -1;
    for (size_t i = start; i < stop; i++)
        if (!client_read_all(p) || to_client(p, 1) < 0)
            return -1;
    if (!client_read_all(p))
        return -1;
    pthread_mutex_lock(&p->mu);
    p->one_by_one = stop - start;
    p->mode = HOLDING;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

/* The connection's state is the thread's own; the mode is shared with
 * the test (and never held while waiting for the client to read). */
static enum mode get_mode(hs_proxy *p)
{
    enum mode m;

    pthread_mutex_lock(&p->mu);
    m = p->mode;
    pthread_mutex_unlock(&p->mu);
    return m;
}

static int flush(hs_proxy *p)
{
    enum mode m = get_mode(p);

    if (m == ARMED)
        return send_armed(p);
    return m == FREE && p->len ? to_client(p, p->len) : 0;
}

static int from_server(hs_proxy *p)
{
    char chunk[16384];
    ssize_t n = read(p->sfd, chunk, sizeof chunk);

    if (n <= 0)
        return -1;
    if (p->len + (size_t)n > p->cap) {
        size_t cap = (p->len + (size_t)n) * 2;
        char *b = realloc(p->buf, cap);
        if (!b)
            return -1;
        p->buf = b;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, chunk, (size_t)n);
    p->len += (size_t)n;
    return 0;
}

/* Counts the needle in the client's bytes b (n of them), across reads. */
static void watch(hs_proxy *p, const char *b, size_t n)
{
    size_t k = strlen(p->needle), len;
    char joined[sizeof p->tail + 16384];
    const char *at, *end;

    if (!k)
        return;
    memcpy(joined, p->tail, p->tail_len);
    memcpy(joined + p->tail_len, b, n);
    len = p->tail_len + n;
    end = joined + len;
    pthread_mutex_lock(&p->mu);
    for (at = joined; (at = memmem(at, (size_t)(end - at), p->needle, k));
         at += k)
        p->seen++;
    pthread_mutex_unlock(&p->mu);
    p->tail_len = len < k - 1 ? len : k - 1;
    memcpy(p->tail, end - p->tail_len, p->tail_len);
}

static int from_client(hs_proxy *p)
{
    char chunk[16384];
    ssize_t n = read(p->cfd, chunk, sizeof chunk);

    if (n > 0)
        watch(p, chunk, (size_t)n);
    return n <= 0 ? -1 : write_all(p->sfd, chunk, (size_t)n);
}

static int dial(const char *host, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void hang_up(hs_proxy *p)
{
    if (p->cfd >= 0)
        close(p->cfd);
    if (p->sfd >= 0)
        close(p->sfd);
    p->cfd = p->sfd = -1;
    p->len = 0;
    p->written = 0;
}

static void take_client(hs_proxy *p)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd = accept4(p->lfd, (struct sockaddr *)&a, &al, SOCK_CLOEXEC);

    if (fd < 0)
        return;
    p->cfd = fd;
    p->client_port = ntohs(a.sin_port);
    p->tail_len = 0;
    pthread_mutex_lock(&p->mu);
    p->accepted++;
    pthread_mutex_unlock(&p->mu);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
    if ((p->sfd = dial(p->target, p->target_port)) < 0)
        hang_up(p);
}

/* One round of poll on the listener or the connection, and the wake pipe. */
static void relay_once(hs_proxy *p)
{
    struct pollfd f[3] = {{p->wake[0], POLLIN, 0}};
    int n = 1, rc = 0;
    double hold_until;

    if (p->cfd >= 0 && (rc = flush(p)) < 0) { /* armed or released meanwhile */
        hang_up(p);
        return;
    }

    pthread_mutex_lock(&p->mu);
    hold_until = p->hold_until;
    pthread_mutex_unlock(&p->mu);
    if (p->cfd >= 0) {
        f[n++] = (struct pollfd){p->cfd, POLLIN, 0};
        f[n++] = (struct pollfd){p->sfd, POLLIN, 0};
    } else if (now_ms() >= hold_until) /* else held: nobody is taken */
        f[n++] = (struct pollfd){p->lfd, POLLIN, 0};
    if (poll(f, (nfds_t)n, 1000) <= 0)
        return;
    if (f[0].revents) {
        char b[16];
        (void)!read(p->wake[0], b, sizeof b);
    }
    if (p->cfd < 0 && n > 1 && f[1].revents)
        take_client(p);
    else if (p->cfd >= 0) {
        if (f[1].revents)
            rc = from_client(p);
        if (rc == 0 && f[2].revents)
            rc = from_server(p);
        if (rc == 0)
            rc = flush(p);
        if (rc < 0)
            hang_up(p);
    }
}

static void *run(void *arg)
{
    hs_proxy *p = arg;

    for (;;) {
        pthread_mutex_lock(&p->mu);
        bool stop = p->stop, cut = p->cut;
        p->cut = false;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            return NULL;
        if (cut) {
            hang_up(p);
            pthread_mutex_lock(&p->mu);
            p->cuts++;
            pthread_mutex_unlock(&p->mu);
        }
        relay_once(p);
    }
}

static int listen_loopback(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(fd, 8) < 0 || getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

int hs_proxy_start(const char *host, int port, char *err, size_t errlen,
                   hs_proxy **out)
{
    hs_proxy *p = calloc(1, sizeof *p);

    *out = NULL;
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return HS_PROXY_ENOMEM;
    }
    p->cfd = p->sfd = -1;
    p->target_port = port;
    snprintf(p->target, sizeof p->target, "%s", host);
    pthread_mutex_init(&p->mu, NULL);
    if ((p->lfd = listen_loopback(&p->port)) < 0 || pipe(p->wake) < 0 ||
        pthread_create(&p->thread, NULL, run, p) != 0) {
        snprintf(err, errlen, "proxy: %s", strerror(errno));
        if (p->lfd >= 0)
            close(p->lfd);
        free(p);
        return HS_PROXY_ESYS;
    }
    *out = p;
    return HS_PROXY_OK;
}

static void wake(hs_proxy *p)
{
    (void)!write(p->wake[1], "x", 1);
}

void hs_proxy_stop(hs_proxy *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_mutex_unlock(&p->mu);
    wake(p);
    pthread_join(p->thread, NULL);
    hang_up(p);
    close(p->lfd);
    close(p->wake[0]);
    close(p->wake[1]);
    pthread_mutex_destroy(&p->mu);
    free(p->buf);
    free(p);
}

int hs_proxy_port(const hs_proxy *p)
{
    return p->port;
}

void hs_proxy_arm(hs_proxy *p, const char *marker, const char *end, size_t lead)
{
    pthread_mutex_lock(&p->mu);
    snprintf(p->marker, sizeof p->marker, "%s", marker);
    snprintf(p->end, sizeof p->end, "%s", end);
    p->lead = lead;
    p->one_by_one = 0;
    p->mode = ARMED;
    pthread_mutex_unlock(&p->mu);
    wake(p);
}

bool hs_proxy_holding(hs_proxy *p, size_t *bytes)
{
    bool h;

    pthread_mutex_lock(&p->mu);
    h = p->mode == HOLDING;
    if (bytes)
        *bytes = p->one_by_one;
    pthread_mutex_unlock(&p->mu);
    return h;
}

void hs_proxy_release(hs_proxy *p)
{
    pthread_mutex_lock(&p->mu);
    p->mode = FREE;
    pthread_mutex_unlock(&p->mu);
    wake(p);
}

void hs_proxy_cut(hs_proxy *p, int hold_ms)
{
    unsigned before;
    bool done = false;

    pthread_mutex_lock(&p->mu);
    p->cut = true;
    p->hold_until = now_ms() + hold_ms;
    before = p->cuts;
    pthread_mutex_unlock(&p->mu);
    wake(p);
    while (!done) { /* the relay thread hangs up on its next turn */
        usleep(1000);
        pthread_mutex_lock(&p->mu);
        done = p->cuts != before;
        pthread_mutex_unlock(&p->mu);
    }
}

void hs_proxy_watch(hs_proxy *p, const char *needle)
{
    pthread_mutex_lock(&p->mu);
    snprintf(p->needle, sizeof p->needle, "%s", needle);
    p->seen = 0;
    pthread_mutex_unlock(&p->mu);
}

unsigned hs_proxy_seen(hs_proxy *p)
{
    unsigned n;

    pthread_mutex_lock(&p->mu);
    n = p->seen;
    pthread_mutex_unlock(&p->mu);
    return n;
}

unsigned hs_proxy_accepted(hs_proxy *p)
{
    unsigned n;

    pthread_mutex_lock(&p->mu);
    n = p->accepted;
    pthread_mutex_unlock(&p->mu);
    return n;
}
