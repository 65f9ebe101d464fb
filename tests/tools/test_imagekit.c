/* imagekit: packed pairs parse with the firmware's parser, gzip round-trips through zlib,
 * signatures verify with the firmware's verifier and with BearSSL and equal openssl's, synth
 * images are valid. Reference values come from testlib (spec-derived) or the host libraries. */
#include <bearssl.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "image.h"
#include "imagekit.h"
#include "signed_image.h"
#include "testlib.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t *synth_pair(const char *boot, const char *app, uint32_t version, size_t size,
                           size_t *len)
{
    uint8_t *b, *a, *pair;
    size_t blen, alen;
    char err[256];
    cr_assert_eq(imagekit_synth_boot(boot, &b, &blen), 0);
    cr_assert_eq(imagekit_synth_app(app, version, size, &a, &alen), 0);
    cr_assert_eq(imagekit_pack_pair(b, blen, a, alen, &pair, len, err, sizeof(err)), 0, "%s", err);
    free(b);
    free(a);
    return pair;
}

Test(imagekit, pair_parses_with_crc_and_descriptor)
{
    uint8_t *b, *a, *pair;
    size_t blen, alen, len;
    char err[256];
    cr_assert_eq(imagekit_synth_boot("safeboot", &b, &blen), 0);
    cr_assert_eq(imagekit_synth_app("basic", 7, 30000, &a, &alen), 0);
    cr_assert_eq(imagekit_pack_pair(b, blen, a, alen, &pair, &len, err, sizeof(err)), 0);
    cr_assert_eq(len, 4096 + alen);
    /* Layout: bootloader, 0xAA fill to 4096, the app unchanged except the CRC words. */
    cr_assert_eq(memcmp(pair, b, blen), 0);
    for (size_t i = blen; i < 4096; i++)
        cr_assert_eq(pair[i], 0xAA, "fill byte %zu", i);
    cr_assert_eq(memcmp(pair + 4096, a, 16), 0);
    cr_assert_eq(memcmp(pair + 4096 + 24, a + 24, alen - 24), 0);
    /* CRC words: length and CRC-32/MPEG-2 of the file with them zeroed (reference CRC). */
    cr_assert_eq(rd32(pair + 0x1010), len);
    uint8_t *copy = malloc(len);
    memcpy(copy, pair, len);
    memset(copy + 0x1010, 0, 8);
    cr_assert_eq(rd32(pair + 0x1014), ref_crc32_mpeg2(copy, len));
    free(copy);

    image_pair_info_t pi;
    cr_assert_eq(image_parse_pair_buffer(pair, len, IMAGE_PARSE_CHECKSUM, &pi), IMAGE_OK);
    cr_assert(pi.has_crc && pi.crc_checked);
    cr_assert(pi.app_checksum_without_crc, "elf2bin's checksum (CRC words zero)");
    cr_assert(pi.has_desc);
    cr_assert_str_eq(pi.desc.name, "basic");
    cr_assert_eq(pi.desc.version, 7);
    cr_assert_eq(pi.length, len);
    app_desc_t bd;
    mem_reader_t m = {pair, (uint32_t)len};
    reader_t r = mem_reader(&m);
    cr_assert(image_find_boot_desc(&r, 0, 4096, &bd));
    cr_assert_str_eq(bd.name, "safeboot");

    /* A flipped byte anywhere in the app is caught (checksum or CRC). */
    pair[0x1000 + 200] ^= 0x10;
    cr_assert_neq(image_parse_pair_buffer(pair, len, IMAGE_PARSE_CHECKSUM, &pi), IMAGE_OK);
    cr_assert_eq(imagekit_fix_checksum(pair + 0x1000, len - 0x1000, err, sizeof(err)), 0);
    cr_assert_eq(image_parse_pair_buffer(pair, len, IMAGE_PARSE_CHECKSUM, &pi), IMAGE_ERR_CRC);
    cr_assert_eq(imagekit_fill_crc(pair, len, err, sizeof(err)), 0);
    cr_assert_eq(image_parse_pair_buffer(pair, len, IMAGE_PARSE_CHECKSUM, &pi), IMAGE_OK);
    free(b);
    free(a);
    free(pair);
}

Test(imagekit, pair_rejects_big_bootloader_and_bad_app)
{
    uint8_t big[3000], *img, *a, *pair;
    size_t ilen, alen, len;
    char err[256] = "";
    memset(big, 0x11, sizeof(big));
    imagekit_segment_t segs[2] = {{0x4010F000u, big, sizeof(big)}, {0x3FFE8000u, big, 1200}};
    imagekit_header_t hdr = {2, 0x40, 0x4010F000u};
    cr_assert_eq(imagekit_build_image(&hdr, segs, 2, &img, &ilen, err, sizeof(err)), 0);
    cr_assert_gt(ilen, 4096);
    cr_assert_eq(imagekit_synth_app("basic", 1, 0, &a, &alen), 0);
    cr_assert_eq(imagekit_pack_pair(img, ilen, a, alen, &pair, &len, err, sizeof(err)), -1);
    cr_assert(strstr(err, "4096"), "message: %s", err);
    /* An app whose first segment is not .irom0.text cannot carry the CRC words. */
    err[0] = 0;
    cr_assert_eq(imagekit_pack_pair(a, alen, img, ilen, &pair, &len, err, sizeof(err)), -1);
    cr_assert(strstr(err, "bootloader") || strstr(err, "irom0"), "message: %s", err);
    uint8_t *boot;
    size_t blen;
    cr_assert_eq(imagekit_synth_boot("eboot", &boot, &blen), 0);
    segs[0] = (imagekit_segment_t){0x40100000u, big, 64};
    free(img);
    cr_assert_eq(imagekit_build_image(&hdr, segs, 1, &img, &ilen, err, sizeof(err)), 0);
    err[0] = 0;
    cr_assert_eq(imagekit_pack_pair(boot, blen, img, ilen, &pair, &len, err, sizeof(err)), -1);
    cr_assert(strstr(err, ".irom0.text"), "message: %s", err);
    /* Truncated input images. */
    cr_assert_eq(imagekit_pack_pair(boot, blen - 16, a, alen, &pair, &len, err, sizeof(err)), -1);
    cr_assert_eq(imagekit_pack_pair(boot, blen, a, alen - 1, &pair, &len, err, sizeof(err)), -1);
    free(boot);
    free(img);
    free(a);
}

Test(imagekit, build_image_layout_and_checksum)
{
    uint8_t d1[5] = {1, 2, 3, 4, 5}, d2[8] = {9, 9, 9, 9, 8, 8, 8, 8};
    imagekit_segment_t segs[2] = {{0x40100000u, d1, 5}, {0x3FFE8000u, d2, 8}};
    imagekit_header_t hdr = {3, 0x2F, 0x40100010u};
    uint8_t *img;
    size_t len;
    cr_assert_eq(imagekit_build_image(&hdr, segs, 2, &img, &len, NULL, 0), 0);
    /* 8 header + (8 + 8 padded) + (8 + 8) = 40 data end; (40 + 16) & ~15 = 48. */
    cr_assert_eq(len, 48);
    cr_assert_eq(img[0], 0xE9);
    cr_assert_eq(img[1], 2);
    cr_assert_eq(img[2], 3);
    cr_assert_eq(img[3], 0x2F);
    cr_assert_eq(rd32(img + 4), 0x40100010u);
    cr_assert_eq(rd32(img + 8), 0x40100000u);
    cr_assert_eq(rd32(img + 12), 8, "length padded to a multiple of 4");
    cr_assert_eq(img[16 + 5], 0);
    uint8_t sum = 0xEF;
    for (int i = 0; i < 5; i++)
        sum ^= d1[i];
    for (int i = 0; i < 8; i++)
        sum ^= d2[i];
    cr_assert_eq(img[47], sum);
    for (int i = 40; i < 47; i++)
        cr_assert_eq(img[i], 0);
    free(img);
    cr_assert_eq(imagekit_build_image(&hdr, segs, 0, &img, &len, NULL, 0), -1);
}

static uint8_t *zlib_gunzip(const uint8_t *gz, size_t len, size_t cap, size_t *out_len)
{
    uint8_t *out = malloc(cap);
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    cr_assert_eq(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (Bytef *)gz;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    cr_assert_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = zs.total_out;
    inflateEnd(&zs);
    return out;
}

Test(imagekit, gzip_round_trips_with_zlib)
{
    size_t len, gzlen, outlen;
    uint8_t *pair = synth_pair("safeboot", "basic", 2, 50000, &len);
    uint8_t *gz;
    cr_assert_eq(imagekit_gzip(pair, len, &gz, &gzlen, NULL, 0), 0);
    cr_assert(imagekit_is_gzip(gz, gzlen));
    cr_assert_eq(gz[2], 8, "deflate");
    cr_assert_eq(gz[8], 2, "XFL = 2: maximum compression (level 9)");
    uint8_t *back = zlib_gunzip(gz, gzlen, len + 16, &outlen);
    cr_assert_eq(outlen, len);
    cr_assert_eq(memcmp(back, pair, len), 0);
    free(back);
    /* Our gunzip agrees, and rejects damage. */
    cr_assert_eq(imagekit_gunzip(gz, gzlen, &back, &outlen, NULL, 0), 0);
    cr_assert_eq(outlen, len);
    cr_assert_eq(memcmp(back, pair, len), 0);
    free(back);
    char err[256];
    gz[gzlen - 6] ^= 1; /* CRC-32 trailer */
    cr_assert_eq(imagekit_gunzip(gz, gzlen, &back, &outlen, err, sizeof(err)), -1);
    gz[gzlen - 6] ^= 1;
    cr_assert_eq(imagekit_gunzip(gz, gzlen - 3, &back, &outlen, err, sizeof(err)), -1);
    cr_assert_eq(imagekit_gunzip(pair, len, &back, &outlen, err, sizeof(err)), -1);
    cr_assert(strstr(err, "gzip"), "%s", err);
    /* Empty input. */
    uint8_t *e;
    size_t elen;
    cr_assert_eq(imagekit_gzip((const uint8_t *)"", 0, &e, &elen, NULL, 0), 0);
    cr_assert_eq(imagekit_gunzip(e, elen, &back, &outlen, NULL, 0), 0);
    cr_assert_eq(outlen, 0);
    free(back);
    free(e);
    free(gz);
    free(pair);
}

static char key_path[512];
static const char *data_key(const char *name)
{
    snprintf(key_path, sizeof(key_path), "%s/tests/core/data/%s", getenv("OTASIM_SOURCE_ROOT"),
             name);
    return key_path;
}

/* BearSSL's own verifier: recovers the hash from the signature (NULL OID = legacy). */
static bool bearssl_verify(const rsa_public_key_t *pub, const uint8_t *signed_buf, size_t len,
                           bool legacy)
{
    uint32_t sig_len = rd32(signed_buf + len - 4);
    size_t payload = len - 4 - sig_len;
    br_rsa_public_key pk = {(unsigned char *)pub->n, pub->n_len, (unsigned char *)pub->e,
                            pub->e_len};
    uint8_t hash[32], got[32];
    ref_sha256(signed_buf, payload, hash);
    br_rsa_pkcs1_vrfy vrfy = br_rsa_pkcs1_vrfy_get_default();
    if (!vrfy(signed_buf + payload, sig_len, legacy ? NULL : BR_HASH_OID_SHA256, 32, &pk, got))
        return false;
    return memcmp(got, hash, 32) == 0;
}

Test(imagekit, signatures_verify_with_firmware_and_bearssl)
{
    size_t len, slen, llen;
    uint8_t *pair = synth_pair("safeboot", "basic", 2, 20000, &len);
    tb_key_t *k = tb_key_load("rsa2048");
    const rsa_public_key_t *pub = tb_key_public(k);
    uint8_t *s, *l;
    char err[256];
    cr_assert_eq(imagekit_sign(pair, len, data_key("rsa2048.key.pem"), 0, false, &s, &slen, err,
                               sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(
        imagekit_sign(pair, len, data_key("rsa2048.key.pem"), 0, true, &l, &llen, err, sizeof(err)),
        0, "%s", err);
    cr_assert_eq(slen, len + 256 + 4);
    cr_assert_eq(rd32(s + slen - 4), 256);
    cr_assert_eq(memcmp(s, pair, len), 0);

    signed_result_t res;
    cr_assert_eq(signed_image_verify_buffer(s, slen, pub, false, &res), SIGNED_OK);
    cr_assert(!res.legacy);
    cr_assert_eq(res.trailer.payload_len, len);
    cr_assert(bearssl_verify(pub, s, slen, false));
    cr_assert(!bearssl_verify(pub, s, slen, true));
    /* Legacy: only in legacy mode. */
    cr_assert_neq(signed_image_verify_buffer(l, llen, pub, false, &res), SIGNED_OK);
    cr_assert_eq(signed_image_verify_buffer(l, llen, pub, true, &res), SIGNED_OK);
    cr_assert(res.legacy);
    cr_assert(bearssl_verify(pub, l, llen, true));
    cr_assert(!bearssl_verify(pub, l, llen, false));
    /* Another key's signature does not verify. */
    tb_key_t *other = tb_key_load("other2048");
    cr_assert_neq(signed_image_verify_buffer(s, slen, tb_key_public(other), true, &res), SIGNED_OK);
    tb_key_free(other);
    free(s);
    free(l);
    tb_key_free(k);
    free(pair);
}

Test(imagekit, key_sizes_and_buffer_keys)
{
    const char *names[] = {"rsa1024", "rsa4096"};
    for (int i = 0; i < 2; i++) {
        char file[64];
        snprintf(file, sizeof(file), "%s.key.pem", names[i]);
        uint8_t *pem, *s;
        size_t pem_len, slen;
        cr_assert_eq(imagekit_read_file(data_key(file), &pem, &pem_len, NULL, 0), 0);
        const uint8_t msg[] = "payload";
        cr_assert_eq(imagekit_sign(msg, 7, (const char *)pem, pem_len, false, &s, &slen, NULL, 0),
                     0);
        tb_key_t *k = tb_key_load(names[i]);
        signed_result_t res;
        cr_assert_eq(signed_image_verify_buffer(s, slen, tb_key_public(k), false, &res), SIGNED_OK);
        cr_assert_eq(slen, 7 + tb_key_modulus_len(k) + 4);
        tb_key_free(k);
        free(s);
        free(pem);
    }
}

/* Run a shell command (openssl), fail the test if it fails. */
static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), fmt, a, b);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

Test(imagekit, same_signature_as_openssl_for_every_key_encoding)
{
    char dir[] = "/tmp/imagekit-test-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    const char *key = data_key("rsa2048.key.pem");
    char p1[600], der[600], payload[600], ref[600], legacy_ref[600], digest[600];
    snprintf(p1, sizeof(p1), "%s/pkcs1.pem", dir);
    snprintf(der, sizeof(der), "%s/key.der", dir);
    snprintf(payload, sizeof(payload), "%s/payload", dir);
    snprintf(ref, sizeof(ref), "%s/ref.sig", dir);
    snprintf(legacy_ref, sizeof(legacy_ref), "%s/legacy.sig", dir);
    snprintf(digest, sizeof(digest), "%s/digest", dir);
    sh("openssl rsa -in %s -traditional -out %s 2>/dev/null", key, p1);
    sh("openssl pkcs8 -topk8 -nocrypt -in %s -outform DER -out %s", key, der);
    size_t len;
    uint8_t *pair = synth_pair("eboot", "basic", 1, 9000, &len);
    cr_assert_eq(imagekit_write_file(payload, pair, len, NULL, 0), 0);
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -sign %s -out %s %s", key, ref, payload);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof(cmd),
             "openssl dgst -sha256 -binary %s > %s && openssl pkeyutl -sign -inkey %s -in %s "
             "-out %s",
             payload, digest, key, digest, legacy_ref);
    cr_assert_eq(system(cmd), 0);
    uint8_t *refsig, *legsig;
    size_t reflen, leglen;
    cr_assert_eq(imagekit_read_file(ref, &refsig, &reflen, NULL, 0), 0);
    cr_assert_eq(imagekit_read_file(legacy_ref, &legsig, &leglen, NULL, 0), 0);
    cr_assert_eq(reflen, 256);
    cr_assert_eq(leglen, 256);
    /* PKCS#1 v1.5 is deterministic: every encoding of the key gives openssl's bytes. */
    const char *keys[] = {key, p1, der};
    for (int i = 0; i < 3; i++) {
        uint8_t *s;
        size_t slen;
        char err[256];
        cr_assert_eq(imagekit_sign(pair, len, keys[i], 0, false, &s, &slen, err, sizeof(err)), 0,
                     "%s: %s", keys[i], err);
        cr_assert_eq(memcmp(s + len, refsig, 256), 0, "%s", keys[i]);
        free(s);
        cr_assert_eq(imagekit_sign(pair, len, keys[i], 0, true, &s, &slen, err, sizeof(err)), 0);
        cr_assert_eq(memcmp(s + len, legsig, 256), 0, "legacy %s", keys[i]);
        free(s);
    }
    free(refsig);
    free(legsig);
    free(pair);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(imagekit, bad_keys_give_clear_errors)
{
    char err[256];
    cr_assert_null(imagekit_key_load("/nonexistent/key.pem", err, sizeof(err)));
    cr_assert(strstr(err, "/nonexistent/key.pem"), "%s", err);
    cr_assert_null(imagekit_key_load(data_key("rsa2048.pub.pem"), err, sizeof(err)));
    cr_assert(strstr(err, "public key"), "%s", err);
    const char junk[] = "hello, not a key";
    cr_assert_null(imagekit_key_parse((const uint8_t *)junk, sizeof(junk), err, sizeof(err)));
    cr_assert(strstr(err, "private key"), "%s", err);
    char dir[] = "/tmp/imagekit-ec-XXXXXX", path[600], cmd[800];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/ec.pem", dir);
    snprintf(cmd, sizeof(cmd), "openssl ecparam -name prime256v1 -genkey -noout -out %s", path);
    cr_assert_eq(system(cmd), 0);
    cr_assert_null(imagekit_key_load(path, err, sizeof(err)));
    cr_assert(strstr(err, "not an RSA key"), "%s", err);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(imagekit, signing_header_embeds_nul_terminated_key)
{
    uint8_t *pem;
    size_t pem_len;
    cr_assert_eq(imagekit_read_file(data_key("rsa2048.pub.pem"), &pem, &pem_len, NULL, 0), 0);
    char *text, err[256];
    cr_assert_eq(imagekit_signing_header(pem, pem_len, &text, err, sizeof(err)), 0, "%s", err);
    cr_assert(strstr(text, "#define ARDUINO_SIGNING 1\n"));
    /* Read the array back: every 0x.. after the opening brace. */
    const char *p = strchr(text, '{');
    cr_assert_not_null(p);
    size_t n = 0;
    uint8_t *bytes = malloc(pem_len + 8);
    unsigned v;
    while ((p = strstr(p, "0x")) != NULL) {
        cr_assert_eq(sscanf(p, "0x%2x", &v), 1);
        cr_assert_lt(n, pem_len + 1);
        bytes[n++] = (uint8_t)v;
        p += 4;
    }
    cr_assert_eq(n, pem_len + 1);
    cr_assert_eq(memcmp(bytes, pem, pem_len), 0);
    cr_assert_eq(bytes[pem_len], 0, "NUL terminator (the original lacks it)");
    free(bytes);
    free(text);
    /* A private key is not a public key. */
    uint8_t *priv;
    size_t priv_len;
    cr_assert_eq(imagekit_read_file(data_key("rsa2048.key.pem"), &priv, &priv_len, NULL, 0), 0);
    cr_assert_eq(imagekit_signing_header(priv, priv_len, &text, err, sizeof(err)), -1);
    cr_assert(strstr(err, "public key"), "%s", err);
    free(priv);
    free(pem);
}

Test(imagekit, synth_images_are_valid_and_differ_by_version)
{
    uint8_t *a1, *a2, *b;
    size_t l1, l2, lb;
    cr_assert_eq(imagekit_synth_app("basic", 1, 40000, &a1, &l1), 0);
    cr_assert_eq(imagekit_synth_app("basic", 2, 40000, &a2, &l2), 0);
    cr_assert_eq(l1, l2);
    cr_assert_geq(l1, 40000 - 64);
    cr_assert_leq(l1, 40000 + 64);
    cr_assert_neq(memcmp(a1, a2, l1), 0);
    image_info_t in;
    cr_assert_eq(image_parse_buffer(a1, l1, IMAGE_PARSE_CHECKSUM, &in), IMAGE_OK);
    cr_assert_eq(in.segment_count, 5);
    cr_assert_eq(in.segments[0].load_addr, IMAGE_IROM_ADDR);
    cr_assert(image_segment_loaded_by_eboot(in.segments[1].load_addr));
    cr_assert(image_segment_loaded_by_eboot(in.entry));
    app_desc_t d;
    cr_assert(app_desc_decode(a2 + APP_DESC_OFFSET, &d));
    cr_assert_str_eq(d.name, "basic");
    cr_assert_eq(d.version, 2);
    cr_assert_eq(imagekit_synth_boot("eboot", &b, &lb), 0);
    cr_assert_leq(lb, 4096);
    cr_assert_eq(image_parse_buffer(b, lb, IMAGE_PARSE_CHECKSUM, &in), IMAGE_OK);
    mem_reader_t m = {b, (uint32_t)lb};
    reader_t r = mem_reader(&m);
    cr_assert(image_find_boot_desc(&r, 0, (uint32_t)lb, &d));
    cr_assert_str_eq(d.name, "eboot");
    cr_assert_eq(imagekit_synth_boot("other", &b, &lb), -1);
    cr_assert_eq(imagekit_synth_app("", 1, 0, &a1, &l1), -1);
    cr_assert_eq(imagekit_synth_app("a-name-that-is-far-too-long", 1, 0, &a1, &l1), -1);
    free(a2);
}

Test(imagekit, images_dir_lookup)
{
    char dir[] = "/tmp/imagekit-dir-XXXXXX", path[600], err[512];
    cr_assert_not_null(mkdtemp(dir));
    imagekit_images_t imgs;
    cr_assert_eq(imagekit_find_images(dir, &imgs, err, sizeof(err)), 0);
    cr_assert(imgs.synthetic, "no SOURCE file: synthetic");
    snprintf(path, sizeof(path), "%s/SOURCE", dir);
    cr_assert_eq(imagekit_write_file(path, (const uint8_t *)"lx106\n", 6, NULL, 0), 0);
    setenv("OTASIM_IMAGES", dir, 1);
    cr_assert_eq(imagekit_find_images(NULL, &imgs, err, sizeof(err)), 0);
    cr_assert_str_eq(imgs.dir, dir);
    cr_assert(!imgs.synthetic);
    uint8_t *buf;
    size_t len;
    cr_assert_eq(imagekit_load(&imgs, "SOURCE", &buf, &len, err, sizeof(err)), 0);
    cr_assert_eq(len, 6);
    free(buf);
    cr_assert_eq(imagekit_load(&imgs, "basic-v9.bin", &buf, &len, err, sizeof(err)), -1);
    cr_assert(strstr(err, "basic-v9.bin"), "%s", err);
    cr_assert_eq(imagekit_load(&imgs, "../etc/passwd", &buf, &len, err, sizeof(err)), -1);
    cr_assert_eq(imagekit_find_images("/nonexistent/images", &imgs, err, sizeof(err)), -1);
    cr_assert(strstr(err, "/nonexistent/images"), "%s", err);
    unlink(path);
    rmdir(dir);
    unsetenv("OTASIM_IMAGES");
}

/* imagekit_pad_app (sized QEMU images): only .irom0.text grows, with filler after the original
 * bytes; the other segments, the header and a valid checksum are kept; bad inputs are refused. */
Test(imagekit, pad_app_grows_irom_only)
{
    uint8_t *app, *big, *big2;
    size_t len, blen, blen2;
    char err[200];
    cr_assert_eq(imagekit_synth_app("basic", 2, 0, &app, &len), 0);
    cr_assert_eq(imagekit_pad_app(app, len, 200000, 7, &big, &blen, err, sizeof err), 0, "%s", err);
    cr_expect(blen >= 200000 - 16 && blen <= 200000 + 16, "length %zu", blen);
    image_info_t a, b;
    cr_assert_eq(image_parse_buffer(app, len, IMAGE_PARSE_CHECKSUM, &a), IMAGE_OK);
    cr_assert_eq(image_parse_buffer(big, blen, IMAGE_PARSE_CHECKSUM, &b), IMAGE_OK);
    cr_expect_eq(b.checksum, b.checksum_calc);
    cr_expect_eq(a.segment_count, b.segment_count);
    cr_expect_eq(a.entry, b.entry);
    cr_expect_gt(b.segments[0].length, a.segments[0].length);
    cr_expect_eq(memcmp(app + a.segments[0].data_offset, big + b.segments[0].data_offset,
                        a.segments[0].length),
                 0);
    for (unsigned i = 1; i < a.segment_count; i++) {
        cr_expect_eq(a.segments[i].load_addr, b.segments[i].load_addr);
        cr_expect_eq(a.segments[i].length, b.segments[i].length);
        cr_expect_eq(memcmp(app + a.segments[i].data_offset, big + b.segments[i].data_offset,
                            a.segments[i].length),
                     0);
    }
    /* The filler compresses (like code), but not to nothing; another seed gives other bytes. */
    uint8_t *gz;
    size_t gzlen;
    cr_assert_eq(imagekit_gzip(big, blen, &gz, &gzlen, err, sizeof err), 0);
    cr_expect(gzlen > blen / 3 && gzlen < blen * 9 / 10, "gzip %zu of %zu", gzlen, blen);
    cr_assert_eq(imagekit_pad_app(app, len, 200000, 8, &big2, &blen2, err, sizeof err), 0);
    cr_expect_eq(blen2, blen);
    cr_expect_neq(memcmp(big, big2, blen), 0);
    /* Refused: a size below the image, above 1 MiB, and an image without .irom0.text first. */
    uint8_t *x = NULL;
    size_t xl;
    cr_expect_neq(imagekit_pad_app(app, len, len / 2, 7, &x, &xl, err, sizeof err), 0);
    cr_expect(strstr(err, "below"), "%s", err);
    cr_expect_neq(imagekit_pad_app(app, len, 0x200000, 7, &x, &xl, err, sizeof err), 0);
    uint8_t *boot;
    size_t bootlen;
    cr_assert_eq(imagekit_synth_boot("eboot", &boot, &bootlen), 0);
    cr_expect_neq(imagekit_pad_app(boot, bootlen, 200000, 7, &x, &xl, err, sizeof err), 0);
    cr_expect(strstr(err, ".irom0.text"), "%s", err);
    free(app);
    free(big);
    free(big2);
    free(gz);
    free(boot);
}
