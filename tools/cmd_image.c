/* otasim image: build (ELF -> image or .bin pair), info, merge, synth, gzip. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "elf_sections.h"
#include "image.h"
#include "image_build.h"
#include "image_info.h"
#include "imagekit.h"
#include "layout.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: otasim image build (--boot ELF|IMG | --app ELF|IMG | --boot X --app Y) -o OUT\n"
        "                          [--flash-mode qio|qout|dio|dout] [--flash-size 4M]\n"
        "                          [--flash-freq 20|26|40|80] [--pad]\n"
        "       otasim image info [--publickey PUB.pem] FILE...\n"
        "       otasim image merge --layout NAME --bin FILE.bin [--fs FS.img] -o FLASH.bin\n"
        "       otasim image synth (--app NAME --version N [--size BYTES] | --boot "
        "eboot|safeboot|safeboot-raw) -o OUT\n"
        "       otasim image gzip IN -o OUT.gz\n"
        "\n"
        "build: --boot alone writes a bootloader image (<= 4096 B; --pad: padded with\n"
        "       0xAA to exactly 4096 B, the bootloader.bin of sector 0); --app alone an app\n"
        "       image; both write the .bin pair (bootloader padded with 0xAA to 4 KiB, app\n"
        "       at 0x1000, __crc_len/__crc_val filled), as elf2bin does. Defaults: dio, 4M, 40.\n"
        "info:  validates each file (image, pair, gzip, signed); exit 1 if any is invalid.\n"
        "merge: the whole flash for a layout: .bin at 0, FS image at the layout's FS start,\n"
        "       0xFF elsewhere.\n");
}

static int fail(const char *msg)
{
    fprintf(stderr, "otasim image: %s\n", msg);
    return 1;
}

static int misuse(const char *msg)
{
    fprintf(stderr, "otasim image: %s\n\n", msg);
    usage(stderr);
    return 2;
}

static int write_out(const char *path, const uint8_t *buf, size_t len)
{
    char err[512];
    if (imagekit_write_file(path, buf, len, err, sizeof(err)))
        return fail(err);
    return 0;
}

/* An image from an ELF, or an existing image file (header bytes then replaced if given). */
static int load_image(const char *path, image_kind_t kind, const imagekit_header_t *hdr,
                      bool hdr_given, uint8_t **out, size_t *out_len)
{
    char err[512], msg[700];
    uint8_t *buf;
    size_t len;
    if (imagekit_read_file(path, &buf, &len, err, sizeof(err)))
        return fail(err);
    if (elf_is_elf(buf, len)) {
        int rc = image_from_elf(buf, len, kind, hdr, out, out_len, err, sizeof(err));
        free(buf);
        if (rc) {
            snprintf(msg, sizeof(msg), "%s: %s", path, err);
            return fail(msg);
        }
        return 0;
    }
    image_info_t info;
    image_status_t st = image_parse_buffer(buf, len, IMAGE_PARSE_HEADERS, &info);
    if (st != IMAGE_OK || info.length != len) {
        snprintf(msg, sizeof(msg), "%s: expected an lx106 ELF or an ESP8266 image (%s)", path,
                 st != IMAGE_OK ? image_status_str(st) : "trailing bytes after the image");
        free(buf);
        return fail(msg);
    }
    if (hdr_given) {
        buf[2] = hdr->flash_mode;
        buf[3] = hdr->size_freq;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

static int cmd_build(int argc, char **argv)
{
    static const struct option opts[] = {
        {"boot", required_argument, 0, 'b'},
        {"app", required_argument, 0, 'a'},
        {"out", required_argument, 0, 'o'},
        {"flash-mode", required_argument, 0, 'm'},
        {"flash-size", required_argument, 0, 's'},
        {"flash-freq", required_argument, 0, 'f'},
        {"pad", no_argument, 0, 'p'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *boot = NULL, *app = NULL, *out = NULL;
    bool pad = false;
    int mode = IMAGEKIT_DEFAULT_MODE, size = IMAGEKIT_DEFAULT_SIZE_FREQ >> 4,
        freq = IMAGEKIT_DEFAULT_SIZE_FREQ & 15;
    bool hdr_given = false;
    int c;
    while ((c = getopt_long(argc, argv, "b:a:o:m:s:f:ph", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            boot = optarg;
            break;
        case 'p':
            pad = true;
            break;
        case 'a':
            app = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'm':
            if ((mode = image_parse_mode(optarg)) < 0)
                return misuse("--flash-mode must be qio, qout, dio or dout");
            hdr_given = true;
            break;
        case 's':
            if ((size = image_parse_size(optarg)) < 0)
                return misuse("--flash-size must be 256K, 512K, 1M, 2M, 4M, 8M or 16M");
            hdr_given = true;
            break;
        case 'f':
            if ((freq = image_parse_freq(optarg)) < 0)
                return misuse("--flash-freq must be 20, 26, 40 or 80");
            hdr_given = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc)
        return misuse("build takes no positional arguments");
    if (!out || (!boot && !app))
        return misuse("build needs -o OUT and --boot and/or --app");
    if (pad && (!boot || app))
        return misuse("--pad applies to a bootloader image alone (--boot without --app)");
    imagekit_header_t hdr = {(uint8_t)mode, (uint8_t)(size << 4 | freq), 0};
    uint8_t *bimg = NULL, *aimg = NULL;
    size_t blen = 0, alen = 0;
    if (boot && load_image(boot, IMAGE_KIND_BOOT, &hdr, hdr_given, &bimg, &blen))
        return 1;
    if (bimg && blen > IMAGEKIT_BOOT_SECTOR) {
        fprintf(stderr, "otasim image: %s: bootloader image is %zu bytes, more than %u\n", boot,
                blen, IMAGEKIT_BOOT_SECTOR);
        free(bimg);
        return 1;
    }
    if (app && load_image(app, IMAGE_KIND_APP, &hdr, hdr_given, &aimg, &alen)) {
        free(bimg);
        return 1;
    }
    int rc;
    if (bimg && aimg) {
        char err[512];
        uint8_t *pair;
        size_t plen;
        if (imagekit_pack_pair(bimg, blen, aimg, alen, &pair, &plen, err, sizeof(err)))
            rc = fail(err);
        else {
            rc = write_out(out, pair, plen);
            free(pair);
        }
    } else if (bimg && pad) {
        /* bootloader.bin: what sits in sector 0, as the .bin pair carries it. */
        uint8_t sector[IMAGEKIT_BOOT_SECTOR];
        memset(sector, IMAGEKIT_BOOT_PAD, sizeof sector);
        memcpy(sector, bimg, blen);
        rc = write_out(out, sector, sizeof sector);
    } else {
        rc = write_out(out, bimg ? bimg : aimg, bimg ? blen : alen);
    }
    free(bimg);
    free(aimg);
    return rc;
}

static int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"layout", required_argument, 0, 'l'}, {"bin", required_argument, 0, 'b'},
        {"fs", required_argument, 0, 'F'},     {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
    };
    const char *lname = NULL, *bin = NULL, *fs = NULL, *out = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "l:b:F:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            lname = optarg;
            break;
        case 'b':
            bin = optarg;
            break;
        case 'F':
            fs = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || !lname || !bin || !out)
        return misuse("merge needs --layout NAME --bin FILE.bin -o OUT [--fs FS.img]");
    flash_layout_t l;
    if (!strcmp(lname, "auto") || !layout_by_name(lname, 0, &l)) {
        char msg[1024];
        int n = snprintf(msg, sizeof(msg), "unknown layout '%s'; expected one of:", lname);
        for (unsigned i = 0; i < layout_count() && n < (int)sizeof(msg) - 20; i++)
            n += snprintf(msg + n, sizeof(msg) - (size_t)n, " %s", layout_name(i));
        return misuse(msg);
    }
    char err[512], msg[700];
    uint8_t *bbuf, *fbuf = NULL;
    size_t blen, flen = 0;
    if (imagekit_read_file(bin, &bbuf, &blen, err, sizeof(err)))
        return fail(err);
    image_pair_info_t pi;
    image_status_t st = image_parse_pair_buffer(bbuf, blen, IMAGE_PARSE_CHECKSUM, &pi);
    if (st != IMAGE_OK) {
        snprintf(msg, sizeof(msg), "%s: not a valid .bin pair (%s)", bin, image_status_str(st));
        free(bbuf);
        return fail(msg);
    }
    if (blen > l.max_sketch) {
        snprintf(msg, sizeof(msg), "%s: %zu bytes exceed the largest sketch of %s (%u)", bin, blen,
                 l.name, l.max_sketch);
        free(bbuf);
        return fail(msg);
    }
    if (fs) {
        if (imagekit_read_file(fs, &fbuf, &flen, err, sizeof(err))) {
            free(bbuf);
            return fail(err);
        }
        if (l.fs_end == l.fs_start || flen > l.fs_end - l.fs_start) {
            snprintf(msg, sizeof(msg), "%s: %zu bytes do not fit the FS area of %s (%u bytes)", fs,
                     flen, l.name, l.fs_end - l.fs_start);
            free(bbuf);
            free(fbuf);
            return fail(msg);
        }
    }
    uint8_t *flash = malloc(l.flash_size);
    if (!flash) {
        free(bbuf);
        free(fbuf);
        return fail("out of memory");
    }
    memset(flash, 0xFF, l.flash_size); /* erased NOR flash */
    memcpy(flash, bbuf, blen);
    if (fbuf)
        memcpy(flash + l.fs_start, fbuf, flen);
    int rc = write_out(out, flash, l.flash_size);
    free(flash);
    free(bbuf);
    free(fbuf);
    return rc;
}

static int cmd_synth(int argc, char **argv)
{
    static const struct option opts[] = {
        {"app", required_argument, 0, 'a'},
        {"version", required_argument, 0, 'v'},
        {"size", required_argument, 0, 's'},
        {"boot", required_argument, 0, 'b'},
        {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *app = NULL, *boot = NULL, *out = NULL, *ver = NULL, *size = "0";
    int c;
    while ((c = getopt_long(argc, argv, "a:v:s:b:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            app = optarg;
            break;
        case 'v':
            ver = optarg;
            break;
        case 's':
            size = optarg;
            break;
        case 'b':
            boot = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || !out || !app == !boot || (app && !ver))
        return misuse("synth needs -o OUT and either --app NAME --version N or --boot MODE");
    uint8_t *img;
    size_t len;
    if (app) {
        char *end;
        unsigned long v = strtoul(ver, &end, 10), sz = strtoul(size, &end, 10);
        if (*end)
            return misuse("--size must be a number of bytes");
        if (imagekit_synth_app(app, (uint32_t)v, sz, &img, &len))
            return fail("cannot synthesize that app (name 1..23 characters, size <= 1 MiB)");
    } else if (imagekit_synth_boot(boot, &img, &len)) {
        return misuse("--boot must be eboot, safeboot or safeboot-raw");
    }
    int rc = write_out(out, img, len);
    free(img);
    return rc;
}

static int cmd_gzip(int argc, char **argv)
{
    const char *out = NULL;
    int c;
    while ((c = getopt(argc, argv, "o:h")) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!out || optind != argc - 1)
        return misuse("gzip needs one input file and -o OUT");
    char err[512];
    uint8_t *in, *gz;
    size_t len, gzlen;
    if (imagekit_read_file(argv[optind], &in, &len, err, sizeof(err)))
        return fail(err);
    int rc = imagekit_gzip(in, len, &gz, &gzlen, err, sizeof(err));
    free(in);
    if (rc)
        return fail(err);
    rc = write_out(out, gz, gzlen);
    free(gz);
    return rc;
}

int cmd_image(int argc, char **argv)
{
    if (argc < 2)
        return misuse("missing subcommand");
    const char *sub = argv[1];
    optind = 1;
    if (!strcmp(sub, "build"))
        return cmd_build(argc - 1, argv + 1);
    if (!strcmp(sub, "info"))
        return image_info_main(argc - 1, argv + 1);
    if (!strcmp(sub, "merge"))
        return cmd_merge(argc - 1, argv + 1);
    if (!strcmp(sub, "synth"))
        return cmd_synth(argc - 1, argv + 1);
    if (!strcmp(sub, "gzip"))
        return cmd_gzip(argc - 1, argv + 1);
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        usage(stdout);
        return 0;
    }
    char msg[128];
    snprintf(msg, sizeof(msg), "unknown subcommand '%s'", sub);
    return misuse(msg);
}
