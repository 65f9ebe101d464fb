/* otasim bench primitives: host throughput of the firmware's integrity primitives (MD5, SHA-256,
 * CRC-32 as gzip uses it, CRC-32/MPEG-2, inflate) and RSA PKCS#1 v1.5 verify time, each against
 * BearSSL or zlib on the same seeded input in the same run, with the ratio. While timing, every
 * result is compared with the library's; any difference prints a MISMATCH line and the command
 * exits 1. `--break NAME` perturbs our result of one primitive, so a test can check that the
 * self-check fires. The machine may be shared: compare the ratios, not the absolute figures. */
#include <bearssl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "commands.h"
#include "crc32.h"
#include "inflate.h"
#include "md5.h"
#include "rsa_verify.h"
#include "sha256.h"

typedef struct {
    unsigned long long seed;
    size_t size;
    double min_time; /* seconds per measurement */
    bool json, rsa4096;
    const char *brk; /* primitive whose result is perturbed (self-check test) */
    int mismatches;
    int printed;
} bench_opts_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state;
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Runs fn(ctx) until min_time has passed (at least twice); returns seconds per call. */
typedef void (*bench_fn)(void *ctx);
static double time_per_call(bench_fn fn, void *ctx, double min_time)
{
    fn(ctx); /* warm-up */
    unsigned long n = 0;
    double t0 = now_s(), t;
    do {
        fn(ctx);
        n++;
        t = now_s() - t0;
    } while (t < min_time || n < 2);
    return t / (double)n;
}

static void report(bench_opts_t *o, const char *name, const char *lib, double ours_s, double lib_s,
                   size_t bytes, bool ok)
{
    if (o->json) {
        printf("%s\n    {\"name\": \"%s\", \"baseline\": \"%s\", \"bytes\": %zu, "
               "\"ours_s\": %.9g, \"baseline_s\": %.9g, \"ratio\": %.4f, \"match\": %s}",
               o->printed ? "," : "", name, lib, bytes, ours_s, lib_s, ours_s / lib_s,
               ok ? "true" : "false");
    } else if (bytes) {
        printf("%-14s %10.1f MB/s  %-16s %10.1f MB/s  ratio %5.2fx time  %s\n", name,
               (double)bytes / ours_s / 1e6, lib, (double)bytes / lib_s / 1e6, ours_s / lib_s,
               ok ? "match" : "MISMATCH");
    } else {
        printf("%-14s %10.1f us      %-16s %10.1f us      ratio %5.2fx time  %s\n", name,
               ours_s * 1e6, lib, lib_s * 1e6, ours_s / lib_s, ok ? "match" : "MISMATCH");
    }
    o->printed++;
    if (!ok) {
        o->mismatches++;
        if (o->json)
            fprintf(stderr, "otasim bench primitives: MISMATCH in %s\n", name);
    }
}

static bool broken(const bench_opts_t *o, const char *name)
{
    return o->brk && !strcmp(o->brk, name);
}

/* ---- hashes and CRCs ---- */

typedef struct {
    const uint8_t *in;
    size_t len;
    uint8_t out[32];
    uint32_t crc;
} hash_job_t;

static void ours_md5(void *c)
{
    hash_job_t *j = c;
    md5_ctx_t m;
    md5_init(&m);
    md5_update(&m, j->in, j->len);
    md5_final(&m, j->out);
}
static void lib_md5(void *c)
{
    hash_job_t *j = c;
    br_md5_context m;
    br_md5_init(&m);
    br_md5_update(&m, j->in, j->len);
    br_md5_out(&m, j->out);
}
static void ours_sha256(void *c)
{
    hash_job_t *j = c;
    sha256_ctx_t s;
    sha256_init(&s);
    sha256_update(&s, j->in, j->len);
    sha256_final(&s, j->out);
}
static void lib_sha256(void *c)
{
    hash_job_t *j = c;
    br_sha256_context s;
    br_sha256_init(&s);
    br_sha256_update(&s, j->in, j->len);
    br_sha256_out(&s, j->out);
}
static void ours_crc_gzip(void *c)
{
    hash_job_t *j = c;
    j->crc = crc32_gzip(0, j->in, j->len);
}
static void lib_crc_gzip(void *c)
{
    hash_job_t *j = c;
    j->crc = (uint32_t)crc32(0, j->in, (uInt)j->len);
}
static void ours_crc_mpeg2(void *c)
{
    hash_job_t *j = c;
    j->crc = crc32_mpeg2(CRC32_MPEG2_INIT, j->in, j->len);
}
/* The baseline for CRC-32/MPEG-2 (no library has it): zlib's reflected CRC-32 over the
 * bit-reversed input equals the bit-reversed, complemented MPEG-2 CRC of the input (same
 * polynomial, same all-ones start); the input is reversed once outside the timing. */
static uint8_t *mpeg2_reversed;
static uint32_t rev32(uint32_t x)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++, x >>= 1)
        r = (r << 1) | (x & 1u);
    return r;
}
static void lib_crc_mpeg2(void *c)
{
    hash_job_t *j = c;
    j->crc = rev32(~(uint32_t)crc32(0, mpeg2_reversed, (uInt)j->len));
}

static void bench_hash(bench_opts_t *o, const char *name, const char *lib, bench_fn ours,
                       bench_fn theirs, const uint8_t *in, size_t len, size_t outlen)
{
    hash_job_t a = {in, len, {0}, 0}, b = {in, len, {0}, 0};
    double ta = time_per_call(ours, &a, o->min_time);
    double tb = time_per_call(theirs, &b, o->min_time);
    if (broken(o, name)) {
        a.out[0] ^= 1;
        a.crc ^= 1;
    }
    bool ok = outlen ? memcmp(a.out, b.out, outlen) == 0 : a.crc == b.crc;
    report(o, name, lib, ta, tb, len, ok);
}

/* ---- inflate ---- */

typedef struct {
    const uint8_t *gz;
    size_t gz_len, pos;
    uint8_t *out;
    size_t cap, out_len;
    bool ok;
} inflate_job_t;

static int32_t mem_read(void *ctx, uint8_t *buf, uint32_t cap)
{
    inflate_job_t *j = ctx;
    size_t n = j->gz_len - j->pos;
    if (n > cap)
        n = cap;
    memcpy(buf, j->gz + j->pos, n);
    j->pos += n;
    return (int32_t)n;
}

static int mem_write(void *ctx, const uint8_t *data, uint32_t len)
{
    inflate_job_t *j = ctx;
    if (len > j->cap - j->out_len)
        return 1;
    memcpy(j->out + j->out_len, data, len);
    j->out_len += len;
    return 0;
}

static void ours_inflate(void *c)
{
    static inflate_state_t st;
    inflate_job_t *j = c;
    j->pos = 0;
    j->out_len = 0;
    j->ok = inflate_run(&st, INFLATE_FORMAT_GZIP, mem_read, mem_write, j) == INFLATE_DONE;
}

static void lib_inflate(void *c)
{
    inflate_job_t *j = c;
    z_stream z;
    memset(&z, 0, sizeof z);
    inflateInit2(&z, 16 + 15);
    z.next_in = (Bytef *)j->gz;
    z.avail_in = (uInt)j->gz_len;
    z.next_out = j->out;
    z.avail_out = (uInt)j->cap;
    j->ok = inflate(&z, Z_FINISH) == Z_STREAM_END;
    j->out_len = j->cap - z.avail_out;
    inflateEnd(&z);
}

/* Compressible input: words of a small seeded vocabulary with random separators and numbers,
 * roughly like firmware strings and tables. */
static void fill_text(uint8_t *buf, size_t len)
{
    static const char *words[] = {"flash",      "sector",  "update", "boot",  "image",
                                  "0x40201010", "segment", "erase",  "write", "ok",
                                  "error",      "crc",     "\n"};
    size_t p = 0;
    while (p < len) {
        uint64_t r = rng_next();
        const char *w = words[r % (sizeof words / sizeof words[0])];
        size_t wl = strlen(w);
        for (size_t i = 0; i < wl && p < len; i++)
            buf[p++] = (uint8_t)w[i];
        if (p < len)
            buf[p++] = (r >> 8) % 5 ? ' ' : (uint8_t)(r >> 16);
    }
}

static int bench_inflate(bench_opts_t *o, size_t len)
{
    uint8_t *plain = malloc(len), *gz;
    fill_text(plain, len);
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 9, Z_DEFAULT_STRATEGY);
    size_t bound = deflateBound(&z, (uLong)len) + 64;
    gz = malloc(bound);
    z.next_in = plain;
    z.avail_in = (uInt)len;
    z.next_out = gz;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        fprintf(stderr, "otasim bench primitives: deflate failed\n");
        return -1;
    }
    size_t gz_len = bound - z.avail_out;
    deflateEnd(&z);
    inflate_job_t a = {gz, gz_len, 0, malloc(len + 1), len + 1, 0, false};
    inflate_job_t b = {gz, gz_len, 0, malloc(len + 1), len + 1, 0, false};
    double ta = time_per_call(ours_inflate, &a, o->min_time);
    double tb = time_per_call(lib_inflate, &b, o->min_time);
    if (broken(o, "inflate"))
        a.out[len / 2] ^= 1;
    bool ok = a.ok && b.ok && a.out_len == len && b.out_len == len &&
              memcmp(a.out, plain, len) == 0 && memcmp(b.out, plain, len) == 0;
    if (!o->json)
        printf("(inflate input: %zu bytes of seeded text, gzip -9 to %zu bytes; MB/s of output)\n",
               len, gz_len);
    report(o, "inflate", "zlib", ta, tb, len, ok);
    free(plain);
    free(gz);
    free(a.out);
    free(b.out);
    return 0;
}

/* ---- RSA ---- */

typedef struct {
    rsa_public_key_t ours;
    br_rsa_public_key pk;
    br_rsa_pkcs1_vrfy vrfy;
    uint8_t sig[512];
    size_t sig_len;
    uint8_t hash[32], hash_out[32];
    rsa_status_t st;
    uint32_t lib_ok;
} rsa_job_t;

static void ours_rsa(void *c)
{
    rsa_job_t *j = c;
    j->st = rsa_verify_sha256(&j->ours, j->sig, j->sig_len, j->hash, true);
}
static void lib_rsa(void *c)
{
    rsa_job_t *j = c;
    j->lib_ok = j->vrfy(j->sig, j->sig_len, BR_HASH_OID_SHA256, 32, &j->pk, j->hash_out);
}

static int bench_rsa(bench_opts_t *o, unsigned bits, const uint8_t *msg, size_t len)
{
    static uint8_t kbuf_priv[BR_RSA_KBUF_PRIV_SIZE(4096)], kbuf_pub[BR_RSA_KBUF_PUB_SIZE(4096)];
    br_hmac_drbg_context rng;
    char seedstr[64];
    snprintf(seedstr, sizeof seedstr, "otasim bench rsa %u %llu", bits, o->seed);
    br_hmac_drbg_init(&rng, &br_sha256_vtable, seedstr, strlen(seedstr));
    br_rsa_private_key sk;
    static rsa_job_t j;
    memset(&j, 0, sizeof j);
    if (!br_rsa_keygen_get_default()(&rng.vtable, &sk, kbuf_priv, &j.pk, kbuf_pub, bits, 65537)) {
        fprintf(stderr, "otasim bench primitives: RSA-%u key generation failed\n", bits);
        return -1;
    }
    br_sha256_context s;
    br_sha256_init(&s);
    br_sha256_update(&s, msg, len);
    br_sha256_out(&s, j.hash);
    j.sig_len = (bits + 7) / 8;
    if (!br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, j.hash, 32, &sk, j.sig)) {
        fprintf(stderr, "otasim bench primitives: RSA-%u signing failed\n", bits);
        return -1;
    }
    /* Our key structure from BearSSL's (big-endian, no leading zeros). */
    const uint8_t *n = j.pk.n, *e = j.pk.e;
    size_t nl = j.pk.nlen, el = j.pk.elen;
    while (nl && !*n)
        n++, nl--;
    while (el && !*e)
        e++, el--;
    memcpy(j.ours.n, n, nl);
    j.ours.n_len = nl;
    memcpy(j.ours.e, e, el);
    j.ours.e_len = el;
    j.vrfy = br_rsa_pkcs1_vrfy_get_default();
    char name[32];
    snprintf(name, sizeof name, "rsa%u-verify", bits);
    double ta = time_per_call(ours_rsa, &j, o->min_time);
    double tb = time_per_call(lib_rsa, &j, o->min_time);
    bool ok = j.st == RSA_OK && j.lib_ok == 1 && memcmp(j.hash_out, j.hash, 32) == 0;
    /* Both must also reject the signature of a different message. */
    j.hash[5] ^= 0x20;
    ours_rsa(&j);
    lib_rsa(&j);
    bool rejects = j.st != RSA_OK && (j.lib_ok == 0 || memcmp(j.hash_out, j.hash, 32) != 0);
    if (broken(o, name))
        ok = false;
    report(o, name, "BearSSL", ta, tb, 0, ok && rejects);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: otasim bench primitives [--seed N] [--size BYTES] [--min-time MS]\n"
               "                                [--rsa4096] [--quick] [--json] [--break NAME]\n"
               "  Throughput of the firmware's MD5, SHA-256, CRC-32 (gzip), CRC-32/MPEG-2 and\n"
               "  inflate, and RSA-1024/2048 (--rsa4096: also 4096) verify time, each against\n"
               "  BearSSL/zlib on the same seeded input, with the ratio (ours / library time).\n"
               "  Results are compared while timing; exit 1 on any mismatch.\n"
               "  Defaults: --seed 1, --size 4194304, --min-time 300. --quick: 64 KiB, 5 ms.\n"
               "  --break NAME: perturb our result of NAME (md5, sha256, crc32-gzip,\n"
               "  crc32-mpeg2, inflate, rsa2048-verify...) to test the self-check.\n");
}

int cmd_bench_primitives(int argc, char **argv)
{
    bench_opts_t o = {1, 4u << 20, 0.3, false, false, NULL, 0, 0};
    static const struct option longopts[] = {{"seed", required_argument, 0, 's'},
                                             {"size", required_argument, 0, 'n'},
                                             {"min-time", required_argument, 0, 't'},
                                             {"rsa4096", no_argument, 0, '4'},
                                             {"quick", no_argument, 0, 'q'},
                                             {"json", no_argument, 0, 'j'},
                                             {"break", required_argument, 0, 'b'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 's':
            o.seed = strtoull(optarg, &end, 0);
            break;
        case 'n':
            o.size = (size_t)strtoull(optarg, &end, 0);
            if (o.size < 1 || o.size > (256u << 20))
                end = NULL;
            break;
        case 't':
            o.min_time = strtod(optarg, &end) / 1000.0;
            if (o.min_time < 0)
                end = NULL;
            break;
        case '4':
            o.rsa4096 = true;
            break;
        case 'q':
            o.size = 64u << 10;
            o.min_time = 0.005;
            break;
        case 'j':
            o.json = true;
            break;
        case 'b':
            o.brk = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if ((c == 's' || c == 'n' || c == 't') && (end == NULL || *end != '\0')) {
            fprintf(stderr, "otasim bench primitives: bad value '%s'\n", optarg);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "otasim bench primitives: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    rng_state = o.seed;
    uint8_t *in = malloc(o.size);
    mpeg2_reversed = malloc(o.size);
    for (size_t i = 0; i < o.size; i++) {
        in[i] = (uint8_t)rng_next();
        uint8_t b = in[i], r = 0;
        for (int k = 0; k < 8; k++)
            r = (uint8_t)(r << 1 | ((b >> k) & 1u));
        mpeg2_reversed[i] = r;
    }
    if (o.json)
        printf("{\n  \"schema\": \"otasim-bench-primitives/1\", \"seed\": %llu, \"size\": %zu, "
               "\"min_time_s\": %g,\n  \"results\": [",
               o.seed, o.size, o.min_time);
    else
        printf("otasim bench primitives: seed %llu, %zu-byte random input, >= %.0f ms per "
               "measurement (ratio = our time / library time; shared machines are noisy)\n",
               o.seed, o.size, o.min_time * 1000);
    int rc = 0;
    bench_hash(&o, "md5", "BearSSL", ours_md5, lib_md5, in, o.size, 16);
    bench_hash(&o, "sha256", "BearSSL", ours_sha256, lib_sha256, in, o.size, 32);
    bench_hash(&o, "crc32-gzip", "zlib", ours_crc_gzip, lib_crc_gzip, in, o.size, 0);
    bench_hash(&o, "crc32-mpeg2", "zlib(bitrev)", ours_crc_mpeg2, lib_crc_mpeg2, in, o.size, 0);
    if (bench_inflate(&o, o.size) != 0)
        rc = 1;
    unsigned bits[] = {1024, 2048, 4096};
    for (unsigned i = 0; i < (o.rsa4096 ? 3u : 2u); i++)
        if (bench_rsa(&o, bits[i], in, o.size < 4096 ? o.size : 4096) != 0)
            rc = 1;
    if (o.json)
        printf("\n  ],\n  \"mismatches\": %d\n}\n", o.mismatches);
    else
        printf("bench primitives: %s\n", o.mismatches ? "MISMATCH" : "all results match");
    free(in);
    free(mpeg2_reversed);
    return (rc || o.mismatches) ? 1 : 0;
}
