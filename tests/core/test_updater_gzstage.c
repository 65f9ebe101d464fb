/* Updater conformance: inflate_to_stage (updater_gzstage.c), for a bootloader that cannot
 * inflate. writeStream() inflates a gzip upload as it arrives and stages the decompressed
 * image right after the running sketch; end() checks the signature or MD5 over the bytes
 * received, the gzip CRC-32/ISIZE, the member length and the decompressed pair (read back
 * from flash), then writes a COPY_RAW of the decompressed size. Every rejection leaves no
 * boot command; the negative controls are the same inputs uncorrupted (accepted). gzip
 * streams come from zlib (tb_gzip), signatures from BearSSL (tb_sign). */
#include <criterion/criterion.h>
#include <stdio.h>

#include "inflate.h"
#include "updater_util.h"

static tdev_t *dev;
static inflate_state_t work;
static uint8_t *img, *gz;
static size_t img_len, gz_len;

static void configure(const rsa_public_key_t *key, bool with_work)
{
    updater_config_t c = tdev_config(dev);
    c.inflate_work = with_work ? &work : NULL;
    c.inflate_to_stage = true;
    c.signing_key = key;
    tdev_init_updater(dev, &c);
}

static void setup_layout(const char *layout)
{
    dev = tdev_new(layout);
    configure(NULL, true);
    img = uu_small_pair(2, 0x40, 41, &img_len);
    gz = tb_gzip(img, img_len, &gz_len);
}

static void setup(void)
{
    setup_layout("4m2m");
}

static void teardown(void)
{
    free(gz);
    free(img);
    tdev_free(dev);
}

TestSuite(updater_gzstage, .init = setup, .fini = teardown);

/* Where the stage starts: the first sector after the running sketch. */
static uint32_t low_stage(void)
{
    return uu_round4k(uu_spec_sketch_size(dev));
}

/* begin(declared) + writeStream(data, len) (+ setMD5) + end(false). */
static bool stream_update(const uint8_t *data, size_t len, uint32_t declared, const char *md5)
{
    if (!updater_begin(&dev->up, declared, U_FLASH)) {
        return false;
    }
    if (md5 != NULL) {
        cr_assert(updater_set_md5(&dev->up, md5));
    }
    tstream_t ts;
    update_stream_t s = tstream_make(&ts, data, len);
    uint32_t got = updater_write_stream(&dev->up, &s, 2000);
    if (updater_is_running(&dev->up)) {
        /* The accessors count the upload's bytes, not the (larger) decompressed output. */
        cr_expect_eq(got, len);
        cr_expect_eq(updater_progress(&dev->up), declared);
        cr_expect_eq(updater_remaining(&dev->up), 0u);
        cr_expect(updater_is_finished(&dev->up));
    }
    return updater_end(&dev->up, false);
}

static void expect_staged(const uint8_t *want, size_t want_len)
{
    uu_expect_copy_cmd(dev, low_stage(), 0, (uint32_t)want_len);
    uint8_t *got = malloc(want_len);
    flashsim_peek(dev->fs, low_stage(), got, (uint32_t)want_len);
    cr_expect_arr_eq(got, want, want_len, "the stage holds the decompressed image");
    free(got);
    /* The running sketch below the stage is untouched. */
    uint8_t *sk = malloc(dev->sketch_len);
    flashsim_peek(dev->fs, 0, sk, (uint32_t)dev->sketch_len);
    cr_expect_arr_eq(sk, dev->sketch, dev->sketch_len, "the running sketch is intact");
    free(sk);
}

static void expect_rejected(const uint8_t *data, size_t len, uint32_t declared,
                            update_error_t error, updater_detail_t detail, const char *what)
{
    boot_cmd_clear();
    cr_expect_not(stream_update(data, len, declared, NULL), "%s accepted", what);
    cr_expect_eq(updater_get_error(&dev->up), error, "%s: %s", what, tdev_error_line(dev));
    cr_expect_eq(dev->up.detail, detail, "%s: detail %d", what, (int)dev->up.detail);
    uu_expect_no_cmd(dev);
}

Test(updater_gzstage, gzip_inflated_into_the_stage)
{
    cr_assert_eq(gz[0], 0x1F);
    cr_expect(stream_update(gz, gz_len, (uint32_t)gz_len, NULL), "%s", tdev_error_line(dev));
    expect_staged(img, img_len);
    /* md5String(): over the bytes received (the uploaded file), as the original. */
    char want[33], got[33];
    ref_md5_hex(gz, gz_len, want);
    cr_assert(updater_md5_string(&dev->up, got));
    cr_expect_str_eq(got, want);
}

Test(updater_gzstage, md5_is_over_the_uploaded_file)
{
    char md5_gz[33], md5_img[33];
    ref_md5_hex(gz, gz_len, md5_gz);
    ref_md5_hex(img, img_len, md5_img);
    cr_expect(stream_update(gz, gz_len, (uint32_t)gz_len, md5_gz), "%s", tdev_error_line(dev));
    boot_cmd_clear();
    cr_expect_not(stream_update(gz, gz_len, (uint32_t)gz_len, md5_img),
                  "the MD5 of the decompressed image is not the upload's");
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_MD5, "%s", tdev_error_line(dev));
    uu_expect_no_cmd(dev);
}

Test(updater_gzstage, corrupt_gzip_rejected)
{
    uint8_t *c = malloc(gz_len + 16);
    struct {
        const char *what;
        size_t at; /* byte flipped (from the end when >= gz_len: gz_len + k means k from end) */
        update_error_t error;
        updater_detail_t detail;
    } cases[] = {
        {"CRC-32", gz_len + 8, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CHECKSUM},
        {"ISIZE", gz_len + 2, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CHECKSUM},
        {"gzip magic", 1, UPDATE_ERROR_MAGIC_BYTE, UPDATER_DETAIL_NONE},
        {"gzip method", 2, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CORRUPT},
        {"deflate data", 200, UPDATE_ERROR_IMAGE, 0},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(c, gz, gz_len);
        size_t at = cases[i].at >= gz_len ? gz_len - (cases[i].at - gz_len) : cases[i].at;
        c[at] ^= 0x5A;
        configure(NULL, true);
        boot_cmd_clear();
        cr_expect_not(stream_update(c, gz_len, (uint32_t)gz_len, NULL), "%s accepted",
                      cases[i].what);
        cr_expect_eq(updater_get_error(&dev->up), cases[i].error, "%s: %s", cases[i].what,
                     tdev_error_line(dev));
        if (cases[i].detail != 0) {
            cr_expect_eq(dev->up.detail, cases[i].detail, "%s: detail %d", cases[i].what,
                         (int)dev->up.detail);
        }
        uu_expect_no_cmd(dev);
    }
    /* Truncated (the declared size is what arrives) and trailing bytes. */
    expect_rejected(gz, gz_len - 100, (uint32_t)gz_len - 100, UPDATE_ERROR_IMAGE,
                    UPDATER_DETAIL_GZIP_CORRUPT, "truncated");
    memcpy(c, gz, gz_len);
    memset(c + gz_len, 0, 16);
    expect_rejected(c, gz_len + 16, (uint32_t)gz_len + 16, UPDATE_ERROR_IMAGE,
                    UPDATER_DETAIL_GZIP_TRAILING, "trailing bytes");
    free(c);
    /* Garbage after a gzip-looking first byte. */
    uint8_t *g = uu_pattern(5000, 9);
    g[0] = 0x1F;
    g[1] = 0x8B;
    expect_rejected(g, 5000, 5000, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CORRUPT, "garbage");
    /* 0x1F but not gzip: the magic check's verdict, as on a device whose bootloader inflates. */
    g[1] = 0x00;
    expect_rejected(g, 5000, 5000, UPDATE_ERROR_MAGIC_BYTE, UPDATER_DETAIL_NONE, "1F 00");
    free(g);
}

Test(updater_gzstage, stall_is_a_stream_timeout)
{
    boot_cmd_clear();
    cr_expect_not(stream_update(gz, gz_len / 2, (uint32_t)gz_len, NULL));
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_STREAM, "%s", tdev_error_line(dev));
    uu_expect_no_cmd(dev);
}

Test(updater_gzstage, inner_image_checked)
{
    /* A bad app checksum inside a valid gzip member. */
    uint8_t *bad = malloc(img_len);
    memcpy(bad, img, img_len);
    bad[img_len - 1] ^= 0x01;
    size_t bl;
    uint8_t *bgz = tb_gzip(bad, img_len, &bl);
    expect_rejected(bgz, bl, (uint32_t)bl, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_IMAGE_INVALID,
                    "bad checksum");
    free(bgz);
    /* Not an image at all. */
    bad[0] = 0x00;
    bgz = tb_gzip(bad, img_len, &bl);
    expect_rejected(bgz, bl, (uint32_t)bl, UPDATE_ERROR_MAGIC_BYTE, UPDATER_DETAIL_NONE,
                    "wrong magic");
    free(bgz);
    /* A header declaring 16 MB on a 4 MB chip. */
    memcpy(bad, img, img_len);
    bad[3] = 0x90;
    bgz = tb_gzip(bad, img_len, &bl);
    expect_rejected(bgz, bl, (uint32_t)bl, UPDATE_ERROR_NEW_FLASH_CONFIG, UPDATER_DETAIL_NONE,
                    "flash size");
    free(bgz);
    free(bad);
}

/* 1m512 with a 300 KB sketch leaves about 190 KiB: zeros compress to almost nothing, so only
 * the decompressed size can be too big. The control (100 KiB) fits and fails later, on the
 * magic byte. */
Test(updater_gzstage, decompressed_larger_than_the_stage)
{
    teardown();
    setup_layout("1m512");
    uint32_t room = dev->layout.fs_start - low_stage();
    cr_assert_gt(room, 100u * 1024u);
    size_t big_len = room + 1, zl;
    uint8_t *zeros = calloc(1, big_len);
    uint8_t *z = tb_gzip(zeros, big_len, &zl);
    cr_assert_lt(zl, 4096u);
    expect_rejected(z, zl, (uint32_t)zl, UPDATE_ERROR_SPACE, UPDATER_DETAIL_GZIP_TOO_BIG,
                    "one byte over");
    free(z);
    z = tb_gzip(zeros, 100u * 1024u, &zl);
    expect_rejected(z, zl, (uint32_t)zl, UPDATE_ERROR_MAGIC_BYTE, UPDATER_DETAIL_NONE,
                    "control: fits");
    free(z);
    free(zeros);
}

Test(updater_gzstage, signed_gzip)
{
    tb_key_t *k = tb_key_load("rsa2048");
    configure(tb_key_public(k), true);
    size_t sl;
    uint8_t *s = tb_sign(k, gz, gz_len, false, &sl);
    cr_expect(stream_update(s, sl, (uint32_t)sl, NULL), "%s", tdev_error_line(dev));
    expect_staged(img, img_len);

    /* One bit of the payload, of the signature; no signature at all. The signature is
     * checked first: a payload bit is SIGN, not a gzip error. */
    size_t flips[] = {100, gz_len + 10};
    for (unsigned i = 0; i < 2; i++) {
        s[flips[i]] ^= 0x10;
        configure(tb_key_public(k), true);
        expect_rejected(s, sl, (uint32_t)sl, UPDATE_ERROR_SIGN, UPDATER_DETAIL_SIG_INVALID,
                        i == 0 ? "payload bit" : "signature bit");
        s[flips[i]] ^= 0x10;
    }
    configure(tb_key_public(k), true);
    expect_rejected(gz, gz_len, (uint32_t)gz_len, UPDATE_ERROR_SIGN, UPDATER_DETAIL_SIG_TRAILER,
                    "unsigned");
    free(s);
    tb_key_free(k);
}

/* write() pushes its bytes, so the upload is staged compressed (end-aligned below the
 * filesystem) and end() inflates it into the raw stage below. */
Test(updater_gzstage, gzip_through_write_inflated_at_end)
{
    cr_expect(uu_update(dev, gz, gz_len, U_FLASH, 1000), "%s", tdev_error_line(dev));
    expect_staged(img, img_len);
    char want[33], got[33];
    ref_md5_hex(gz, gz_len, want);
    cr_assert(updater_md5_string(&dev->up, got));
    cr_expect_str_eq(got, want, "MD5 of the uploaded file");
    /* Corrupt CRC-32, truncated, trailing. */
    uint8_t *c = malloc(gz_len + 8);
    memcpy(c, gz, gz_len);
    c[gz_len - 7] ^= 0x40;
    boot_cmd_clear();
    cr_expect_not(uu_update(dev, c, gz_len, U_FLASH, 1000));
    cr_expect_eq(dev->up.detail, UPDATER_DETAIL_GZIP_CHECKSUM, "%s", tdev_error_line(dev));
    uu_expect_no_cmd(dev);
    cr_expect_not(uu_update(dev, gz, gz_len - 50, U_FLASH, 1000));
    cr_expect_eq(dev->up.detail, UPDATER_DETAIL_GZIP_CORRUPT, "%s", tdev_error_line(dev));
    uu_expect_no_cmd(dev);
    memcpy(c, gz, gz_len);
    memset(c + gz_len, 0xFF, 8);
    cr_expect_not(uu_update(dev, c, gz_len + 8, U_FLASH, 1000));
    cr_expect_eq(dev->up.detail, UPDATER_DETAIL_GZIP_TRAILING, "%s", tdev_error_line(dev));
    uu_expect_no_cmd(dev);
    free(c);
    /* Signed: the signature is checked on the compressed stage first. */
    tb_key_t *k = tb_key_load("rsa2048");
    configure(tb_key_public(k), true);
    size_t sl;
    uint8_t *s = tb_sign(k, gz, gz_len, false, &sl);
    cr_expect(uu_update(dev, s, sl, U_FLASH, 1000), "%s", tdev_error_line(dev));
    expect_staged(img, img_len);
    s[50] ^= 1;
    boot_cmd_clear();
    cr_expect_not(uu_update(dev, s, sl, U_FLASH, 1000));
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_SIGN, "%s", tdev_error_line(dev));
    uu_expect_no_cmd(dev);
    free(s);
    tb_key_free(k);
}

/* The output grows towards the compressed input: zeros (tiny input, big output) reach it
 * before the inflater has consumed it, and end() stops there (no boot command, the running
 * sketch intact). Control: the same through writeStream() (no compressed stage) fits. */
Test(updater_gzstage, write_path_output_meeting_input_refused)
{
    teardown();
    setup_layout("1m512");
    uint32_t room = dev->layout.fs_start - low_stage();
    size_t zl, n = room - 100; /* past the compressed stage, inside the room */
    uint8_t *zeros = calloc(1, n);
    uint8_t *z = tb_gzip(zeros, n, &zl);
    boot_cmd_clear();
    cr_expect_not(uu_update(dev, z, zl, U_FLASH, 1000));
    cr_expect_eq(dev->up.detail, UPDATER_DETAIL_GZIP_OVERLAP, "%s", tdev_error_line(dev));
    uu_expect_no_cmd(dev);
    uint8_t *sk = malloc(dev->sketch_len);
    flashsim_peek(dev->fs, 0, sk, (uint32_t)dev->sketch_len);
    cr_expect_arr_eq(sk, dev->sketch, dev->sketch_len, "the running sketch is intact");
    free(sk);
    cr_expect_not(stream_update(z, zl, (uint32_t)zl, NULL));
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_MAGIC_BYTE, "control: %s",
                 tdev_error_line(dev));
    free(z);
    free(zeros);
}

Test(updater_gzstage, raw_image_unchanged)
{
    /* Control: a raw image is staged as usual (end-aligned below the filesystem). */
    cr_expect(uu_update(dev, img, img_len, U_FLASH, 4096), "%s", tdev_error_line(dev));
    uu_expect_copy_cmd(dev, dev->layout.fs_start - uu_round4k((uint32_t)img_len), 0,
                       (uint32_t)img_len);
}

Test(updater_gzstage, atomic_fs_gzip_refused)
{
    /* The bootloader would copy a compressed FS image as it is. */
    updater_config_t c = dev->up.cfg;
    c.atomic_fs_update = true;
    tdev_init_updater(dev, &c);
    cr_expect_not(uu_update(dev, gz, gz_len, U_FS, 4096));
    cr_expect_eq(dev->up.detail, UPDATER_DETAIL_GZIP_NO_INFLATER, "%s", tdev_error_line(dev));
    uu_expect_no_cmd(dev);
}

Test(updater_gzstage, no_work_area_refused)
{
    configure(NULL, false);
    expect_rejected(gz, gz_len, (uint32_t)gz_len, UPDATE_ERROR_IMAGE,
                    UPDATER_DETAIL_GZIP_NO_WORK_AREA, "no work area");
}

Test(updater_gzstage, stale_command_over_the_new_stage_cancelled)
{
    /* A pending command from an earlier end() whose source lies where the low stage goes. */
    boot_cmd_t cmd;
    boot_cmd_make(&cmd, BOOT_CMD_COPY_RAW, low_stage(), 0, 8192);
    cr_assert_eq(boot_cmd_write(&cmd), HAL_OK);
    uint8_t *g = uu_pattern(5000, 3);
    g[0] = 0x1F;
    cr_expect_not(stream_update(g, 5000, 5000, NULL));
    uu_expect_no_cmd(dev);
    free(g);
}
