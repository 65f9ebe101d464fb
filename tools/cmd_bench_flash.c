/* otasim bench flash: `otasim flash` writing an image (default 1 MiB, seeded pseudo-random)
 * into `otasim romloader --baud B` over a pty, with the loader's line-rate model on (10 bits a
 * byte at B, real time). Per rate: wall time, the line-rate limit (the image's bytes alone, one
 * way: size x 10 / B; framing, headers and replies come on top) and their ratio. 115200 is the
 * ROM path (0x400 blocks); higher rates use the fake stub (CHANGE_BAUDRATE, 0x4000 blocks,
 * MD5 verify). The result is checked byte for byte against the image. Both sides are this
 * process's children (fork; no exec). */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static pid_t run_child(int (*fn)(int, char **), char **argv)
{
    fflush(stdout);
    fflush(stderr);
    pid_t p = fork();
    if (p == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        int argc = 0;
        while (argv[argc])
            argc++;
        _exit(fn(argc, argv));
    }
    return p;
}

static int wait_rc(pid_t p)
{
    int st;
    if (waitpid(p, &st, 0) != p)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int one_rate(const char *dir, const char *image, uint32_t size, unsigned baud,
                    const uint8_t *data)
{
    char tty[300], flash[300], bs[16], sz[16];
    snprintf(tty, sizeof(tty), "%s/tty", dir);
    snprintf(flash, sizeof(flash), "%s/flash-%u.bin", dir, baud);
    snprintf(bs, sizeof(bs), "%u", baud);
    uint32_t chip = 1u << 20;
    while (chip < size + 0x1000u)
        chip <<= 1;
    snprintf(sz, sizeof(sz), "%u", chip);
    unlink(tty);
    char *largv[] = {"romloader", "--pty",  "--image", flash, "--size",           sz,
                     "--baud",    "115200", "--link",  tty,   "--exit-after-end", NULL};
    pid_t l = run_child(cmd_romloader, largv);
    for (int i = 0; i < 400 && access(tty, F_OK); i++)
        usleep(5000);
    bool stub = baud != 115200;
    char *fargv[16] = {"flash", "--port", tty, "--quiet", "--baud", bs};
    int n = 6;
    if (stub) {
        fargv[n++] = "--stub";
        fargv[n++] = "fake";
        fargv[n++] = "--verify";
    }
    fargv[n++] = "0x0";
    fargv[n++] = (char *)image;
    fargv[n] = NULL;
    double t0 = now_s();
    int rc = wait_rc(run_child(cmd_flash, fargv));
    double t = now_s() - t0;
    if (rc != 0) {
        kill(l, SIGTERM);
        wait_rc(l);
        fprintf(stderr, "bench flash: otasim flash failed at %u baud (exit %d)\n", baud, rc);
        return 1;
    }
    if (wait_rc(l) != 0) {
        fprintf(stderr, "bench flash: the romloader failed at %u baud\n", baud);
        return 1;
    }
    FILE *f = fopen(flash, "rb");
    uint8_t *got = malloc(size);
    bool same = f && fread(got, 1, size, f) == size && memcmp(got, data, size) == 0;
    if (f)
        fclose(f);
    free(got);
    double limit = (double)size * 10.0 / baud;
    printf("  %7u baud  %-28s  %7.2f s   limit %7.2f s   ratio %.3f   %s\n", baud,
           stub ? "fake stub, 0x4000 blocks, MD5" : "ROM, 0x400 blocks", t, limit, t / limit,
           same ? "byte-identical" : "MISMATCH");
    return same ? 0 : 1;
}

int cmd_bench_flash(int argc, char **argv)
{
    uint32_t size = 1u << 20;
    unsigned long seed = 1;
    unsigned rates[4] = {115200, 921600};
    unsigned nrates = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc)
            size = (uint32_t)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--baud") && i + 1 < argc) {
            rates[0] = (unsigned)strtoul(argv[++i], NULL, 10);
            nrates = 1;
        } else {
            fprintf(stderr, "usage: otasim bench flash [--size BYTES] [--seed N] [--baud B]\n"
                            "  otasim flash into otasim romloader over a pty, line rate honoured;\n"
                            "  default 1 MiB at 115200 (ROM) and 921600 (fake stub)\n");
            return 2;
        }
    }
    if (size == 0 || size > (8u << 20)) {
        fprintf(stderr, "bench flash: --size must be 1..8 MiB\n");
        return 2;
    }
    char dir[] = "/tmp/otasim-bench-flash-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench flash: mkdtemp");
        return 1;
    }
    uint8_t *data = malloc(size);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (uint32_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data[i] = (uint8_t)x;
    }
    char image[300];
    snprintf(image, sizeof(image), "%s/image.bin", dir);
    FILE *f = fopen(image, "wb");
    if (!f || fwrite(data, 1, size, f) != size) {
        perror("bench flash: image");
        return 1;
    }
    fclose(f);
    printf("bench flash: %u-byte image, seed %lu, line rate honoured (10 bits/byte)\n", size, seed);
    int rc = 0;
    for (unsigned i = 0; i < nrates && !rc; i++)
        rc = one_rate(dir, image, size, rates[i], data);
    free(data);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench flash: cannot remove %s\n", dir);
    printf("bench flash: %s\n", rc ? "FAIL" : "PASS");
    return rc;
}
