/* otasim demo: a short tour of the simulated flash (flashsim): a program, a torn program and a
 * torn erase from one seed, with hexdumps and the fault log. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "flashsim.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: otasim demo [--seed N] [--out FILE]\n\n"
                 "Simulates a 1 MiB ESP8266 SPI flash: programs a page, cuts power inside a\n"
                 "page program and inside a sector erase (torn, from the seed), and prints\n"
                 "hexdumps and the fault log.\n\n"
                 "  --seed N    seed of every random choice (default 7)\n"
                 "  --out FILE  save the raw flash image (as esptool read_flash would dump it)\n"
                 "  --help      this text\n");
}

static void hexdump(const uint8_t *p, uint32_t addr, uint32_t len)
{
    for (uint32_t i = 0; i < len; i += 16) {
        printf("   %06x ", addr + i);
        for (uint32_t j = 0; j < 16; j++)
            printf(" %02x", p[i + j]);
        printf("  |");
        for (uint32_t j = 0; j < 16; j++)
            putchar(p[i + j] >= 0x20 && p[i + j] < 0x7F ? p[i + j] : '.');
        printf("|\n");
    }
}

static uint32_t popcount(const uint8_t *p, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++)
        c += (uint32_t)__builtin_popcount(p[i]);
    return c;
}

static bool parse_seed(const char *s, uint64_t *seed)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || *s == '-')
        return false;
    *seed = v;
    return true;
}

static int run(uint64_t seed, const char *out)
{
    flashsim_config_t cfg = {.size = 1u << 20, .seed = seed};
    flashsim_t *fs = flashsim_new(&cfg);
    char plan_text[96], err[96];
    snprintf(plan_text, sizeof plan_text, "seed=%llu;cut@op=1:torn;cut@op=2:torn:weak",
             (unsigned long long)seed);
    flashsim_plan_t *plan = flashsim_plan_parse(plan_text, err, sizeof err);
    if (!plan || flashsim_set_plan(fs, plan, 0) != FLASHSIM_OK) {
        fprintf(stderr, "otasim demo: internal plan error: %s\n", err);
        flashsim_plan_free(plan);
        flashsim_free(fs);
        return 1;
    }
    flashsim_plan_free(plan);
    printf("otasim demo: simulated 1 MiB ESP8266 flash, fault plan \"%s\"\n\n", plan_text);

    static uint8_t page[256], buf[FLASHSIM_SECTOR_SIZE], again[FLASHSIM_SECTOR_SIZE];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t) "otasim flashsim demo - NOR flash "[i % 33];
    flashsim_status_t st = flashsim_program(fs, 0x1000, buf, sizeof buf);
    printf("op 0: program sector 1 (4096 bytes of text at 0x001000) -> %s\n",
           st == FLASHSIM_OK ? "ok" : "failed");
    flashsim_read(fs, 0x1000, buf, 32);
    hexdump(buf, 0x1000, 32);

    memset(page, 0x00, sizeof page);
    st = flashsim_program(fs, 0x2000, page, sizeof page);
    flashsim_peek(fs, 0x2000, buf, sizeof page);
    printf("\nop 1: program 256 zero bytes at 0x002000 -> %s\n"
           "      torn program: %u of the 2048 bits it would clear did\n",
           st == FLASHSIM_ERR_POWER ? "power cut inside the page" : "unexpected result",
           2048 - popcount(buf, 256));
    hexdump(buf, 0x2000, 32);
    flashsim_warm_reset(fs);

    st = flashsim_erase_sector(fs, 1);
    flashsim_power_loss(fs);
    flashsim_read(fs, 0x1000, buf, sizeof buf);
    flashsim_read(fs, 0x1000, again, sizeof again);
    uint32_t differ = 0;
    for (size_t i = 0; i < sizeof buf; i++)
        differ += buf[i] != again[i];
    printf("\nop 2: erase sector 1 (0x001000) -> %s\n"
           "      torn erase after power loss: %u of 32768 bits read 1; weak bits make two\n"
           "      reads differ in %u bytes\n",
           st == FLASHSIM_ERR_POWER ? "power cut inside the erase" : "unexpected result",
           popcount(buf, sizeof buf), differ);
    hexdump(buf, 0x1000, 32);
    printf("   second read:\n");
    hexdump(again, 0x1000, 32);

    size_t n;
    const flashsim_fault_event_t *log = flashsim_fault_log(fs, &n);
    printf("\nfault log (%zu events, %zu plan items never fired):\n", n,
           flashsim_faults_unfired(fs));
    for (size_t i = 0; i < n; i++) {
        char line[160];
        flashsim_fault_event_format(&log[i], line, sizeof line);
        printf("  %s\n", line);
    }
    printf("simulated flash time: %.3f ms over %u operations\n", (double)flashsim_time_ns(fs) / 1e6,
           flashsim_op_count(fs));
    int rc = 0;
    if (out) {
        if (flashsim_image_save(fs, out, 0, 0) == FLASHSIM_OK) {
            printf("raw image saved to %s\n", out);
        } else {
            fprintf(stderr, "otasim demo: cannot write %s: %s\n", out, strerror(errno));
            rc = 1;
        }
    }
    flashsim_free(fs);
    return rc;
}

int cmd_demo(int argc, char **argv)
{
    uint64_t seed = 7;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--seed") && i + 1 < argc) {
            if (!parse_seed(argv[++i], &seed)) {
                fprintf(stderr, "otasim demo: --seed needs a non-negative number, not '%s'\n\n",
                        argv[i]);
                usage(stderr);
                return 2;
            }
        } else if (!strcmp(a, "--out") && i + 1 < argc) {
            out = argv[++i];
        } else {
            fprintf(stderr, "otasim demo: unexpected argument '%s'%s\n\n", a,
                    !strcmp(a, "--seed") || !strcmp(a, "--out") ? " (needs a value)" : "");
            usage(stderr);
            return 2;
        }
    }
    return run(seed, out);
}
