/* ob_hello.c -- a liborbweb peer with no event library of its own: it
 * connects and joins a room with the wait helpers (ob_wait_connected,
 * ob_wait_joined), says hello to the room, then serves from a plain
 * poll(2) loop (ob_poll_fd, ob_poll_timeout, ob_poll_work), printing what
 * arrives and answering each unicast with "hello, <body>", until a
 * unicast "quit" comes or SECONDS (default 60) pass.
 *
 *   ob_hello HOST PORT DOMAIN ROOM NICK [SECONDS]
 *
 * It logs in anonymously on DOMAIN (the server's anonymous domain).  The
 * server's certificate is trusted without verification (OB_TLS_TRUST):
 * fine for a throwaway loopback server, not for a real deployment (use
 * OB_TLS_VERIFY).  Build against an installed liborbweb with
 *   cc ob_hello.c $(pkg-config --cflags --libs orbweb) */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <orbweb/orbweb.h>

static bool quit;

static void on_unicast(ob_client *c, const struct ob_message *m, void *user)
{
    char reply[512];

    (void)user;
    printf("unicast %s %s\n", m->from, m->body);
    snprintf(reply, sizeof reply, "hello, %s", m->body);
    ob_unicast(c, m->from, reply);
    if (!strcmp(m->body, "quit"))
        quit = true;
}

static void on_groupcast(ob_client *c, const struct ob_message *m, void *user)
{
    (void)c;
    (void)user;
    printf("groupcast %s %s\n", m->nick ? m->nick : m->from, m->body);
}

static void on_error(ob_client *c, const struct ob_error *e, void *user)
{
    (void)c;
    (void)user;
    printf("error %s: %s\n", ob_strerror(e->code), e->text);
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Serves c from poll(2) until quit or seconds pass. */
static int serve(ob_client *c, int seconds)
{
    double end = now_ms() + seconds * 1e3;
    struct pollfd p = {.fd = ob_poll_fd(c), .events = POLLIN};

    if (p.fd < 0)
        return p.fd;
    while (!quit && now_ms() < end) {
        int t = ob_poll_timeout(c), left = (int)(end - now_ms()) + 1;
        if (poll(&p, 1, t < left ? t : left) < 0)
            return OB_EINVAL;
        if (ob_poll_work(c) != OB_OK)
            return OB_EEVENT;
    }
    return OB_OK;
}

static int run(ob_client *c, const char *room, const char *nick, int seconds)
{
    char hello[256];
    int rc;

    if ((rc = ob_connect(c)) || (rc = ob_wait_connected(c, 10000)))
        return rc;
    printf("jid %s\n", ob_client_jid(c));
    if ((rc = ob_room_join(c, room, nick, NULL)) ||
        (rc = ob_wait_joined(c, room, 10000)))
        return rc;
    printf("room joined %s\n", room);
    snprintf(hello, sizeof hello, "hello from %s", nick);
    if ((rc = ob_groupcast(c, room, hello)) || (rc = serve(c, seconds)))
        return rc;
    ob_room_leave(c, room);
    ob_disconnect(c);
    return ob_run_for(c, 2000); /* until closed, 2 s at most */
}

int main(int argc, char **argv)
{
    static const struct ob_callbacks cb = {.size = sizeof cb,
                                           .unicast = on_unicast,
                                           .groupcast = on_groupcast,
                                           .error = on_error};
    struct ob_options opt = OB_OPTIONS_INIT;
    ob_client *c;
    int rc;

    if (argc < 6 || argc > 7) {
        fprintf(stderr,
                "usage: ob_hello HOST PORT DOMAIN ROOM NICK [SECONDS]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    opt.host = argv[1];
    opt.port = atoi(argv[2]);
    opt.jid = argv[3];
    opt.tls = OB_TLS_TRUST;
    opt.cb = &cb;
    if ((rc = ob_client_new(&opt, &c)) != OB_OK) {
        fprintf(stderr, "ob_hello: %s\n", ob_strerror(rc));
        return 1;
    }
    rc = run(c, argv[4], argv[5], argc > 6 ? atoi(argv[6]) : 60);
    printf("%s %s\n", rc ? "failed" : "done", ob_strerror(rc));
    ob_client_free(c);
    return rc ? 1 : 0;
}
