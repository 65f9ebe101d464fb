/* Test support for the core tests: independent reference implementations (CRC, image writer,
 * signer, gzip) built from the spec and Debian libraries (BearSSL, zlib), never from the code
 * under test; a simulated device (flashsim + native port) with a running sketch installed;
 * recording callbacks; scripted streams. */
#ifndef OTASIM_TESTS_CORE_TESTLIB_H
#define OTASIM_TESTS_CORE_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flashsim.h"
#include "layout.h"
#include "rsa_verify.h"
#include "update_stream.h"
#include "updater.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

/* ---- Reference algorithms ---- */

/* CRC-32/MPEG-2 bit by bit, straight from the definition in spec §3.2. */
uint32_t ref_crc32_mpeg2(const void *data, size_t len);
/* MD5 / SHA-256 through BearSSL. */
void ref_md5(const void *data, size_t len, uint8_t out[16]);
void ref_md5_hex(const void *data, size_t len, char out[33]);
void ref_sha256(const void *data, size_t len, uint8_t out[32]);

/* ---- Image writer (spec §3.5, §7.3), as elf2bin.py lays files out ---- */

typedef struct tb_pair_opts {
    uint8_t flash_mode; /* header byte 2 of both images (default DIO = 2) */
    uint8_t size_freq;  /* header byte 3 (default 0x40: 4 MB, 40 MHz) */
    uint32_t irom_len;  /* .irom0.text length (multiple of 4, >= 72) */
    uint32_t ram_len;   /* the other four app segments together (multiple of 16) */
    const char *name;   /* app descriptor name (NULL: no descriptor, zeros) */
    uint32_t version;
    uint32_t seed; /* segment contents */
} tb_pair_opts_t;

void tb_pair_defaults(tb_pair_opts_t *o);
/* A malloc'd .bin (eboot at 0 padded with 0xAA to 4 KiB, app at 0x1000, CRC words). */
uint8_t *tb_build_pair(const tb_pair_opts_t *o, size_t *len);
/* Recompute the app checksum / file CRC after a test changed bytes. */
void tb_fix_app_checksum(uint8_t *bin, size_t len);
void tb_fix_file_crc(uint8_t *bin, size_t len);

/* gzip (zlib, level 9); malloc'd. */
uint8_t *tb_gzip(const uint8_t *data, size_t len, size_t *out_len);

/* ---- Keys and signing (BearSSL), keys from tests/core/data/<name>.{key,pub}.pem ---- */

typedef struct tb_key tb_key_t;
tb_key_t *tb_key_load(const char *name); /* "rsa1024", "rsa2048", "rsa4096", "other2048" */
void tb_key_free(tb_key_t *k);
const rsa_public_key_t *tb_key_public(const tb_key_t *k); /* parsed by rsa_parse_public_key_pem */
size_t tb_key_modulus_len(const tb_key_t *k);
/* payload | PKCS#1 v1.5 signature of SHA-256(payload) | u32 LE length. legacy: the raw digest
 * without DigestInfo (signing.py --legacy). malloc'd. */
uint8_t *tb_sign(const tb_key_t *k, const uint8_t *payload, size_t len, bool legacy,
                 size_t *out_len);

/* ---- A device: flashsim + native port + a running sketch ---- */

typedef struct tdev {
    flashsim_t *fs;
    flash_layout_t layout;
    uint8_t *sketch; /* the installed .bin */
    size_t sketch_len;
    char console[8192];
    char log[8192]; /* callbacks, comma-separated: start end error:N progress:D/T */
    size_t log_len;
    updater_t up;
} tdev_t;

/* A device for a named layout (chip size from it), running a default sketch of about 300 KB
 * (DIO, header size code of the chip). Aborts the test on failure. */
tdev_t *tdev_new(const char *layout_name);
/* Same with an explicit sketch. */
tdev_t *tdev_new_with(const char *layout_name, const tb_pair_opts_t *sketch);
void tdev_free(tdev_t *d);
/* An updater config with the device's layout and the recording callbacks. */
updater_config_t tdev_config(tdev_t *d);
/* updater_init(&d->up, cfg). */
void tdev_init_updater(tdev_t *d, const updater_config_t *cfg);
/* The current error line of d->up, "ERROR[n]: msg\n". */
const char *tdev_error_line(tdev_t *d);
/* The boot command block as raw RTC bytes (128). */
void tdev_rtc_cmd(tdev_t *d, uint32_t words[32]);
void tdev_log_clear(tdev_t *d);

/* ---- A scripted stream: `len` bytes, released `chunk` bytes per `interval_ms` of virtual
 * time, and nothing after `stall_at` bytes. ---- */
typedef struct tstream {
    const uint8_t *data;
    size_t len;
    size_t pos;
    size_t chunk;        /* 0: everything at once */
    uint32_t interval_ms; /* 0: no time gating */
    size_t stall_at;     /* bytes after which nothing more arrives (0: never) */
    uint32_t t0;
} tstream_t;
update_stream_t tstream_make(tstream_t *s, const uint8_t *data, size_t len);

#endif
