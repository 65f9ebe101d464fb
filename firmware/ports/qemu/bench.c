/* lx106 bench under QEMU: runs each integrity primitive once on a fixed input (bench_input.h),
 * checks its result against the host's (bench_expect.h, made at build time by bench_gen.c with
 * BearSSL and zlib) and prints the CCOUNT cycles it took. Under `-icount shift=N` QEMU derives
 * CCOUNT from the instruction count, so a calibration loop of known length first gives CCOUNT
 * per instruction and ci/bench turns the cycles into instructions. Output, one line each:
 *   bench calib insns=N ccount=C
 *   bench NAME bytes=N ccount=C ok|BAD
 * Exit code 3 when every result is right, 1 otherwise. */
#include <stdint.h>
#include <string.h>

#include "bench_expect.h"
#include "bench_input.h"
#include "crc32.h"
#include "inflate.h"
#include "md5.h"
#include "rsa_verify.h"
#include "semihost.h"
#include "sha256.h"

int lx106_main(void);

static uint8_t input[BENCH_LEN], output[BENCH_LEN];
static inflate_state_t inf;
static rsa_public_key_t key;

static inline uint32_t ccount(void)
{
    uint32_t c;
    __asm__ volatile("rsr %0, ccount" : "=a"(c));
    return c;
}

static void puts_(const char *s)
{
    semihost_write(1, s, (uint32_t)strlen(s));
}

static void putu(uint32_t v)
{
    char b[12];
    int i = 11;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    puts_(b + i);
}

static int bad;

static void line(const char *name, uint32_t bytes, uint32_t cycles, int ok)
{
    puts_("bench ");
    puts_(name);
    puts_(" bytes=");
    putu(bytes);
    puts_(" ccount=");
    putu(cycles);
    puts_(ok ? " ok\n" : " BAD\n");
    if (!ok)
        bad = 1;
}

typedef struct {
    uint32_t pos;   /* input read */
    uint32_t total; /* output written */
} gz_src_t;

static int32_t gz_read(void *ctx, uint8_t *buf, uint32_t cap)
{
    gz_src_t *s = ctx;
    uint32_t n = (uint32_t)sizeof bench_gz - s->pos;
    if (n > cap)
        n = cap;
    memcpy(buf, bench_gz + s->pos, n);
    s->pos += n;
    return (int32_t)n;
}

/* The output goes to `output` (the bench checks its CRC); more than BENCH_LEN bytes stop it. */
static int gz_write(void *ctx, const uint8_t *data, uint32_t len)
{
    gz_src_t *s = ctx;
    if (len > BENCH_LEN - s->total)
        return 1;
    memcpy(output + s->total, data, len);
    s->total += len;
    return 0;
}

#define CALIB_ITERS 100000u

int lx106_main(void)
{
    /* Calibration: CALIB_ITERS iterations of two instructions (addi, bnez). */
    uint32_t n = CALIB_ITERS, t0 = ccount();
    __asm__ volatile("1: addi %0, %0, -1\n bnez %0, 1b" : "+a"(n));
    uint32_t t1 = ccount();
    puts_("bench calib insns=");
    putu(2u * CALIB_ITERS);
    puts_(" ccount=");
    putu(t1 - t0);
    puts_("\n");

    bench_fill(input, BENCH_LEN);
    uint8_t d[32];

    md5_ctx_t m;
    t0 = ccount();
    md5_init(&m);
    md5_update(&m, input, BENCH_LEN);
    md5_final(&m, d);
    t1 = ccount();
    line("md5", BENCH_LEN, t1 - t0, memcmp(d, expect_md5, 16) == 0);

    sha256_ctx_t s;
    t0 = ccount();
    sha256_init(&s);
    sha256_update(&s, input, BENCH_LEN);
    sha256_final(&s, d);
    t1 = ccount();
    line("sha256", BENCH_LEN, t1 - t0, memcmp(d, expect_sha256, 32) == 0);

    t0 = ccount();
    uint32_t c = crc32_gzip(0, input, BENCH_LEN);
    t1 = ccount();
    line("crc32-gzip", BENCH_LEN, t1 - t0, c == EXPECT_CRC32_GZIP);

    t0 = ccount();
    c = crc32_mpeg2(CRC32_MPEG2_INIT, input, BENCH_LEN);
    t1 = ccount();
    line("crc32-mpeg2", BENCH_LEN, t1 - t0, c == EXPECT_CRC32_MPEG2);

    gz_src_t src = {0, 0};
    inflate_status_t st;
    t0 = ccount();
    st = inflate_run(&inf, INFLATE_FORMAT_GZIP, gz_read, gz_write, &src);
    t1 = ccount();
    /* The output's CRC (verified by the inflater against the gzip trailer, and here against
     * zlib's CRC of the text) outside the timing. */
    line("inflate", BENCH_LEN, t1 - t0,
         st == INFLATE_DONE && src.total == BENCH_LEN &&
             crc32_gzip(0, output, BENCH_LEN) == EXPECT_TEXT_CRC32);

    memcpy(key.n, rsa2048_n, sizeof rsa2048_n);
    key.n_len = sizeof rsa2048_n;
    memcpy(key.e, rsa2048_e, sizeof rsa2048_e);
    key.e_len = sizeof rsa2048_e;
    t0 = ccount();
    rsa_status_t r = rsa_verify_sha256(&key, rsa2048_sig, sizeof rsa2048_sig, expect_sha256, true);
    t1 = ccount();
    /* and a wrong digest must be rejected */
    uint8_t wrong[32];
    memcpy(wrong, expect_sha256, 32);
    wrong[31] ^= 1;
    rsa_status_t r2 = rsa_verify_sha256(&key, rsa2048_sig, sizeof rsa2048_sig, wrong, true);
    line("rsa2048-verify", 0, t1 - t0, r == RSA_OK && r2 == RSA_ERR_MISMATCH);

    puts_(bad ? "bench: BAD\n" : "bench: all results match the host's\n");
    return bad ? 1 : 3;
}
