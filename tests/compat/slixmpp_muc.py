#!/usr/bin/env python3
"""slixmpp_muc.py -- a stock XEP-0045 client against an xmucd room.

Runs a scripted scenario with slixmpp (python3-slixmpp, a library we did
not write) and its xep_0045 plugin against a room whose view manager is
"complete", which must behave as a standard MUC room:

  A (alice) joins (join_muc_wait) and accepts the instant room if the
  room was created; B (bob) joins; both occupant lists hold both nicks;
  each got its own presence with status 110, after the others'; the
  subject arrives; disco#info on the room; groupchat A->room reaches B
  and is reflected to A, B->room reaches A; C joining as "alice" gets a
  409 conflict error presence; a private message A->room/bob reaches B
  from room/alice; B leaves, gets its own unavailable presence (110) and
  A sees B's unavailable presence; A leaves.

Every check prints "ok - ..." or "not ok - ..." (TAP-like); the last line
is "N passed, M failed"; the exit status is 0 only if all passed.  A
global timeout makes the run fail, never hang.

Usage: slixmpp_muc.py --host 127.0.0.1 --port 5222 --domain anon.localhost
                      --room ROOM@COMPONENT [--timeout 60] [--verbose]

Logins are anonymous (SASL ANONYMOUS).  STARTTLS is used when offered,
without certificate verification (loopback, throwaway certificate);
--no-tls skips it.
"""

import argparse
import asyncio
import logging
import os
import signal
import ssl
import sys

try:
    import slixmpp
    from slixmpp import JID
    from slixmpp.exceptions import IqError, IqTimeout, PresenceError
except ImportError as e:  # the C test names the package too
    print("not ok - import slixmpp (%s): apt-get install python3-slixmpp" % e)
    print("0 passed, 1 failed")
    sys.exit(1)

NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
STEP = 10  # seconds to wait for any one answer

passed = 0
failed = 0


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def check(cond, what, detail=None):
    """Prints one TAP-like line; detail (str or list) explains a failure."""
    global passed, failed
    if cond:
        passed += 1
        out("ok - " + what)
    else:
        failed += 1
        out("not ok - " + what)
        if detail:
            for d in detail if isinstance(detail, list) else [detail]:
                for line in str(d).splitlines():
                    out("#   " + line)
    return bool(cond)


def summary_and_exit():
    out("%d passed, %d failed" % (passed, failed))
    # os._exit: never wait for slixmpp's tasks or sockets on the way out.
    os._exit(0 if failed == 0 and passed > 0 else 1)


class Peer(slixmpp.ClientXMPP):
    """One anonymous client that records what it receives."""

    def __init__(self, name, domain, room, use_tls):
        super().__init__(domain, "")
        self.name = name
        self.room = JID(room)
        self.use_tls = use_tls
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0004")
        self.register_plugin("xep_0045")
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.started = asyncio.get_event_loop().create_future()
        self.received = []     # every stanza from the room, as XML text
        self.presences = []    # (nick, type, status codes) from the room
        self.messages = asyncio.Queue()
        self.add_filter("in", self._record)
        self.add_event_handler("session_start", self._session_start)
        self.add_event_handler("failed_auth", self._failed)
        self.add_event_handler("connection_failed", self._failed)

    def _record(self, stanza):
        """Incoming filter: sees every stanza before any handler (the
        roster code hides presences from MUC JIDs from the 'presence'
        event), records those from the room."""
        try:
            frm = JID(stanza["from"])
        except Exception:  # not every stanza has a JID we can parse
            return stanza
        if frm.bare != self.room.bare:
            return stanza
        self.received.append(str(stanza))
        if stanza.name == "presence":
            codes = set()
            x = stanza.xml.find("{%s}x" % NS_MUC_USER)
            if x is not None:
                for st in x.findall("{%s}status" % NS_MUC_USER):
                    try:
                        codes.add(int(st.get("code")))
                    except (TypeError, ValueError):
                        pass
            self.presences.append((frm.resource, stanza["type"], codes))
        elif stanza.name == "message":
            self.messages.put_nowait(stanza)
        return stanza

    def _session_start(self, _event):
        if not self.started.done():
            self.started.set_result(True)

    def _failed(self, event):
        if not self.started.done():
            self.started.set_result("%s" % (event,))

    @property
    def muc(self):
        return self.plugin["xep_0045"]

    def occupants(self):
        try:
            return set(self.muc.get_roster(self.room))
        except ValueError:
            return set()

    def dump(self, last=12):
        """The last stanzas from the room, for failure details."""
        return ["%s received:" % self.name] + self.received[-last:]

    async def start(self, host, port):
        self.connect((host, port), force_starttls=False,
                     disable_starttls=not self.use_tls)
        try:
            r = await asyncio.wait_for(asyncio.shield(self.started), STEP)
        except asyncio.TimeoutError:
            r = "no session within %d s" % STEP
        if r is not True:
            raise RuntimeError("%s could not log in: %s" % (self.name, r))

    async def next_message(self, pred, timeout=STEP):
        """The next message satisfying pred, or None after timeout."""
        loop = asyncio.get_event_loop()
        end = loop.time() + timeout
        while True:
            left = end - loop.time()
            if left <= 0:
                return None
            try:
                m = await asyncio.wait_for(self.messages.get(), left)
            except asyncio.TimeoutError:
                return None
            if pred(m):
                return m

    async def wait_for(self, pred, timeout=STEP):
        """Polls pred() until it is true or the timeout passes."""
        loop = asyncio.get_event_loop()
        end = loop.time() + timeout
        while not pred():
            if loop.time() >= end:
                return False
            await asyncio.sleep(0.05)
        return True


def self_codes(peer, nick, ptype="available"):
    """Status codes of the first presence of nick with 110 of that type."""
    for n, t, c in peer.presences:
        if n == nick and t == ptype and 110 in c:
            return c
    return None


def is_groupchat_from(room, nick, body):
    return lambda m: (m["type"] == "groupchat" and m["body"] == body
                      and m["from"] == JID("%s/%s" % (room, nick)))


async def scenario(args):
    room = JID(args.room)
    tls = not args.no_tls
    a = Peer("A", args.domain, room, tls)
    b = Peer("B", args.domain, room, tls)
    c = Peer("C", args.domain, room, tls)
    peers = [a, b, c]
    try:
        for p in peers:
            await p.start(args.host, args.port)
        check(True, "three anonymous slixmpp clients logged in")
        await run_checks(room, a, b, c)
    finally:
        for p in peers:
            p.disconnect(wait=0.5)


async def join(peer, room, nick):
    """join_muc_wait; returns (result tuple or None, error text)."""
    try:
        res = await peer.muc.join_muc_wait(room, nick, maxstanzas=0,
                                           timeout=STEP)
        return res, None
    except PresenceError as e:
        return None, "error presence: %s (%s)" % (e.condition, e.etype)
    except asyncio.TimeoutError:
        return None, ("no self-presence (status 110) and subject within %d s"
                      % STEP)


async def run_checks(room, a, b, c):
    # --- A joins (and creates the room) ---
    res, err = await join(a, room, "alice")
    check(res is not None, "A joins %s as alice with join_muc_wait" % room,
          [err] + a.dump() if err else None)
    created = False
    if res is not None:
        pres = res[0]
        codes = pres["muc"]["status_codes"]
        check(110 in codes and pres["from"] == JID("%s/alice" % room),
              "A's self-presence from room/alice carries status 110",
              str(pres))
        check(pres["muc"]["role"] in ("moderator", "participant")
              and pres["muc"]["affiliation"] in ("owner", "admin", "member",
                                                 "none"),
              "A's self-presence has a role and an affiliation",
              str(pres))
        created = 201 in codes
    if created:
        # XEP-0045 10.1.2: the creator accepts the default configuration.
        try:
            form = a.plugin["xep_0004"].make_form(ftype="submit")
            await a.muc.set_room_config(room, form, timeout=STEP)
            check(True, "A accepts the instant room (owner form submit)")
        except (IqError, IqTimeout) as e:
            check(False, "A accepts the instant room (owner form submit)",
                  [repr(e)] + a.dump())

    # --- disco#info on the room ---
    try:
        info = await a.plugin["xep_0030"].get_info(jid=room, timeout=STEP)
        q = info["disco_info"]
        cats = [i[0] for i in q["identities"]]
        check("conference" in cats,
              "room disco#info has identity category 'conference'", str(info))
        check(NS_MUC in q["features"],
              "room disco#info has feature '%s'" % NS_MUC, str(info))
    except (IqError, IqTimeout) as e:
        check(False, "room disco#info answered", repr(e))
        check(False, "room disco#info has feature '%s'" % NS_MUC)

    # --- B joins ---
    res, err = await join(b, room, "bob")
    check(res is not None, "B joins as bob with join_muc_wait",
          [err] + b.dump() if err else None)
    if res is not None:
        pres, _subject, occupants, _history = res
        check(110 in pres["muc"]["status_codes"]
              and pres["from"] == JID("%s/bob" % room),
              "B's self-presence from room/bob carries status 110", str(pres))
        nicks = [p["from"].resource for p in occupants]
        check("alice" in nicks, "B's join brings alice's presence",
              ["occupants: %r" % nicks] + b.dump())
    order = [n for n, t, _c in b.presences if t == "available"]
    check("alice" in order and "bob" in order
          and order.index("alice") < order.index("bob")
          and self_codes(b, "bob") is not None,
          "B gets the occupants' presences before its own (110)",
          ["B presences: %r" % b.presences])
    check(b.occupants() >= {"alice", "bob"},
          "B's occupant list (get_roster) holds alice and bob",
          ["B roster: %r" % sorted(b.occupants())] + b.dump())
    await a.wait_for(lambda: "bob" in a.occupants())
    check(a.occupants() >= {"alice", "bob"},
          "A's occupant list (get_roster) holds alice and bob",
          ["A roster: %r" % sorted(a.occupants())] + a.dump())
    check(self_codes(a, "alice") is not None,
          "A got its own presence with status 110",
          ["A presences: %r" % a.presences])
    bob_seen_by_a = [p for p in a.presences if p[0] == "bob"]
    check(bob_seen_by_a and 110 not in bob_seen_by_a[0][2],
          "A sees bob's join presence without status 110",
          ["A presences: %r" % a.presences])

    # --- groupchat both ways ---
    body = "hello from alice"
    a.send_message(mto=room, mbody=body, mtype="groupchat")
    m = await b.next_message(is_groupchat_from(room, "alice", body))
    check(m is not None, "groupchat A->room reaches B from room/alice",
          b.dump())
    m = await a.next_message(is_groupchat_from(room, "alice", body))
    check(m is not None, "groupchat A->room is reflected to A", a.dump())
    body = "hello from bob"
    b.send_message(mto=room, mbody=body, mtype="groupchat")
    m = await a.next_message(is_groupchat_from(room, "bob", body))
    check(m is not None, "groupchat B->room reaches A from room/bob",
          a.dump())
    m = await b.next_message(is_groupchat_from(room, "bob", body))
    check(m is not None, "groupchat B->room is reflected to B", b.dump())

    # --- nick conflict ---
    try:
        await c.muc.join_muc_wait(room, "alice", maxstanzas=0, timeout=STEP)
        check(False, "C joining as alice is refused with 'conflict'",
              ["C joined instead"] + c.dump())
    except PresenceError as e:
        p = e.presence
        check(e.condition == "conflict" and e.etype == "cancel"
              and p["from"] == JID("%s/alice" % room),
              "C joining as alice gets an error presence from room/alice "
              "with condition 'conflict' (cancel)",
              ["condition=%r type=%r from=%s" % (e.condition, e.etype,
                                                 p["from"]), str(p)])
    except asyncio.TimeoutError:
        check(False, "C joining as alice gets an error presence with "
              "condition 'conflict' that the xep_0045 plugin recognises",
              ["no MUC error presence (presence type='error' with "
               "<x xmlns='%s'/>) within %d s" % (NS_MUC, STEP)] + c.dump())
    await asyncio.sleep(0.3)
    check(a.occupants() == {"alice", "bob"} and b.occupants() == {"alice", "bob"},
          "the refused join changes no occupant list",
          ["A roster: %r" % sorted(a.occupants()),
           "B roster: %r" % sorted(b.occupants())])

    # --- private message ---
    body = "psst, bob"
    a.send_message(mto=JID("%s/bob" % room), mbody=body, mtype="chat")
    m = await b.next_message(lambda m: m["body"] == body)
    check(m is not None and m["from"] == JID("%s/alice" % room)
          and m["type"] == "chat",
          "private message A->room/bob reaches B as chat from room/alice",
          [str(m)] if m is not None else b.dump())

    # --- B leaves ---
    b.muc.leave_muc(room, "bob")
    ok = await a.wait_for(lambda: any(n == "bob" and t == "unavailable"
                                      for n, t, _c in a.presences))
    check(ok, "A sees bob's unavailable presence", a.dump())
    check("bob" not in a.occupants(),
          "bob is gone from A's occupant list",
          "A roster: %r" % sorted(a.occupants()))
    ok = await b.wait_for(lambda: self_codes(b, "bob", "unavailable")
                          is not None)
    check(ok, "B gets its own unavailable presence with status 110",
          ["B presences: %r" % b.presences] + b.dump())

    a.muc.leave_muc(room, "alice")
    ok = await a.wait_for(lambda: self_codes(a, "alice", "unavailable")
                          is not None)
    check(ok, "A leaves and gets its own unavailable presence (110)",
          a.dump())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--domain", required=True,
                    help="anonymous login domain, e.g. anon.localhost")
    ap.add_argument("--room", required=True, help="ROOM@COMPONENT")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="global timeout in seconds (default 60)")
    ap.add_argument("--no-tls", action="store_true",
                    help="do not use STARTTLS")
    ap.add_argument("--verbose", action="store_true",
                    help="slixmpp debug log on stderr")
    args = ap.parse_args()
    if "@" not in args.room:
        ap.error("--room must be ROOM@COMPONENT")

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.CRITICAL,
                        stream=sys.stderr,
                        format="%(levelname)-8s %(message)s")

    # Backstop in case the event loop itself is stuck.
    def alarm(_sig, _frame):
        check(False, "finished within %g s (hard stop)" % args.timeout)
        summary_and_exit()
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(int(args.timeout) + 10)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(scenario(args), args.timeout))
    except asyncio.TimeoutError:
        check(False, "scenario finished within %g s" % args.timeout)
    except Exception as e:  # a failure to log in or a bug: still TAP
        check(False, "scenario ran to its end", "%s: %s" % (type(e).__name__, e))
    summary_and_exit()


if __name__ == "__main__":
    main()
