/* replay.c -- runs a libFuzzer harness without libFuzzer, for make check.
 *
 * Linked with one tests/fuzz/fuzz_NAME.c, it feeds LLVMFuzzerTestOneInput
 * every file of $OB_FUZZ_CORPUS/fuzz_NAME/, then a bounded number of
 * seeded mutations of them (bit flips, truncations, splices, random
 * bytes), so every check run explores a little beyond the corpus.  The
 * seed is fixed and printed; OB_FUZZ_SEED (or OB_SEED, tests/seed.h) and
 * OB_FUZZ_RUNS override the defaults.  Crashes are the sanitizers' to
 * report: this program only feeds.  Built without them (a plain
 * configure, make distcheck), a replay fails only on a crash, and says
 * so. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../seed.h"
#include "ut_rand.h"

#ifdef __SANITIZE_ADDRESS__
#define REPLAY_CHECKS "under AddressSanitizer and UBSan"
#else
#define REPLAY_CHECKS "without sanitizers: only a crash fails it"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
    uint8_t *data;
    size_t size;
};

static uint64_t rng_state;

static int read_file(const char *path, struct input *in)
{
    FILE *f = fopen(path, "rb");
    long n;

    if (!f)
        return -1;
    if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return -1;
    }
    in->size = (size_t)n;
    in->data = malloc(in->size ? in->size : 1);
    if (!in->data || fread(in->data, 1, in->size, f) != in->size) {
        free(in->data);
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

static size_t load_corpus(const char *dir, struct input **out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0, cap = 0;
    char path[4096];

    if (!d) {
        fprintf(stderr, "replay: cannot open corpus %s: %s\n", dir,
                strerror(errno));
        exit(1);
    }
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            *out = realloc(*out, cap * sizeof **out);
            if (!*out)
                exit(1);
        }
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >=
            sizeof path)
            continue;
        if (read_file(path, &(*out)[n]) == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* One mutation of a corpus entry into buf; returns its length. */
static size_t mutate(const struct input *c, size_t n, uint8_t *buf, size_t cap)
{
    const struct input *a = &c[ut_splitmix64(&rng_state) % n],
                       *b = &c[ut_splitmix64(&rng_state) % n];
    size_t len = a->size < cap ? a->size : cap, i;

    memcpy(buf, a->data, len);
    switch (ut_splitmix64(&rng_state) % 4) {
    case 0: /* flip a few bits */
        for (i = 0; len && i < 1 + ut_splitmix64(&rng_state) % 4; i++)
            buf[ut_splitmix64(&rng_state) % len] ^=
                (uint8_t)(1u << (ut_splitmix64(&rng_state) % 8));
        return len;
    case 1: /* truncate */ return len ? ut_splitmix64(&rng_state) % len : 0;
    case 2: { /* splice the tail of another entry */
        size_t cut = len ? ut_splitmix64(&rng_state) % len : 0;
        size_t from = b->size ? ut_splitmix64(&rng_state) % b->size : 0;
        size_t more = b->size - from;
        if (cut + more > cap)
            more = cap - cut;
        memcpy(buf + cut, b->data + from, more);
        return cut + more;
    }
    default: /* overwrite a few bytes with random values */
        for (i = 0; len && i < 1 + ut_splitmix64(&rng_state) % 8; i++)
            buf[ut_splitmix64(&rng_state) % len] =
                (uint8_t)ut_splitmix64(&rng_state);
        return len;
    }
}

int main(int argc, char **argv)
{
    const char *root = getenv("OB_FUZZ_CORPUS");
    const char *name =
        strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    const char *runs_s = getenv("OB_FUZZ_RUNS");
    char dir[4096];
    struct input *corpus = NULL;
    size_t n, i, runs = runs_s ? strtoul(runs_s, NULL, 10) : 20000;
    static uint8_t buf[1 << 16];

    (void)argc;
    if (!strncmp(name, "lt-", 3))
        name += 3;
    snprintf(dir, sizeof dir, "%s/%s", root ? root : "tests/fuzz/corpus", name);
    n = load_corpus(dir, &corpus);
    if (n == 0) {
        fprintf(stderr, "replay: empty corpus %s\n", dir);
        return 1;
    }
    rng_state = ob_fixed_seed("OB_FUZZ_SEED", 0x0b5eed);
    printf("replay %s: %zu corpus files, %zu mutations, " REPLAY_CHECKS "\n",
           name, n, runs);
    for (i = 0; i < n; i++)
        LLVMFuzzerTestOneInput(corpus[i].data, corpus[i].size);
    for (i = 0; i < runs; i++)
        LLVMFuzzerTestOneInput(buf, mutate(corpus, n, buf, sizeof buf));
    for (i = 0; i < n; i++)
        free(corpus[i].data);
    free(corpus);
    return 0;
}
