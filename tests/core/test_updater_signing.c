/* Updater conformance: signed updates (spec §2.7, §2.6 step 5, §7.1).
 *   - a signed image is accepted and the boot command copies the payload only;
 *   - every sampled single-bit corruption (every 97th bit plus the first and last) of the
 *     payload, the signature and the length trailer is rejected with SIGN, no boot command;
 *   - an unsigned image to a signing device is rejected with the trailer read from the last
 *     payload bytes (#8707: 587202560);
 *   - the legacy format (raw digest) only when enabled; signed+gzip trims the size (#7570).
 * Images are signed by testlib with BearSSL and the keys in tests/core/data. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "inflate.h"
#include "updater_util.h"

static tdev_t *dev;
static tb_key_t *key;
static uint8_t *img; /* the payload */
static size_t img_len;

static void use_key(const tb_key_t *k, bool legacy)
{
    updater_config_t c = tdev_config(dev);
    c.signing_key = k != NULL ? tb_key_public(k) : NULL;
    c.legacy_signature = legacy;
    tdev_init_updater(dev, &c);
}

static void setup(void)
{
    dev = tdev_new("4m2m");
    key = tb_key_load("rsa2048");
    use_key(key, false);
    img = uu_small_pair(2, 0x40, 31, &img_len);
}

static void teardown(void)
{
    free(img);
    tb_key_free(key);
    tdev_free(dev);
}

TestSuite(updater_signing, .init = setup, .fini = teardown);

static void reinit(void)
{
    updater_config_t c = dev->up.cfg;
    tdev_init_updater(dev, &c);
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void expect_accepted(const uint8_t *signed_img, size_t signed_len, size_t payload_len)
{
    uint32_t stage = dev->layout.fs_start - uu_round4k((uint32_t)signed_len);
    cr_expect(uu_update(dev, signed_img, signed_len, U_FLASH, 4096), "%s", tdev_error_line(dev));
    uu_expect_copy_cmd(dev, stage, 0, (uint32_t)payload_len);
}

static void expect_rejected(const uint8_t *signed_img, size_t signed_len, const char *what)
{
    reinit();
    /* A stale command from an earlier accepted update must not count. */
    boot_cmd_clear();
    cr_expect_not(uu_update(dev, signed_img, signed_len, U_FLASH, 4096), "%s accepted", what);
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_SIGN, "%s: %s", what,
                 tdev_error_line(dev));
    uu_expect_no_cmd(dev);
}

Test(updater_signing, signed_image_accepted_for_each_key_size)
{
    const char *names[] = {"rsa1024", "rsa2048", "rsa4096"};
    for (int i = 0; i < 3; i++) {
        tb_key_t *k = tb_key_load(names[i]);
        use_key(k, false);
        size_t slen;
        uint8_t *s = tb_sign(k, img, img_len, false, &slen);
        cr_assert_eq(slen, img_len + tb_key_modulus_len(k) + 4);
        expect_accepted(s, slen, img_len);
        free(s);
        tb_key_free(k);
    }
}

/* Flip sampled bits of [from, to) of the signed image: every 97th bit, the first and the
 * last. Returns how many were tried. */
static unsigned flip_bits(const uint8_t *s, size_t slen, size_t from, size_t to, const char *what)
{
    uint8_t *c = malloc(slen);
    unsigned tried = 0;
    size_t first = from * 8, last = to * 8 - 1;
    for (size_t bit = first; bit <= last;) {
        memcpy(c, s, slen);
        c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        char label[64];
        snprintf(label, sizeof(label), "%s bit %zu", what, bit - first);
        expect_rejected(c, slen, label);
        tried++;
        if (bit == last) {
            break;
        }
        bit = bit + 97 > last ? last : bit + 97;
    }
    free(c);
    return tried;
}

Test(updater_signing, payload_bit_flips_rejected)
{
    size_t slen;
    uint8_t *s = tb_sign(key, img, img_len, false, &slen);
    unsigned n = flip_bits(s, slen, 0, img_len, "payload");
    cr_expect_geq(n, img_len * 8 / 97, "sampled %u bits", n);
    free(s);
}

Test(updater_signing, signature_bit_flips_rejected)
{
    size_t slen;
    uint8_t *s = tb_sign(key, img, img_len, false, &slen);
    flip_bits(s, slen, img_len, slen - 4, "signature");
    free(s);
}

Test(updater_signing, trailer_bit_flips_rejected)
{
    /* The length field is only 32 bits: flip every one of them. The field the Updater read is
     * the corrupted value. */
    size_t slen;
    uint8_t *s = tb_sign(key, img, img_len, false, &slen);
    uint8_t *c = malloc(slen);
    for (unsigned bit = 0; bit < 32; bit++) {
        memcpy(c, s, slen);
        c[slen - 4 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        char label[32];
        snprintf(label, sizeof(label), "trailer bit %u", bit);
        expect_rejected(c, slen, label);
        cr_expect_eq(dev->up.sig_len_read, le32(c + slen - 4), "%s", label);
        cr_expect_eq(dev->up.detail, UPDATER_DETAIL_SIG_TRAILER, "%s", label);
    }
    free(c);
    free(s);
}

Test(updater_signing, wrong_key_rejected)
{
    tb_key_t *other = tb_key_load("other2048");
    size_t slen;
    uint8_t *s = tb_sign(other, img, img_len, false, &slen);
    expect_rejected(s, slen, "signed with another key");
    cr_expect_eq(dev->up.detail, UPDATER_DETAIL_SIG_INVALID);
    free(s);
    tb_key_free(other);
}

Test(updater_signing, unsigned_image_reads_the_trailer_from_payload_8707)
{
    /* #8707 saw "sigLen from flash: 587202560" (0x23000000): the last four bytes of an elf2bin
     * image are zero padding and the checksum. Pick the seed whose checksum is 0x23. */
    uint8_t *u = NULL;
    size_t ulen = 0;
    for (uint32_t seed = 1; seed < 5000; seed++) {
        free(u);
        u = uu_small_pair(2, 0x40, seed, &ulen);
        if (le32(u + ulen - 4) == 587202560u) {
            break;
        }
    }
    cr_assert_eq(le32(u + ulen - 4), 587202560u, "an image ending 00 00 00 23");
    expect_rejected(u, ulen, "unsigned");
    cr_expect_eq(dev->up.sig_len_read, 587202560u);
    cr_expect_eq(dev->up.detail, UPDATER_DETAIL_SIG_TRAILER);
    free(u);
}

Test(updater_signing, legacy_only_when_enabled)
{
    size_t llen, slen;
    uint8_t *legacy = tb_sign(key, img, img_len, true, &llen);
    uint8_t *modern = tb_sign(key, img, img_len, false, &slen);
    expect_rejected(legacy, llen, "legacy, not enabled");
    use_key(key, true);
    expect_accepted(legacy, llen, img_len);
    reinit();
    expect_accepted(modern, slen, img_len);
    free(legacy);
    free(modern);
}

Test(updater_signing, md5_target_is_ignored)
{
    size_t slen;
    uint8_t *s = tb_sign(key, img, img_len, false, &slen);
    cr_assert(updater_begin(&dev->up, (uint32_t)slen, U_FLASH));
    cr_assert(updater_set_md5(&dev->up, "00000000000000000000000000000000"));
    cr_assert_eq(updater_write(&dev->up, s, (uint32_t)slen), slen);
    cr_expect(updater_end(&dev->up, false), "%s", tdev_error_line(dev));
    free(s);
}

Test(updater_signing, staged_byte_changed_before_end_rejected)
{
    /* SHA-256 is taken from flash: a payload byte changed in the stage after write(). */
    size_t slen;
    uint8_t *s = tb_sign(key, img, img_len, false, &slen);
    cr_assert(updater_begin(&dev->up, (uint32_t)slen, U_FLASH));
    cr_assert_eq(updater_write(&dev->up, s, (uint32_t)slen), slen);
    uint32_t at = updater_start_address(&dev->up) + 7000;
    uint8_t b = (uint8_t)(s[7000] ^ 0x04);
    flashsim_poke(dev->fs, at, &b, 1);
    cr_expect_not(updater_end(&dev->up, false));
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_SIGN);
    uu_expect_no_cmd(dev);
    free(s);
}

Test(updater_signing, patched_flash_mode_keeps_the_signature_valid)
{
    /* otasim fix: a QIO image to a DIO device is patched, and still verifies (the original
     * hashes the patched flash and rejects it). */
    free(img);
    img = uu_small_pair(0, 0x40, 32, &img_len);
    size_t slen;
    uint8_t *s = tb_sign(key, img, img_len, false, &slen);
    expect_accepted(s, slen, img_len);
    uint8_t b2;
    flashsim_peek(dev->fs, dev->layout.fs_start - uu_round4k((uint32_t)slen) + 2, &b2, 1);
    cr_expect_eq(b2, 2, "byte 2 patched to the running DIO");
    free(s);
}

Test(updater_signing, too_short_for_the_signature_rejected)
{
    /* A trailer claiming 256 bytes of signature in a 100-byte upload. */
    uint8_t small[100];
    memset(small, 0, sizeof(small));
    small[0] = 0xE9;
    small[96] = 0x00;
    small[97] = 0x01;
    expect_rejected(small, sizeof(small), "100 bytes");
}

Test(updater_signing, require_signature_without_a_key_refuses)
{
    updater_config_t c = tdev_config(dev);
    c.require_signature = true;
    tdev_init_updater(dev, &c);
    cr_expect_not(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_SIGN);
    cr_expect_eq(dev->up.detail, UPDATER_DETAIL_NO_KEY);
}

Test(updater_signing, signed_gzip_trims_the_size_to_the_payload_7570)
{
    static inflate_state_t work;
    updater_config_t c = tdev_config(dev);
    c.signing_key = tb_key_public(key);
    c.inflate_work = &work;
    tdev_init_updater(dev, &c);
    size_t gz_len, slen;
    uint8_t *gz = tb_gzip(img, img_len, &gz_len);
    uint8_t *s = tb_sign(key, gz, gz_len, false, &slen);
    expect_accepted(s, slen, gz_len);
    /* Where the bootloader reads ISIZE: the last 4 bytes of [src, src + size). */
    uu_cmd_t cmd = uu_read_cmd(dev);
    uint8_t isize[4];
    flashsim_peek(dev->fs, cmd.cmd.args[0] + cmd.cmd.args[2] - 4, isize, 4);
    cr_expect_eq(le32(isize), (uint32_t)img_len, "ISIZE at the end of the copied range");
    free(s);
    free(gz);
}
