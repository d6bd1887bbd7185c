/* fail_alloc.c -- the --wrap allocation wrappers and the driver that fails
 * each allocation of a scenario in turn (see fail_alloc.h).
 *
 * The live set is an open-addressing hash set of pointers (linear probing,
 * deletion by backward shift) kept with the real allocator, so a free of
 * a block made by someone else (libc, before recording) is told apart
 * and simply passed on. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fail_alloc.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
void __wrap_free(void *p);

static struct {
    bool recording;
    bool paused;  /* allocations neither counted nor failed */
    long index;   /* the allocation this run fails (-1: none) */
    long fail_at; /* index, or -1 once fa_stop_failing was called */
    enum fa_mode mode;
    long count, failed;
    void **slot; /* the live set; NULL marks an empty slot */
    size_t cap, live;
} fa;

/* ---- The live set ---- */

static size_t slot_of(const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15u;

    return (size_t)(h >> 20) & (fa.cap - 1);
}

static size_t find(const void *p)
{
    size_t i = slot_of(p);

    while (fa.slot[i] && fa.slot[i] != p)
        i = (i + 1) & (fa.cap - 1);
    return i;
}

static void set_put(void *p);

static void grow(void)
{
    void **old = fa.slot;
    size_t ocap = fa.cap;

    fa.cap = ocap ? ocap * 2 : 1024;
    fa.slot = __real_calloc(fa.cap, sizeof *fa.slot);
    if (!fa.slot) {
        fprintf(stderr, "fail_alloc: out of memory for the live set\n");
        abort(); /* test support, not library code */
    }
    fa.live = 0;
    for (size_t i = 0; i < ocap; i++)
        if (old[i])
            set_put(old[i]);
    __real_free(old);
}

static void set_put(void *p)
{
    size_t i;

    if (2 * (fa.live + 1) > fa.cap)
        grow();
    i = find(p);
    if (!fa.slot[i]) {
        fa.slot[i] = p;
        fa.live++;
    }
}

/* Removes p; false if it was not there. */
static bool set_take(const void *p)
{
    size_t i, j;

    if (!fa.cap || !fa.slot[i = find(p)])
        return false;
    fa.slot[i] = NULL;
    fa.live--;
    for (j = (i + 1) & (fa.cap - 1); fa.slot[j]; j = (j + 1) & (fa.cap - 1)) {
        void *q = fa.slot[j];

        fa.slot[j] = NULL;
        fa.slot[find(q)] = q;
    }
    return true;
}

/* ---- Counting and failing ---- */

/* Numbers one allocation; true when it must fail. */
static bool fail_now(void)
{
    long n;
    bool fail;

    if (!fa.recording || fa.paused)
        return false;
    n = fa.count++;
    fail = fa.fail_at >= 0 &&
           (fa.mode == FA_ONCE ? n == fa.fail_at : n >= fa.fail_at);
    if (fail) {
        fa.failed++;
        errno = ENOMEM;
    }
    return fail;
}

static void *track(void *p)
{
    if (p && fa.recording)
        set_put(p);
    return p;
}

void *__wrap_malloc(size_t size)
{
    return fail_now() ? NULL : track(__real_malloc(size));
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : track(__real_calloc(n, size));
}

void *__wrap_realloc(void *p, size_t size)
{
    void *q;
    bool tracked;

    if (!p)
        return __wrap_malloc(size);
    if (fail_now())
        return NULL;
    tracked = set_take(p);
    q = __real_realloc(p, size);
    if (!q && tracked)
        set_put(p); /* still the caller's */
    return tracked ? track(q) : q;
}

void __wrap_free(void *p)
{
    if (p)
        set_take(p);
    __real_free(p);
}

/* A counted copy of the len bytes at s, NUL-terminated. */
static char *copy(const char *s, size_t len)
{
    char *d = __wrap_malloc(len + 1);

    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

char *__wrap_strndup(const char *s, size_t n)
{
    return copy(s, strnlen(s, n));
}
char *__wrap_strdup(const char *s)
{
    return copy(s, strlen(s));
}

void *fa_mem_alloc(size_t size, void *ud)
{
    (void)ud;
    return __wrap_malloc(size);
}

void fa_mem_free(void *p, void *ud)
{
    (void)ud;
    __wrap_free(p);
}

void *fa_mem_realloc(void *p, size_t size, void *ud)
{
    (void)ud;
    return __wrap_realloc(p, size);
}

/* ---- Runs ---- */

void fa_begin(long fail_at, enum fa_mode mode)
{
    if (fa.cap)
        memset(fa.slot, 0, fa.cap * sizeof *fa.slot);
    fa.live = 0;
    fa.count = fa.failed = 0;
    fa.index = fa.fail_at = fail_at;
    fa.mode = mode;
    fa.recording = true;
    fa.paused = false;
}

void fa_stop_failing(void)
{
    fa.fail_at = -1;
}

void fa_pause(bool on)
{
    fa.paused = on;
}

void fa_end(void)
{
    fa.recording = false;
    fa.fail_at = -1;
}

long fa_count(void)
{
    return fa.count;
}
long fa_failed(void)
{
    return fa.failed;
}
size_t fa_live(void)
{
    return fa.live;
}
long fa_at(void)
{
    return fa.index;
}

bool fa_failing(void)
{
    return fa.fail_at >= 0 && (fa.mode == FA_FROM || fa.count <= fa.fail_at);
}

/* One run failing index n; true when an allocation failed. */
static bool run_one(const char *name, fa_scenario s, void *ud, long n,
                    enum fa_mode mode, bool may_miss)
{
    size_t live;
    long failed;

    fa_begin(n, mode);
    s(ud);
    live = fa_live();
    failed = fa_failed();
    fa_end();
    cr_assert_eq(live, 0, "%s: %zu blocks leaked with allocation %ld failing",
                 name, live, n);
    cr_assert(may_miss || failed >= 1,
              "%s: allocation %ld was never "
              "reached",
              name, n);
    return failed > 0;
}

/* Runs failing index n until a run reaches it, FA_TRIES times at most
 * when the plan may miss (once otherwise); true when one did. */
static bool reach(const char *name, fa_scenario s, void *ud, long n,
                  enum fa_mode mode, bool may_miss)
{
    for (int t = 0; t < (may_miss ? FA_TRIES : 1); t++)
        if (run_one(name, s, ud, n, mode, may_miss))
            return true;
    return false;
}

/* Appends n to a list of indices in buf ("3, 17, 40"). */
static void note(char *buf, size_t len, long n)
{
    size_t used = strlen(buf);

    if (used + 24 < len)
        snprintf(buf + used, len - used, "%s%ld", used ? ", " : "", n);
    else if (used + 4 < len && strcmp(buf + used - 3, "..."))
        snprintf(buf + used, len - used, "...");
}

static long next_index(const struct fa_plan *plan, long n)
{
    return n + 1 < plan->all || !plan->stride ? n + 1 : n + plan->stride;
}

/* The indices a plan tries out of count, in words. */
static const char *describe(const struct fa_plan *plan, long count, char *buf,
                            size_t len)
{
    if (!plan->stride || plan->stride == 1 || plan->all >= count)
        snprintf(buf, len, "every one, 0..%ld", count - 1);
    else
        snprintf(buf, len, "0..%ld, then every %ld-th up to %ld", plan->all - 1,
                 plan->stride, count - 1);
    return buf;
}

long fa_exhaust(const char *name, fa_scenario s, void *ud, enum fa_mode mode,
                const struct fa_plan *plan)
{
    const char *only = getenv("FA_INDEX");
    const char *how = mode == FA_ONCE ? "once" : "from";
    long count, tried = 0, reached = 0;
    char missed[512] = "", which[96];

    fa_begin(-1, mode);
    s(ud);
    count = fa_count();
    cr_assert_eq(fa_live(), 0, "%s: %zu blocks leaked without failures", name,
                 fa_live());
    fa_end();
    cr_assert_gt(count, 0,
                 "%s: no allocation was counted (is --wrap in "
                 "effect?)",
                 name);
    if (only) {
        long n = strtol(only, NULL, 10);
        cr_assert(reach(name, s, ud, n, mode, plan->may_miss),
                  "%s (%s): "
                  "allocation %ld never reached in %d runs",
                  name, how, n, FA_TRIES);
        return 1;
    }
    for (long n = 0; n < count; n = next_index(plan, n), tried++)
        if (reach(name, s, ud, n, mode, plan->may_miss))
            reached++;
        else
            note(missed, sizeof missed, n);
    fprintf(stderr,
            "fail_alloc: %s (%s): %ld allocations, %ld indices "
            "tried (%s), %ld reached%s%s\n",
            name, how, count, tried, describe(plan, count, which, sizeof which),
            reached, *missed ? "; never reached: " : "", missed);
    cr_assert_eq(reached, tried,
                 "%s (%s): allocations never reached in %d "
                 "runs each: %s",
                 name, how, FA_TRIES, missed);
    return reached;
}
