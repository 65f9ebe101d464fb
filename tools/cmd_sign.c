/* otasim sign: tools/signing.py's two modes (spec §7.1), with BearSSL instead of the openssl
 * command, and a clear message plus a non-zero exit on every failure (the original exits 0). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <sys/stat.h>

#include "commands.h"
#include "imagekit.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: otasim sign --mode sign --privatekey KEY.pem --bin FILE --out FILE.signed\n"
            "                   [--legacy FILE.legacy_sig]\n"
            "       otasim sign --mode header --publickey KEY.pub.pem --out Updater_Signing.h\n"
            "\n"
            "sign:   write FILE | RSA PKCS#1 v1.5 SHA-256 signature | u32 LE length;\n"
            "        --legacy also writes the raw-digest format of cores <= 2.5.2\n"
            "header: write the C header that embeds the public key (ARDUINO_SIGNING 1);\n"
            "        an unreadable key writes ARDUINO_SIGNING 0 and fails\n"
            "keys:   openssl genrsa -out private.key 2048\n"
            "        openssl rsa -in private.key -outform PEM -pubout -out public.key\n");
}

/* Header mode: the file is not rewritten when unchanged (signing.py does the same, so a
 * build does not recompile everything). */
/* signing.py creates the header's directory if missing: mkdir -p of the parent. */
static int make_parent_dirs(const char *path)
{
    char dir[4096];
    if (strlen(path) >= sizeof(dir))
        return -1;
    strcpy(dir, path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

static int write_if_changed(const char *path, const char *text)
{
    char err[512] = "";
    uint8_t *old;
    size_t old_len, len = strlen(text);
    if (!imagekit_read_file(path, &old, &old_len, NULL, 0)) {
        bool same = old_len == len && !memcmp(old, text, len);
        free(old);
        if (same)
            return 0;
    }
    if (make_parent_dirs(path) != 0 ||
        imagekit_write_file(path, (const uint8_t *)text, len, err, sizeof(err))) {
        if (!err[0])
            snprintf(err, sizeof(err), "cannot create the directory of %s: %s", path,
                     strerror(errno));
        fprintf(stderr, "otasim sign: %s\n", err);
        return 1;
    }
    return 0;
}

static int header_mode(const char *pubkey, const char *out)
{
    char err[512];
    uint8_t *pem;
    size_t pem_len;
    if (imagekit_read_file(pubkey, &pem, &pem_len, err, sizeof(err))) {
        fprintf(stderr, "otasim sign: %s; writing %s with signing disabled\n", err, out);
        write_if_changed(out, IMAGEKIT_SIGNING_HEADER_OFF);
        return 1;
    }
    char *text;
    int rc = imagekit_signing_header(pem, pem_len, &text, err, sizeof(err));
    free(pem);
    if (rc) {
        fprintf(stderr, "otasim sign: %s: %s; writing %s with signing disabled\n", pubkey, err,
                out);
        write_if_changed(out, IMAGEKIT_SIGNING_HEADER_OFF);
        return 1;
    }
    rc = write_if_changed(out, text);
    free(text);
    if (rc == 0)
        fprintf(stderr, "Enabling binary signing\n");
    return rc;
}

static int sign_one(const imagekit_key_t *key, const uint8_t *bin, size_t len, bool legacy,
                    const char *out)
{
    char err[512];
    uint8_t *signed_buf;
    size_t signed_len;
    if (imagekit_sign_with(key, bin, len, legacy, &signed_buf, &signed_len, err, sizeof(err)) ||
        imagekit_write_file(out, signed_buf, signed_len, err, sizeof(err))) {
        fprintf(stderr, "otasim sign: %s\n", err);
        return 1;
    }
    free(signed_buf);
    fprintf(stderr, "%s: %s\n", legacy ? "Legacy signed binary" : "Signed binary", out);
    return 0;
}

static int sign_mode(const char *privkey, const char *bin_path, const char *out, const char *legacy)
{
    char err[512];
    imagekit_key_t *key = imagekit_key_load(privkey, err, sizeof(err));
    if (!key) {
        fprintf(stderr, "otasim sign: %s\n", err);
        return 1;
    }
    uint8_t *bin;
    size_t len;
    if (imagekit_read_file(bin_path, &bin, &len, err, sizeof(err))) {
        fprintf(stderr, "otasim sign: %s\n", err);
        imagekit_key_free(key);
        return 1;
    }
    int rc = sign_one(key, bin, len, false, out);
    if (rc == 0 && legacy)
        rc = sign_one(key, bin, len, true, legacy);
    free(bin);
    imagekit_key_free(key);
    return rc;
}

int cmd_sign(int argc, char **argv)
{
    static const struct option opts[] = {
        {"mode", required_argument, 0, 'm'},
        {"bin", required_argument, 0, 'b'},
        {"out", required_argument, 0, 'o'},
        {"legacy", required_argument, 0, 'l'},
        {"publickey", required_argument, 0, 'p'},
        {"privatekey", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *mode = NULL, *bin = NULL, *out = NULL, *legacy = NULL, *pub = NULL, *priv = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:b:o:l:p:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            mode = optarg;
            break;
        case 'b':
            bin = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'l':
            legacy = optarg;
            break;
        case 'p':
            pub = optarg;
            break;
        case 's':
            priv = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "otasim sign: unexpected argument '%s'\n\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (mode && !strcmp(mode, "header")) {
        if (!pub || !out || bin || priv || legacy) {
            fprintf(stderr, "otasim sign: header mode takes --publickey and --out only\n\n");
            usage(stderr);
            return 2;
        }
        return header_mode(pub, out);
    }
    if (mode && !strcmp(mode, "sign")) {
        if (!priv || !bin || !out || pub) {
            fprintf(stderr, "otasim sign: sign mode takes --privatekey, --bin, --out "
                            "[--legacy]\n\n");
            usage(stderr);
            return 2;
        }
        return sign_mode(priv, bin, out, legacy);
    }
    fprintf(stderr, "otasim sign: --mode must be 'header' or 'sign'%s%s%s\n\n",
            mode ? " (got '" : "", mode ? mode : "", mode ? "')" : "");
    usage(stderr);
    return 2;
}
