/* ob_echo.c -- a complete liborbweb peer: joins a room, prints its view
 * changes and the groupcasts it receives, and answers every unicast with
 * "echo: <body>".  A unicast "quit" makes it leave and exit; so do SIGINT
 * and SIGTERM.
 *
 *   ob_echo HOST PORT JID PASSWORD|- ROOM NICK [MANAGER [VIEW_SIZE]]
 *
 * JID is "user@domain" with a password, or the anonymous domain with "-".
 * MANAGER (complete, rbt, ...) is used if this peer creates the room.
 * Every line printed starts with a word saying what happened; the tests
 * (tests/integration/test_ob.c) read them.  The server's certificate is
 * trusted without verification (OB_TLS_TRUST): fine for a throwaway
 * loopback server, not for a real deployment (use OB_TLS_VERIFY). */
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <orbweb/orbweb.h>

struct echo {
    const char *room, *nick;
    struct ob_join_params join;
    int status;
};

static void on_state(ob_client *c, enum ob_state st, void *user)
{
    struct echo *e = user;
    int rc;

    printf("state %s\n", ob_state_name(st));
    if (st == OB_STATE_CONNECTED) {
        printf("jid %s\n", ob_client_jid(c));
        if ((rc = ob_room_join(c, e->room, e->nick, &e->join)) != OB_OK) {
            printf("error join: %s\n", ob_strerror(rc));
            e->status = 1;
            ob_disconnect(c);
        }
    }
}

static void on_room(ob_client *c, const struct ob_room_event *ev, void *user)
{
    static const char *const what[] = {"joined", "rejoined", "left"};

    (void)c;
    (void)user;
    printf("room %s %s as %s%s\n", what[ev->change], ev->room, ev->nick,
           ev->created ? " (created)" : "");
}

static void on_view(ob_client *c, const struct ob_view_event *ev, void *user)
{
    static const char *const what[] = {"added", "updated", "removed"};

    (void)c;
    (void)user;
    printf("view %s %s %s %s\n", what[ev->change], ev->nick,
           ev->jid ? ev->jid : "-",
           ev->change == OB_VIEW_REMOVED
               ? (ev->left_room ? "left-room" : "left-view")
               : ev->attrs);
}

static void on_unicast(ob_client *c, const struct ob_message *m, void *user)
{
    struct echo *e = user;
    char *reply;

    printf("unicast %s %s\n", m->from, m->body);
    if (!strcmp(m->body, "quit")) {
        ob_disconnect(c);
        return;
    }
    if (!(reply = malloc(strlen(m->body) + 7))) {
        e->status = 1;
        return;
    }
    sprintf(reply, "echo: %s", m->body);
    if (ob_unicast(c, m->from, reply) != OB_OK)
        e->status = 1;
    free(reply);
}

static void on_groupcast(ob_client *c, const struct ob_message *m, void *user)
{
    (void)c;
    (void)user;
    printf("groupcast %s %llu %s\n", m->nick, (unsigned long long)m->seq,
           m->body);
}

static void on_error(ob_client *c, const struct ob_error *err, void *user)
{
    struct echo *e = user;

    printf("error %s%s%s\n", err->text, *err->condition ? " " : "",
           err->condition);
    if (err->op == OB_OP_JOIN || err->op == OB_OP_ROOM) {
        e->status = 1;
        ob_disconnect(c);
    }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    if (ob_disconnect(arg) != OB_OK)
        ob_stop(arg);
}

int main(int argc, char **argv)
{
    static const struct ob_callbacks cb = {.size = sizeof cb,
                                           .state = on_state,
                                           .room = on_room,
                                           .view = on_view,
                                           .unicast = on_unicast,
                                           .groupcast = on_groupcast,
                                           .error = on_error};
    struct echo e = {.join = OB_JOIN_PARAMS_INIT};
    struct ob_options opt = OB_OPTIONS_INIT;
    struct event *sigint, *sigterm;
    ob_client *c;
    int rc;

    if (argc < 7 || argc > 9) {
        fprintf(stderr,
                "usage: %s HOST PORT JID PASSWORD|- ROOM NICK "
                "[MANAGER [VIEW_SIZE]]\n",
                argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    opt.host = argv[1];
    opt.port = atoi(argv[2]);
    opt.jid = argv[3];
    opt.password = strcmp(argv[4], "-") ? argv[4] : NULL;
    opt.tls = OB_TLS_TRUST;
    opt.cb = &cb;
    opt.user = &e;
    e.room = argv[5];
    e.nick = argv[6];
    e.join.manager = argc > 7 ? argv[7] : NULL;
    e.join.view_size = argc > 8 ? atoi(argv[8]) : 0;
    if ((rc = ob_client_new(&opt, &c)) != OB_OK) {
        fprintf(stderr, "ob_client_new: %s\n", ob_strerror(rc));
        return 1;
    }
    sigint = evsignal_new(ob_client_base(c), SIGINT, on_signal, c);
    sigterm = evsignal_new(ob_client_base(c), SIGTERM, on_signal, c);
    if (!sigint || !sigterm || event_add(sigint, NULL) ||
        event_add(sigterm, NULL) || (rc = ob_connect(c)) != OB_OK ||
        (rc = ob_run(c)) != OB_OK) {
        fprintf(stderr, "ob_echo: %s\n", ob_strerror(rc));
        e.status = 1;
    }
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    ob_client_free(c);
    printf("exit %d\n", e.status);
    return e.status;
}
