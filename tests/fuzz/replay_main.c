/* Replays a fuzz target without libFuzzer (gcc build, part of the normal test suite): every
 * file in the seed directories given as arguments, then seeded mutations of them (bit flips,
 * truncations, splices, byte runs) and purely random inputs. Usage:
 *   replay [--iterations N] [--seed S] [SEED_DIR...]
 * A failure is an abort() inside the target (or a sanitizer report in a sanitized build). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#define MAX_SEEDS 64
#define MAX_LEN 65536

static uint8_t *seeds[MAX_SEEDS];
static size_t seed_len[MAX_SEEDS];
static int n_seeds;

static void load_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: cannot open seed directory %s\n", dir);
        exit(2);
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n_seeds < MAX_SEEDS) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        uint8_t *buf = malloc(MAX_LEN);
        size_t n = fread(buf, 1, MAX_LEN, f);
        fclose(f);
        seeds[n_seeds] = buf;
        seed_len[n_seeds++] = n;
    }
    closedir(d);
}

/* Runs the target on an exact-size copy (so ASan sees reads past the end). */
static void run(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    LLVMFuzzerTestOneInput(copy, len);
    free(copy);
}

int main(int argc, char **argv)
{
    long iterations = 3000;
    rng_state = 1;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc) {
            fprintf(stderr, "usage: %s [--iterations N] [--seed S] [SEED_DIR...]\n", argv[0]);
            return 2;
        }
        if (strcmp(argv[i], "--iterations") == 0)
            iterations = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0)
            rng_state = strtoull(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "usage: %s [--iterations N] [--seed S] [SEED_DIR...]\n", argv[0]);
            return 2;
        }
    }
    for (; i < argc; i++)
        load_dir(argv[i]);
    for (int s = 0; s < n_seeds; s++)
        for (unsigned mode = 0; mode < 64; mode++) { /* every mode byte the targets decode */
            seeds[s][0] = (uint8_t)(seeds[s][0] & 0xC0) | (uint8_t)mode;
            run(seeds[s], seed_len[s]);
        }
    static uint8_t buf[MAX_LEN];
    for (long it = 0; it < iterations; it++) {
        size_t len;
        if (n_seeds > 0 && rng_next() % 4 != 0) {
            int s = (int)(rng_next() % (uint64_t)n_seeds);
            len = seed_len[s];
            memcpy(buf, seeds[s], len);
            switch (rng_next() % 4) {
            case 0: /* bit flips */
                for (int k = 1 + (int)(rng_next() % 4); k > 0 && len > 0; k--) {
                    size_t bit = rng_next() % (8 * len);
                    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                }
                break;
            case 1: /* truncation */
                len = len ? rng_next() % len : 0;
                break;
            case 2: /* a random run of bytes */
                if (len > 1) {
                    size_t at = 1 + rng_next() % (len - 1), n = 1 + rng_next() % 16;
                    for (size_t k = 0; k < n && at + k < len; k++)
                        buf[at + k] = (uint8_t)rng_next();
                }
                break;
            default: /* the mode byte only */
                if (len)
                    buf[0] = (uint8_t)rng_next();
            }
        } else {
            len = rng_next() % 2048;
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)rng_next();
        }
        run(buf, len);
    }
    printf("replay: %d seed files x 64 modes, %ld generated inputs: no failure\n", n_seeds,
           iterations);
    return 0;
}
