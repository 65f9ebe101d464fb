/* flashsim-bench: the figures BENCHMARKS.md records (a command, not a test).
 *   program throughput (programmed bytes/s), against memcpy of the same bytes;
 *   snapshot of an unchanged, fully written 4 MiB flash;
 *   restore after 10 changed sectors, against copying the 4 MiB;
 *   peak memory of 10,000 snapshots of a 4 MiB flash that differ by one sector each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "flashsim.h"

#define FLASH (4u << 20)
#define NSECT (FLASH / FLASHSIM_SECTOR_SIZE)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static flashsim_t *full_device(void)
{
    flashsim_config_t cfg = {.size = FLASH, .seed = 1};
    flashsim_t *fs = flashsim_new(&cfg);
    static uint8_t sector[FLASHSIM_SECTOR_SIZE];
    for (uint32_t s = 0; s < NSECT; s++) {
        memset(sector, (int)(s & 0x7F), sizeof sector);
        flashsim_poke(fs, s * FLASHSIM_SECTOR_SIZE, sector, sizeof sector);
    }
    return fs;
}

static volatile uint8_t sink;

/* Make the compiler assume p's memory is used, so baseline copies are not optimised away. */
static void keep(void *p)
{
    __asm__ volatile("" : : "r"(p) : "memory");
}

static void bench_program(void)
{
    flashsim_config_t cfg = {.size = FLASH, .seed = 1};
    flashsim_t *fs = flashsim_new(&cfg);
    static uint8_t data[FLASHSIM_SECTOR_SIZE];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    const int rounds = 256;
    double spent = 0;
    for (int r = 0; r < rounds; r++) {
        for (uint32_t b = 0; b < FLASH / FLASHSIM_BLOCK_SIZE; b++)
            flashsim_erase_block(fs, b);
        flashsim_trace_clear(fs);
        double t0 = now();
        for (uint32_t s = 0; s < NSECT; s++)
            flashsim_program(fs, s * FLASHSIM_SECTOR_SIZE, data, sizeof data);
        spent += now() - t0;
    }
    double bytes = (double)FLASH * rounds;

    /* baseline: memcpy of the same bytes, 4 KiB at a time, into a 4 MiB buffer */
    uint8_t *mem = malloc(FLASH);
    memset(mem, 0xFF, FLASH);
    double base = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (uint32_t s = 0; s < NSECT; s++)
            memcpy(mem + s * FLASHSIM_SECTOR_SIZE, data, sizeof data);
        keep(mem);
        base += now() - t0;
        sink = mem[r];
    }
    free(mem);
    printf("program throughput: %.2f GB/s programmed (4 KiB programs, trace on); "
           "memcpy of the same bytes %.2f GB/s (program takes %.1fx memcpy's time)\n",
           bytes / spent / 1e9, bytes / base / 1e9, spent / base);
    printf("  simulated time of that work: %.1f s per 4 MiB (typical DIO 40 MHz profile)\n",
           (double)flashsim_time_ns(fs) / 1e9 / rounds);
    flashsim_free(fs);
}

static void bench_snapshot_and_restore(void)
{
    flashsim_t *fs = full_device();
    enum { N = 10000 };
    static flashsim_snapshot_t *snaps[N];
    double t0 = now();
    for (int i = 0; i < N; i++)
        snaps[i] = flashsim_snapshot(fs);
    double snap_us = (now() - t0) / N * 1e6;
    for (int i = 0; i < N; i++)
        flashsim_snapshot_unref(snaps[i]);

    uint8_t *copy = malloc(FLASH), *src = malloc(FLASH);
    flashsim_peek(fs, 0, src, FLASH);
    t0 = now();
    for (int i = 0; i < 20; i++) {
        memcpy(copy, src, FLASH);
        keep(copy);
        sink = copy[i];
    }
    double copy_us = (now() - t0) / 20 * 1e6;
    printf("snapshot of an unchanged 4 MiB flash (all sectors written): %.3f us; "
           "copying 4 MiB: %.0f us (ratio %.5f)\n",
           snap_us, copy_us, snap_us / copy_us);

    flashsim_snapshot_t *base = flashsim_snapshot(fs);
    const int rounds = 20000;
    double spent = 0;
    uint32_t zero = 0;
    for (int r = 0; r < rounds; r++) {
        for (uint32_t k = 0; k < 10; k++) { /* 10 sectors spread over the chip */
            uint32_t s = (k * 101 + (uint32_t)r) % NSECT;
            flashsim_program(fs, s * FLASHSIM_SECTOR_SIZE + 4 * (uint32_t)(r % 1024), &zero, 4);
        }
        t0 = now();
        flashsim_restore(fs, base);
        spent += now() - t0;
    }
    uint32_t diff[1];
    flashsim_snapshot_t *after = flashsim_snapshot(fs);
    long changed = flashsim_snapshot_diff(base, after, diff, 1);
    printf("restore after 10 changed sectors: %.2f us (%s); copying 4 MiB: %.0f us (ratio %.4f)\n",
           spent / rounds * 1e6, changed == 0 ? "state verified equal" : "MISMATCH", copy_us,
           spent / rounds * 1e6 / copy_us);
    flashsim_snapshot_unref(after);
    flashsim_snapshot_unref(base);
    free(copy);
    free(src);
    flashsim_free(fs);
}

static long maxrss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* In a child process, so that the peak is this test's own. */
static void bench_memory(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        flashsim_t *fs = full_device();
        flashsim_trace_enable(fs, false);
        long before = maxrss_kib();
        enum { N = 10000 };
        flashsim_snapshot_t **snaps = malloc(N * sizeof *snaps);
        uint32_t zero = 0;
        for (int i = 0; i < N; i++) {
            uint32_t s = (uint32_t)i % NSECT, word = (uint32_t)i / NSECT;
            flashsim_program(fs, s * FLASHSIM_SECTOR_SIZE + 4 * word, &zero, 4);
            snaps[i] = flashsim_snapshot(fs);
        }
        long peak = maxrss_kib();
        printf("10,000 snapshots of 4 MiB, one sector apart: peak RSS %.1f MiB "
               "(%.1f MiB above the device alone: %.1f KiB per snapshot; full copies would "
               "take %.0f MiB)\n",
               peak / 1024.0, (peak - before) / 1024.0, (double)(peak - before) / N, (double)N * 4);
        for (int i = 0; i < N; i++)
            flashsim_snapshot_unref(snaps[i]);
        free(snaps);
        flashsim_free(fs);
        exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
}

typedef struct {
    flashsim_snapshot_t **snaps;
    size_t n;
} record_t;

static void snapshot_every_step(flashsim_t *fs, const flashsim_hook_event_t *ev, void *ctx)
{
    (void)ev;
    record_t *r = ctx;
    r->snaps[r->n++] = flashsim_snapshot(fs);
}

/* What a sweep's recording run costs: an update of 1 MiB (256 sector erases, 4 KiB programs)
 * with a snapshot at every step and after every operation, against the same run without. */
static void bench_record(void)
{
    static uint8_t data[FLASHSIM_SECTOR_SIZE];
    memset(data, 0x3C, sizeof data);
    double t[2];
    size_t kept = 0;
    for (int with = 0; with < 2; with++) {
        flashsim_t *fs = full_device();
        record_t r = {.snaps = malloc(20000 * sizeof(flashsim_snapshot_t *))};
        if (with)
            flashsim_set_hook(fs, snapshot_every_step, &r);
        double t0 = now();
        for (uint32_t s = 256; s < 512; s++) {
            flashsim_erase_sector(fs, s);
            flashsim_program(fs, s * FLASHSIM_SECTOR_SIZE, data, sizeof data);
        }
        t[with] = now() - t0;
        kept = r.n;
        for (size_t i = 0; i < r.n; i++)
            flashsim_snapshot_unref(r.snaps[i]);
        free(r.snaps);
        flashsim_free(fs);
    }
    printf("recording a 1 MiB update with a snapshot at each of its %zu steps: %.1f ms "
           "(%.1f ms without snapshots)\n",
           kept, t[1] * 1e3, t[0] * 1e3);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: %s\n(runs the flashsim benchmarks; takes no options)\n", argv[0]);
        return 2;
    }
    bench_program();
    bench_snapshot_and_restore();
    bench_record();
    bench_memory();
    return 0;
}
