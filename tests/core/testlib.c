#include "testlib.h"

#include <bearssl.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "native_port.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must be defined by the build"
#endif

/* ---- Reference algorithms ---- */

uint32_t ref_crc32_mpeg2(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 7; bit >= 0; bit--) {
            uint32_t in = (p[i] >> bit) & 1u;
            uint32_t top = crc >> 31;
            crc <<= 1;
            if (in ^ top) {
                crc ^= 0x04C11DB7u;
            }
        }
    }
    return crc;
}

void ref_md5(const void *data, size_t len, uint8_t out[16])
{
    br_md5_context c;
    br_md5_init(&c);
    br_md5_update(&c, data, len);
    br_md5_out(&c, out);
}

void ref_md5_hex(const void *data, size_t len, char out[33])
{
    uint8_t d[16];
    ref_md5(data, len, d);
    for (int i = 0; i < 16; i++) {
        sprintf(out + 2 * i, "%02x", d[i]);
    }
}

void ref_sha256(const void *data, size_t len, uint8_t out[32])
{
    br_sha256_context c;
    br_sha256_init(&c);
    br_sha256_update(&c, data, len);
    br_sha256_out(&c, out);
}

/* ---- Image writer ---- */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void tb_pair_defaults(tb_pair_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->flash_mode = 2;     /* DIO */
    o->size_freq = 0x40;   /* 4 MB, 40 MHz */
    o->irom_len = 240000;  /* multiple of 4 */
    o->ram_len = 60000;    /* multiple of 16 */
    o->name = "basic";
    o->version = 1;
    o->seed = 1;
}

typedef struct seg {
    uint32_t addr;
    uint32_t len;
} seg_t;

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* elf2bin.py write_bin(): header, segments, zero padding, checksum; the checksum is taken over
 * the data as given (before add_crc stores its words). */
static size_t write_image(uint8_t *out, uint8_t mode, uint8_t size_freq, uint32_t entry,
                          const seg_t *segs, int nsegs, uint8_t *const *data)
{
    size_t n = 0;
    out[n++] = 0xE9;
    out[n++] = (uint8_t)nsegs;
    out[n++] = mode;
    out[n++] = size_freq;
    put32(out + n, entry);
    n += 4;
    uint8_t sum = 0xEF;
    for (int i = 0; i < nsegs; i++) {
        put32(out + n, segs[i].addr);
        put32(out + n + 4, segs[i].len);
        n += 8;
        memcpy(out + n, data[i], segs[i].len);
        for (uint32_t k = 0; k < segs[i].len; k++) {
            sum ^= data[i][k];
        }
        n += segs[i].len;
    }
    while ((n + 1) % 16 != 0) {
        out[n++] = 0;
    }
    out[n++] = sum;
    return n;
}

static uint8_t *random_bytes(uint32_t len, uint32_t *state)
{
    uint8_t *p = malloc(len ? len : 1);
    cr_assert_not_null(p);
    for (uint32_t i = 0; i < len; i++) {
        p[i] = (uint8_t)xorshift(state);
    }
    return p;
}

uint8_t *tb_build_pair(const tb_pair_opts_t *o, size_t *len)
{
    cr_assert(o->irom_len % 4 == 0 && o->irom_len >= 72, "irom_len");
    cr_assert(o->ram_len % 16 == 0 && o->ram_len >= 64, "ram_len");
    uint32_t state = o->seed * 2654435761u + 12345u;
    size_t cap = 0x1000 + 8 + 5 * 8 + o->irom_len + o->ram_len + 16;
    uint8_t *bin = malloc(cap);
    cr_assert_not_null(bin);

    /* eboot: .text and .rodata, padded with 0xAA to 4 KiB. */
    seg_t bsegs[2] = {{0x4010F000u, 2048}, {0x3FFE8000u, 512}};
    uint8_t *bdata[2] = {random_bytes(2048, &state), random_bytes(512, &state)};
    size_t n = write_image(bin, o->flash_mode, o->size_freq, 0x4010F000u, bsegs, 2, bdata);
    cr_assert(n + 8 <= 0x1000);
    memset(bin + n, 0xAA, 0x1000 - n);
    free(bdata[0]);
    free(bdata[1]);

    /* app: .irom0.text (CRC words, descriptor, code), .text, .text1, .data, .rodata. */
    uint32_t q = o->ram_len / 16 * 4;
    seg_t asegs[5] = {{0x40201010u, o->irom_len},
                      {0x40100000u, q},
                      {0x40104000u, q},
                      {0x3FFE8000u, q},
                      {0x3FFE9000u, o->ram_len - 3 * q}};
    uint8_t *adata[5];
    for (int i = 0; i < 5; i++) {
        adata[i] = random_bytes(asegs[i].len, &state);
    }
    memset(adata[0], 0, 8); /* __crc_len, __crc_val as linked */
    if (o->name != NULL) {
        uint8_t *d = adata[0] + 8;
        memset(d, 0, 64);
        put32(d, 0x4F544153u);
        put32(d + 4, o->version);
        strncpy((char *)d + 8, o->name, 23);
        strncpy((char *)d + 32, "otasim-test", 31);
    } else {
        memset(adata[0] + 8, 0, 64);
    }
    size_t app_len =
        write_image(bin + 0x1000, o->flash_mode, o->size_freq, 0x40100004u, asegs, 5, adata);
    for (int i = 0; i < 5; i++) {
        free(adata[i]);
    }
    *len = 0x1000 + app_len;
    tb_fix_file_crc(bin, *len);
    return bin;
}

void tb_fix_file_crc(uint8_t *bin, size_t len)
{
    /* elf2bin.py add_crc(): zero both words, CRC the whole file, store length and CRC. */
    put32(bin + 0x1010, 0);
    put32(bin + 0x1014, 0);
    uint32_t crc = ref_crc32_mpeg2(bin, len);
    put32(bin + 0x1010, (uint32_t)len);
    put32(bin + 0x1014, crc);
}

void tb_fix_app_checksum(uint8_t *bin, size_t len)
{
    /* The elf2bin checksum: CRC words counted as zero. */
    const uint8_t *app = bin + 0x1000;
    uint8_t sum = 0xEF;
    size_t pos = 8;
    for (int i = 0; i < app[1]; i++) {
        uint32_t l = get32(app + pos + 4);
        for (uint32_t k = 0; k < l; k++) {
            size_t at = 0x1000 + pos + 8 + k;
            sum ^= (at >= 0x1010 && at < 0x1018) ? 0 : bin[at];
        }
        pos += 8 + l;
    }
    bin[len - 1] = sum;
}

uint8_t *tb_gzip(const uint8_t *data, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, len) + 64;
    uint8_t *out = malloc(cap);
    cr_assert_not_null(out);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    return out;
}

/* ---- Keys ---- */

struct tb_key {
    br_skey_decoder_context skey;
    const br_rsa_private_key *sk;
    rsa_public_key_t pub;
};

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

typedef struct der_buf {
    uint8_t data[8192];
    size_t len;
} der_buf_t;

static void der_append(void *ctx, const void *buf, size_t len)
{
    der_buf_t *d = ctx;
    cr_assert(d->len + len <= sizeof(d->data));
    memcpy(d->data + d->len, buf, len);
    d->len += len;
}

static void pem_to_der(const char *pem, size_t len, der_buf_t *der)
{
    br_pem_decoder_context pc;
    br_pem_decoder_init(&pc);
    der->len = 0;
    bool done = false;
    while (len > 0 && !done) {
        size_t used = br_pem_decoder_push(&pc, pem, len);
        pem += used;
        len -= used;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            br_pem_decoder_setdest(&pc, der_append, der);
            break;
        case BR_PEM_END_OBJ:
            done = true;
            break;
        case BR_PEM_ERROR:
            cr_assert_fail("bad PEM");
        }
    }
    cr_assert(done, "no PEM object");
}

tb_key_t *tb_key_load(const char *name)
{
    char path[512];
    size_t len;
    tb_key_t *k = calloc(1, sizeof(*k));
    cr_assert_not_null(k);

    snprintf(path, sizeof(path), "%s/%s.key.pem", TEST_DATA_DIR, name);
    char *pem = read_file(path, &len);
    der_buf_t *der = malloc(sizeof(*der));
    pem_to_der(pem, len, der);
    br_skey_decoder_init(&k->skey);
    br_skey_decoder_push(&k->skey, der->data, der->len);
    cr_assert_eq(br_skey_decoder_last_error(&k->skey), 0, "private key %s", name);
    cr_assert_eq(br_skey_decoder_key_type(&k->skey), BR_KEYTYPE_RSA);
    k->sk = br_skey_decoder_get_rsa(&k->skey);
    free(der);
    free(pem);

    snprintf(path, sizeof(path), "%s/%s.pub.pem", TEST_DATA_DIR, name);
    pem = read_file(path, &len);
    cr_assert_eq(rsa_parse_public_key_pem(pem, len, &k->pub), RSA_OK, "public key %s", name);
    free(pem);
    cr_assert_eq(k->pub.n_len, tb_key_modulus_len(k));
    return k;
}

void tb_key_free(tb_key_t *k)
{
    free(k);
}

const rsa_public_key_t *tb_key_public(const tb_key_t *k)
{
    return &k->pub;
}

size_t tb_key_modulus_len(const tb_key_t *k)
{
    return (k->sk->n_bitlen + 7) / 8;
}

uint8_t *tb_sign(const tb_key_t *k, const uint8_t *payload, size_t len, bool legacy,
                 size_t *out_len)
{
    size_t sig_len = tb_key_modulus_len(k);
    uint8_t hash[32];
    ref_sha256(payload, len, hash);
    uint8_t *out = malloc(len + sig_len + 4);
    cr_assert_not_null(out);
    memcpy(out, payload, len);
    br_rsa_pkcs1_sign sign = br_rsa_pkcs1_sign_get_default();
    /* A NULL OID makes BearSSL sign the bare digest: the legacy format. */
    cr_assert(sign(legacy ? NULL : BR_HASH_OID_SHA256, hash, sizeof(hash), k->sk, out + len));
    put32(out + len + sig_len, (uint32_t)sig_len);
    *out_len = len + sig_len + 4;
    return out;
}

/* ---- Device ---- */

static void log_append(tdev_t *d, const char *s)
{
    int n = snprintf(d->log + d->log_len, sizeof(d->log) - d->log_len, "%s%s",
                     d->log_len ? "," : "", s);
    if (n > 0 && (size_t)n < sizeof(d->log) - d->log_len) {
        d->log_len += (size_t)n;
    }
}

static void on_start(void *user)
{
    log_append(user, "start");
}

static void on_end(void *user)
{
    log_append(user, "end");
}

static void on_error(void *user, update_error_t e)
{
    char s[32];
    snprintf(s, sizeof(s), "error:%d", (int)e);
    log_append(user, s);
}

static void on_progress(void *user, uint32_t done, uint32_t total)
{
    char s[48];
    snprintf(s, sizeof(s), "progress:%u/%u", done, total);
    log_append(user, s);
}

tdev_t *tdev_new(const char *layout_name)
{
    return tdev_new_with(layout_name, NULL);
}

tdev_t *tdev_new_with(const char *layout_name, const tb_pair_opts_t *sketch)
{
    tdev_t *d = calloc(1, sizeof(*d));
    cr_assert_not_null(d);
    cr_assert(layout_by_name(layout_name, 4 * MIB, &d->layout), "layout %s", layout_name);
    flashsim_config_t fc = {.size = d->layout.flash_size, .seed = 7};
    d->fs = flashsim_new(&fc);
    cr_assert_not_null(d->fs);

    tb_pair_opts_t o;
    if (sketch != NULL) {
        o = *sketch;
    } else {
        tb_pair_defaults(&o);
        static const uint8_t codes[] = {0, 2, 3, 4, 8, 9}; /* 512K 1M 2M 4M 8M 16M */
        static const uint32_t sizes[] = {512 * KIB, 1 * MIB, 2 * MIB, 4 * MIB, 8 * MIB, 16 * MIB};
        for (int i = 0; i < 6; i++) {
            if (sizes[i] == d->layout.flash_size) {
                o.size_freq = (uint8_t)(codes[i] << 4);
            }
        }
        if (d->layout.flash_size <= 512 * KIB) {
            o.irom_len = 100000; /* fits the small chip */
            o.ram_len = 20000;
        }
    }
    d->sketch = tb_build_pair(&o, &d->sketch_len);
    flashsim_poke(d->fs, 0, d->sketch, (uint32_t)d->sketch_len);

    native_port_config_t pc;
    native_port_default_config(&pc);
    pc.console_buf = d->console;
    pc.console_cap = sizeof(d->console);
    native_port_attach(d->fs, &pc);
    return d;
}

void tdev_free(tdev_t *d)
{
    native_port_detach();
    flashsim_free(d->fs);
    free(d->sketch);
    free(d);
}

updater_config_t tdev_config(tdev_t *d)
{
    updater_config_t c;
    memset(&c, 0, sizeof(c));
    c.layout = &d->layout;
    c.callbacks.on_start = on_start;
    c.callbacks.on_end = on_end;
    c.callbacks.on_error = on_error;
    c.callbacks.on_progress = on_progress;
    c.callbacks.user = d;
    return c;
}

void tdev_init_updater(tdev_t *d, const updater_config_t *cfg)
{
    updater_init(&d->up, cfg);
}

const char *tdev_error_line(tdev_t *d)
{
    static char line[256];
    updater_format_error(&d->up, line, sizeof(line));
    return line;
}

void tdev_rtc_cmd(tdev_t *d, uint32_t words[32])
{
    uint8_t raw[128];
    cr_assert_eq(flashsim_rtc_read(d->fs, 0x100, raw, sizeof(raw)), FLASHSIM_OK);
    for (int i = 0; i < 32; i++) {
        words[i] = get32(raw + 4 * i);
    }
}

void tdev_log_clear(tdev_t *d)
{
    d->log[0] = '\0';
    d->log_len = 0;
}

/* ---- Scripted stream ---- */

static size_t released(const tstream_t *s)
{
    size_t n = s->len;
    if (s->chunk != 0 && s->interval_ms != 0) {
        size_t steps = 1 + (hal_millis() - s->t0) / s->interval_ms;
        size_t by_time = steps * s->chunk;
        n = by_time < n ? by_time : n;
    }
    if (s->stall_at != 0 && s->stall_at < n) {
        n = s->stall_at;
    }
    return n;
}

static uint32_t ts_available(void *ctx)
{
    tstream_t *s = ctx;
    size_t n = released(s) - s->pos;
    if (s->chunk != 0 && s->interval_ms == 0 && n > s->chunk) {
        n = s->chunk; /* chunked without time gating: at most one chunk per call */
    }
    return (uint32_t)n;
}

static uint32_t ts_read(void *ctx, uint8_t *buf, uint32_t len)
{
    tstream_t *s = ctx;
    uint32_t n = ts_available(ctx);
    n = n < len ? n : len;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return n;
}

static int ts_peek(void *ctx)
{
    tstream_t *s = ctx;
    return released(s) > s->pos ? s->data[s->pos] : -1;
}

update_stream_t tstream_make(tstream_t *s, const uint8_t *data, size_t len)
{
    memset(s, 0, sizeof(*s));
    s->data = data;
    s->len = len;
    s->t0 = hal_millis();
    update_stream_t st = {s, ts_available, ts_read, ts_peek, 0};
    return st;
}
