#include "image_info.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "imagekit.h"
#include "reader.h"
#include "rsa_verify.h"
#include "signed_image.h"

static const char *region(uint32_t a)
{
    if (a >= 0x4010F000u && a < 0x40110000u)
        return "IRAM (bootloader page)";
    if (a >= 0x40100000u && a < 0x4010F000u)
        return "IRAM";
    if (a >= 0x3FFE8000u && a < 0x40000000u)
        return "DRAM";
    if (a >= 0x40200000u && a < 0x40300000u)
        return "flash-mapped (irom0)";
    return "other";
}

static const char *mode_name(uint8_t b)
{
    static const char *const names[] = {"QIO", "QOUT", "DIO", "DOUT"};
    return b < 4 ? names[b] : "unknown";
}

static void print_header(const char *indent, const image_info_t *in, bool walked)
{
    uint32_t size = image_flash_size_from_code(in->size_freq >> 4);
    uint32_t freq = image_flash_freq_from_code(in->size_freq & 15);
    printf("%sheader: %u segments, entry 0x%08x, flash %s (0x%02x), size ", indent,
           in->segment_count, in->entry, mode_name(in->flash_mode), in->flash_mode);
    if (size)
        printf("%uK", size / 1024);
    else
        printf("unknown");
    printf(" (code %u), freq ", in->size_freq >> 4);
    if (freq)
        printf("%u MHz\n", freq / 1000000);
    else
        printf("unknown (code %u)\n", in->size_freq & 15);
    for (unsigned i = 0; walked && i < in->segment_count; i++)
        printf("%s  segment %u: 0x%08x %7u bytes  %s\n", indent, i, in->segments[i].load_addr,
               in->segments[i].length, region(in->segments[i].load_addr));
    if (walked)
        printf("%slength: %u bytes\n", indent, in->length);
}

static void print_desc(const char *what, const app_desc_t *d)
{
    printf("  %s: %s@%u (build \"%s\")\n", what, d->name, d->version, d->build_id);
}

static void print_checksum(const char *indent, const image_info_t *in, bool without_crc)
{
    if (without_crc)
        printf("%schecksum: ok (0x%02x, computed with the CRC words zero, as elf2bin does)\n",
               indent, in->checksum);
    else
        printf("%schecksum: %s (stored 0x%02x, computed 0x%02x)\n", indent,
               in->checksum == in->checksum_calc ? "ok" : "MISMATCH", in->checksum,
               in->checksum_calc);
}

/* A bare image or a pair; returns true if valid. Prints nothing if `quiet`. */
/* bootloader.bin: a bootloader image padded with 0xAA to exactly its 4096-byte sector, as the
 * .bin pair carries it (only a bootloader, i.e. segment 0 in its IRAM page, is padded so). */
static bool padded_boot_sector(const uint8_t *buf, size_t len, const image_info_t *in)
{
    if (len != IMAGEKIT_BOOT_SECTOR || in->length >= len || in->segment_count == 0 ||
        (in->segments[0].load_addr & 0xFFFFF000u) != 0x4010F000u)
        return false;
    for (size_t i = in->length; i < len; i++)
        if (buf[i] != IMAGEKIT_BOOT_PAD)
            return false;
    return true;
}

static bool describe_image(const uint8_t *buf, size_t len, bool quiet, const char **why)
{
    static image_pair_info_t pi;
    mem_reader_t m = {buf, (uint32_t)len};
    reader_t r = mem_reader(&m);
    app_desc_t bd;
    /* A pair when an image at 0 ends within sector 0 and another starts at 0x1000 (an app
     * image whose code happens to hold 0xE9 at 0x1000 is not one). */
    image_info_t first;
    bool pair =
        len > IMAGE_APP_OFFSET && buf[IMAGE_APP_OFFSET] == IMAGE_MAGIC && buf[0] == IMAGE_MAGIC &&
        !(image_parse_buffer(buf, len, 0, &first) == IMAGE_OK && first.length > IMAGE_APP_OFFSET);
    if (pair) {
        image_status_t st = image_parse_pair_buffer(buf, len, IMAGE_PARSE_CHECKSUM, &pi);
        if (st == IMAGE_OK && pi.length != len) {
            *why = "bytes after the end of the app image";
            st = IMAGE_ERR_TRUNCATED;
        } else if (st != IMAGE_OK) {
            *why = image_status_str(st);
        }
        if (quiet)
            return st == IMAGE_OK;
        printf("  type: pair (.bin): bootloader at 0, app at 0x1000\n");
        if (pi.boot.segment_count) {
            printf("  bootloader image:\n");
            print_header("    ", &pi.boot, pi.boot.length != 0);
            if (pi.boot.checksum_checked)
                print_checksum("    ", &pi.boot, false);
            if (image_find_boot_desc(&r, 0, pi.boot.length, &bd))
                print_desc("boot descriptor", &bd);
            else
                printf("  boot descriptor: none\n");
        }
        if (pi.app.segment_count) {
            printf("  app image:\n");
            print_header("    ", &pi.app, pi.app.length != 0);
            if (pi.app.checksum_checked)
                print_checksum("    ", &pi.app, pi.app_checksum_without_crc);
            if (pi.has_desc)
                print_desc("descriptor", &pi.desc);
            else
                printf("  descriptor: none\n");
            if (!pi.has_crc)
                printf("  CRC: no __crc_len/__crc_val words\n");
            else if (pi.crc_checked)
                printf("  CRC: len %u, stored 0x%08x, computed 0x%08x: %s\n", pi.crc_len,
                       pi.crc_val, pi.crc_calc, pi.crc_val == pi.crc_calc ? "ok" : "MISMATCH");
            else
                printf("  CRC: len %u (past the end of the file): MISMATCH\n", pi.crc_len);
        }
        return st == IMAGE_OK;
    }
    image_info_t in;
    image_status_t st = image_parse_buffer(buf, len, IMAGE_PARSE_CHECKSUM, &in);
    bool padded = st == IMAGE_OK && padded_boot_sector(buf, len, &in);
    if (st == IMAGE_OK && in.length != len && !padded) {
        *why = "bytes after the end of the image";
        st = IMAGE_ERR_TRUNCATED;
    } else if (st != IMAGE_OK) {
        *why = image_status_str(st);
    }
    if (quiet)
        return st == IMAGE_OK;
    printf("  type: single image\n");
    if (in.segment_count)
        print_header("    ", &in, in.length != 0);
    if (in.checksum_checked)
        print_checksum("    ", &in, false);
    if (padded)
        printf("    padding: %zu bytes of 0x%02X to the %u-byte bootloader sector\n",
               len - in.length, IMAGEKIT_BOOT_PAD, IMAGEKIT_BOOT_SECTOR);
    app_desc_t d;
    if (in.segment_count && in.segments[0].load_addr == IMAGE_IROM_ADDR &&
        in.segments[0].length >= 8 + sizeof(app_desc_t) &&
        app_desc_decode(buf + APP_DESC_OFFSET, &d))
        print_desc("descriptor", &d);
    else if (st == IMAGE_OK && image_find_boot_desc(&r, 0, in.length, &bd))
        print_desc("boot descriptor", &bd);
    else
        printf("  descriptor: none\n");
    return st == IMAGE_OK;
}

static bool describe(const uint8_t *buf, size_t len, const rsa_public_key_t *key, int depth,
                     const char **why);

static bool describe_gzip(const uint8_t *buf, size_t len, const rsa_public_key_t *key, int depth,
                          const char **why)
{
    static char err[512];
    uint8_t *in;
    size_t in_len;
    if (imagekit_gunzip(buf, len, &in, &in_len, err, sizeof(err))) {
        printf("  gzip: %zu bytes: INVALID (%s)\n", len, err);
        *why = err;
        return false;
    }
    printf("  gzip: %zu bytes, %zu inflated (CRC-32 and ISIZE ok)\n", len, in_len);
    bool ok = describe(in, in_len, key, depth + 1, why);
    free(in);
    return ok;
}

/* Valid as it is (an image, a pair, or gzip of one), with no signature trailer? */
static bool valid_direct(const uint8_t *buf, size_t len)
{
    const char *why;
    if (imagekit_is_gzip(buf, len)) {
        uint8_t *in;
        size_t in_len;
        if (imagekit_gunzip(buf, len, &in, &in_len, NULL, 0))
            return false;
        bool ok = valid_direct(in, in_len);
        free(in);
        return ok;
    }
    return len >= 1 && buf[0] == IMAGE_MAGIC && describe_image(buf, len, true, &why);
}

static bool describe_signed(const uint8_t *buf, size_t len, const sig_trailer_t *t,
                            const rsa_public_key_t *key, int depth, const char **why)
{
    printf("  signed: yes, %u-byte signature (RSA-%u), payload %u bytes\n", t->sig_len,
           t->sig_len * 8, t->payload_len);
    bool sig_ok = true;
    if (key) {
        signed_result_t res;
        signed_status_t st = signed_image_verify_buffer(buf, len, key, true, &res);
        sig_ok = st == SIGNED_OK;
        if (sig_ok)
            printf("  signature: verified (%s)\n", res.legacy
                                                       ? "legacy format: raw digest, cores <= 2.5.2"
                                                       : "PKCS#1 v1.5, SHA-256 DigestInfo");
        else
            printf("  signature: INVALID (%s)\n", signed_status_str(st));
    } else {
        printf("  signature: not checked (give --publickey)\n");
    }
    bool inner = describe(buf, t->payload_len, key, depth + 1, why);
    if (!sig_ok)
        *why = "signature does not verify with the given key";
    return inner && sig_ok;
}

static bool describe(const uint8_t *buf, size_t len, const rsa_public_key_t *key, int depth,
                     const char **why)
{
    if (depth > 3) {
        *why = "nested too deeply";
        return false;
    }
    /* A valid file as it is is not read as signed, even if its last 4 bytes happen to look
     * like a signature length (#8707's confusion, the other way round). */
    if (!valid_direct(buf, len)) {
        sig_trailer_t t;
        if (sig_trailer_parse_buffer(buf, len, key ? (uint32_t)key->n_len : 0, &t) ==
                SIG_TRAILER_OK &&
            valid_direct(buf, t.payload_len))
            return describe_signed(buf, len, &t, key, depth, why);
    }
    if (depth == 0)
        printf("  signed: no\n");
    if (imagekit_is_gzip(buf, len))
        return describe_gzip(buf, len, key, depth, why);
    if (len >= 1 && buf[0] == IMAGE_MAGIC)
        return describe_image(buf, len, false, why);
    *why = "not an ESP8266 image (byte 0 is not 0xE9), a gzip file or a signed one";
    return false;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: otasim image info [--publickey PUB.pem] FILE...\n");
}

int image_info_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"publickey", required_argument, 0, 'p'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *pub = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            pub = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "otasim image info: no file given\n");
        usage(stderr);
        return 2;
    }
    char err[512];
    static rsa_public_key_t key;
    if (pub) {
        uint8_t *pem;
        size_t pem_len;
        if (imagekit_read_file(pub, &pem, &pem_len, err, sizeof(err))) {
            fprintf(stderr, "otasim image info: %s\n", err);
            return 1;
        }
        rsa_status_t st = rsa_parse_public_key_pem((const char *)pem, pem_len, &key);
        free(pem);
        if (st != RSA_OK) {
            fprintf(stderr, "otasim image info: %s: not an RSA public key (PEM)\n", pub);
            return 1;
        }
    }
    int bad = 0;
    for (int i = optind; i < argc; i++) {
        uint8_t *buf;
        size_t len;
        if (imagekit_read_file(argv[i], &buf, &len, err, sizeof(err))) {
            fprintf(stderr, "otasim image info: %s\n", err);
            bad++;
            continue;
        }
        printf("%s: %zu bytes\n", argv[i], len);
        const char *why = "invalid";
        bool ok = len <= UINT32_MAX && describe(buf, len, pub ? &key : NULL, 0, &why);
        free(buf);
        if (ok) {
            printf("  valid\n");
        } else {
            printf("  INVALID: %s\n", why);
            fprintf(stderr, "otasim image info: %s: invalid: %s\n", argv[i], why);
            bad++;
        }
    }
    return bad ? 1 : 0;
}
