/* otasim upload: the host side of the espota protocol (spec §1), option- and exit-code-
 * compatible with the Arduino core's tools/espota.py (-i -I -p -P -a -f -s -d -r), plus what
 * it lacks: timeouts (-t), invitation retries (--retries), and a clear message for each failure
 * of spec §10 (no response from the device, bad answer, authentication failed, the device's
 * error text). Exit 0 on "Result: OK", 1 on any failure, 2 on misuse. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "imagekit.h"
#include "sock_io.h"

#define FLASH_CMD 0
#define FS_CMD 100
#define AUTH_CMD 200
#define CHUNK 1460

typedef struct up_opts {
    const char *esp_ip, *host_ip, *password, *file;
    unsigned esp_port, host_port;
    bool fs, debug, progress, stream;
    unsigned timeout_s, retries;
} up_opts_t;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: otasim upload -i ESP_IP -f FILE [options]\n"
        "Uploads FILE to a device running the ArduinoOTA responder (espota protocol).\n\n"
        "  -i, --ip IP          the device's address\n"
        "  -I, --host_ip IP     the host address to listen on (default 0.0.0.0)\n"
        "  -p, --port N         the device's OTA UDP port (default 8266)\n"
        "  -P, --host_port N    the host TCP port (default: random in 10000..60000)\n"
        "  -a, --auth PASSWORD  the OTA password\n"
        "  -f, --file FILE      the image (FILE.signed is sent instead when it exists)\n"
        "  -s, --spiffs         a filesystem image (command 100)\n"
        "  -d, --debug          show the protocol\n"
        "  -r, --progress       show a progress bar\n"
        "  -t, --timeout S      seconds to wait for each answer (default 10; the result 60)\n"
        "      --retries N      extra invitations when the device does not answer (default 2)\n"
        "      --stream         do not wait for each chunk's acknowledgement (espota.py does):\n"
        "                       send at the pace TCP allows, read the acks as they come\n"
        "                       (-t is then also the longest wait for the result)\n"
        "  -h, --help           this text\n");
}

/* Waits up to ms for fd to be readable; false on timeout. */
static bool wait_readable(int fd, unsigned ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    while ((r = poll(&p, 1, (int)ms)) < 0 && errno == EINTR)
        ;
    return r > 0;
}

static void progress_bar(size_t done, size_t total)
{
    int pct = total ? (int)(done * 100 / total) : 100;
    int bar = pct * 60 / 100;
    fprintf(stderr, "\rUploading: [%.*s%*s] %d%%", bar,
            "============================================================", 60 - bar, "", pct);
    if (done >= total)
        fputc('\n', stderr);
}

static int parse(int argc, char **argv, up_opts_t *o)
{
    static const struct option longs[] = {
        {"ip", required_argument, NULL, 'i'},      {"host_ip", required_argument, NULL, 'I'},
        {"port", required_argument, NULL, 'p'},    {"host_port", required_argument, NULL, 'P'},
        {"auth", required_argument, NULL, 'a'},    {"file", required_argument, NULL, 'f'},
        {"spiffs", no_argument, NULL, 's'},        {"debug", no_argument, NULL, 'd'},
        {"progress", no_argument, NULL, 'r'},      {"timeout", required_argument, NULL, 't'},
        {"retries", required_argument, NULL, 'R'}, {"stream", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    *o = (up_opts_t){.host_ip = "0.0.0.0", .esp_port = 8266, .timeout_s = 10, .retries = 2};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "i:I:p:P:a:f:sdrt:h", longs, NULL)) != -1) {
        char *end;
        unsigned long v;
        switch (c) {
        case 'i':
            o->esp_ip = optarg;
            break;
        case 'I':
            o->host_ip = optarg;
            break;
        case 'p':
        case 'P':
        case 't':
        case 'R':
            v = strtoul(optarg, &end, 10);
            if (*end || !*optarg || ((c == 'p' || c == 'P') && (v < 1 || v > 65535)) ||
                (c == 't' && (v < 1 || v > 3600)) || (c == 'R' && v > 100)) {
                fprintf(stderr, "otasim upload: bad value '%s' for -%c\n\n", optarg,
                        c == 'R' ? 'R' : c);
                usage(stderr);
                return 2;
            }
            if (c == 'p')
                o->esp_port = (unsigned)v;
            else if (c == 'P')
                o->host_port = (unsigned)v;
            else if (c == 't')
                o->timeout_s = (unsigned)v;
            else
                o->retries = (unsigned)v;
            break;
        case 'a':
            o->password = optarg;
            break;
        case 'f':
            o->file = optarg;
            break;
        case 's':
            o->fs = true;
            break;
        case 'd':
            o->debug = true;
            break;
        case 'r':
            o->progress = true;
            break;
        case 'S':
            o->stream = true;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            fprintf(stderr, "otasim upload: unknown option '%s'\n\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || !o->esp_ip || !o->file) {
        fprintf(stderr, "otasim upload: expected -i ESP_IP and -f FILE%s\n\n",
                optind != argc ? " (and no other arguments)" : "");
        usage(stderr);
        return 2;
    }
    struct in_addr a;
    if (inet_pton(AF_INET, o->esp_ip, &a) != 1 || inet_pton(AF_INET, o->host_ip, &a) != 1) {
        fprintf(stderr, "otasim upload: expected IPv4 addresses, got '%s' / '%s'\n\n", o->esp_ip,
                o->host_ip);
        usage(stderr);
        return 2;
    }
    return 0;
}

/* Sends the datagram and waits for an answer, retrying; returns its length or -1. */
static ssize_t ask(int udp, const struct sockaddr_in *to, const char *msg, char *ans, size_t cap,
                   const up_opts_t *o, unsigned tries)
{
    for (unsigned t = 0; t < tries; t++) {
        if (o->debug)
            fprintf(stderr, "-> %s", msg);
        if (sendto(udp, msg, strlen(msg), 0, (const struct sockaddr *)to, sizeof(*to)) < 0) {
            fprintf(stderr, "otasim upload: cannot send to %s: %s\n", o->esp_ip, strerror(errno));
            return -1;
        }
        if (wait_readable(udp, o->timeout_s * 1000u)) {
            ssize_t n = recv(udp, ans, cap - 1, 0);
            if (n >= 0) {
                ans[n] = 0;
                if (o->debug)
                    fprintf(stderr, "<- %s\n", ans);
                return n;
            }
        }
        if (t + 1 < tries)
            fprintf(stderr, "No answer from %s:%u, retrying (%u of %u)\n", o->esp_ip, o->esp_port,
                    t + 2, tries);
    }
    return -1;
}

/* What the device said so far in stream mode: its acks (bare decimals) and its final word. */
typedef struct said {
    char tail[512]; /* from the first non-digit on: "OK" or "ERROR[n]: msg" */
    size_t tl;
} said_t;

static void hear(said_t *s, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!s->tl && buf[i] >= '0' && buf[i] <= '9')
            continue; /* an ack: the device's byte count of one read */
        if (s->tl < sizeof(s->tail) - 1)
            s->tail[s->tl++] = buf[i];
    }
    s->tail[s->tl] = 0;
}

/* --stream: the image goes out as fast as the connection takes it (the device's TCP window
 * paces it) while its acks are read and skipped; the device's answer after the last byte
 * decides, as in the lock-step loop. The device sees the same bytes either way: it acks what
 * each of its reads got, whatever the sender's pacing. 0 on "OK". */
static int stream_data(int cli, const uint8_t *data, size_t len, const up_opts_t *o)
{
    said_t s = {.tl = 0};
    size_t off = 0;
    for (;;) {
        if (off >= len && strstr(s.tail, "OK")) { /* heard with the last bytes' acks */
            fprintf(stderr, "Result: OK\n");
            return 0;
        }
        /* While sending, wake for room only (the acks are drained without waiting below):
         * a wake-up per ack costs more than the acks. An error still shows: the device closes
         * the connection, and the socket becomes readable and writable with an error. */
        struct pollfd p = {.fd = cli, .events = off < len ? POLLOUT : POLLIN};
        /* Any silence of -t fails, the result's too: acks heard after the last byte do not
         * say they were the last ones (a reset on the device's side can leave slirp or a NAT
         * swallowing the rest of the stream), so the lock-step mode's 60 s for the result
         * would be a 60 s hang there. */
        int r = poll(&p, 1, (int)(o->timeout_s * 1000u));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (off < len)
                fprintf(stderr,
                        "\nError Uploading: the device took nothing for %u s after %zu of "
                        "%zu bytes\n",
                        o->timeout_s, off, len);
            else
                fprintf(stderr,
                        "\nNo Result! (nothing from the device for %u s after the last "
                        "of %zu bytes)\n",
                        o->timeout_s, len);
            return 1;
        }
        for (;;) {
            char buf[4096];
            ssize_t k = recv(cli, buf, sizeof(buf), MSG_DONTWAIT);
            if (k < 0 && (errno == EAGAIN || errno == EINTR))
                break;
            if (k <= 0) {
                fprintf(stderr, "\n%s after %zu of %zu bytes\n",
                        off < len ? "Error Uploading: the device closed the connection"
                                  : "No Result! (the device closed the connection without a "
                                    "result)",
                        off, len);
                return 1;
            }
            hear(&s, buf, (size_t)k);
            if (strchr(s.tail, 'E')) {
                fprintf(stderr, "\nError Uploading: %s\n", strchr(s.tail, 'E'));
                return 1;
            }
            if (off >= len && strstr(s.tail, "OK")) {
                fprintf(stderr, "Result: OK\n");
                return 0;
            }
        }
        if (off < len && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = send(cli, data + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w < 0 && errno != EAGAIN && errno != EINTR) {
                fprintf(stderr, "\nError Uploading: %s after %zu of %zu bytes\n", strerror(errno),
                        off, len);
                return 1;
            }
            if (w > 0) {
                off += (size_t)w;
                if (o->progress)
                    progress_bar(off, len);
            }
        }
    }
}

static int upload(const up_opts_t *o)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s.signed", o->file);
    struct stat st;
    const char *name = o->file;
    if (stat(path, &st) == 0) {
        name = path;
        fprintf(stderr, "Found signed image %s, uploading it instead\n", path);
    }
    size_t len = 0;
    uint8_t *data = NULL;
    char err[600];
    if (imagekit_read_file(name, &data, &len, err, sizeof(err)) != 0) {
        fprintf(stderr, "otasim upload: %s\n", err);
        return 1;
    }
    char md5[33];
    imagekit_md5_hex(data, len, md5);
    int rc = 1;
    int srv = socket(AF_INET, SOCK_STREAM, 0), udp = socket(AF_INET, SOCK_DGRAM, 0), cli = -1;
    struct sockaddr_in host = {.sin_family = AF_INET}, esp = {.sin_family = AF_INET};
    inet_pton(AF_INET, o->host_ip, &host.sin_addr);
    inet_pton(AF_INET, o->esp_ip, &esp.sin_addr);
    esp.sin_port = htons((uint16_t)o->esp_port);
    int one = 1;
    setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    unsigned port = o->host_port;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (int attempt = 0;; attempt++) {
        if (!o->host_port)
            port = 10000u + (unsigned)rand() % 50001u;
        host.sin_port = htons((uint16_t)port);
        if (bind(srv, (struct sockaddr *)&host, sizeof(host)) == 0)
            break;
        if (o->host_port || attempt > 20) {
            fprintf(stderr, "Listen Failed: cannot bind %s:%u: %s\n", o->host_ip, port,
                    strerror(errno));
            goto out;
        }
    }
    if (listen(srv, 1) != 0) {
        fprintf(stderr, "Listen Failed: %s\n", strerror(errno));
        goto out;
    }
    fprintf(stderr, "Sending invitation to %s:%u\n", o->esp_ip, o->esp_port);
    char msg[256], ans[256];
    snprintf(msg, sizeof(msg), "%d %u %zu %s\n", o->fs ? FS_CMD : FLASH_CMD, port, len, md5);
    ssize_t n = ask(udp, &esp, msg, ans, 129, o, 1 + o->retries);
    if (n < 0) {
        fprintf(stderr,
                "No Answer: the device at %s:%u did not answer the invitation (is it "
                "running the OTA responder? a device backing off after failed "
                "authentications stays silent too)\n",
                o->esp_ip, o->esp_port);
        goto out;
    }
    if (!strncmp(ans, "AUTH", 4)) {
        if (!o->password) {
            fprintf(stderr, "Authentication Failed: the device asks for a password (-a)\n");
            goto out;
        }
        char nonce[33] = "";
        snprintf(nonce, sizeof(nonce), "%s", ans + (n > 5 ? 5 : n));
        char text[4400], cnonce[33], passmd5[33], resp[33];
        snprintf(text, sizeof(text), "%s%zu%s%s", name, len, md5, o->esp_ip);
        imagekit_md5_hex(text, strlen(text), cnonce);
        imagekit_md5_hex(o->password, strlen(o->password), passmd5);
        snprintf(text, sizeof(text), "%s:%s:%s", passmd5, nonce, cnonce);
        imagekit_md5_hex(text, strlen(text), resp);
        fprintf(stderr, "Authenticating...");
        snprintf(msg, sizeof(msg), "%d %s %s\n", AUTH_CMD, cnonce, resp);
        n = ask(udp, &esp, msg, ans, 33, o, 1);
        if (n < 0) {
            fprintf(stderr, "\nNo Answer to our Authentication\n");
            goto out;
        }
        if (strcmp(ans, "OK")) {
            fprintf(stderr, "\nAuthentication Failed: %s\n", ans);
            goto out;
        }
        fprintf(stderr, "OK\n");
    } else if (!strncmp(ans, "ERR: ", 5)) {
        fprintf(stderr, "Bad Answer: the device refused the update: %s", ans + 5);
        if (ans[n - 1] != '\n')
            fputc('\n', stderr);
        goto out;
    } else if (strcmp(ans, "OK")) {
        fprintf(stderr, "Bad Answer: %s\n", ans);
        goto out;
    }
    close(udp);
    udp = -1;
    fprintf(stderr, "Waiting for device...\n");
    if (!wait_readable(srv, o->timeout_s * 1000u) || (cli = accept(srv, NULL, NULL)) < 0) {
        fprintf(stderr,
                "No response from device: it did not connect back to port %u (a host "
                "firewall, a wrong -I, or NAT between host and device)\n",
                port);
        goto out;
    }
    setsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    size_t off = 0;
    if (o->stream) {
        rc = stream_data(cli, data, len, o);
        goto out;
    }
    while (off < len) {
        size_t k = len - off < CHUNK ? len - off : CHUNK;
        if (!sock_send_all(cli, data + off, k) || !wait_readable(cli, o->timeout_s * 1000u)) {
            fprintf(stderr, "\nError Uploading: %s after %zu of %zu bytes\n",
                    off + k < len ? "no acknowledgement" : "no answer", off, len);
            goto out;
        }
        char ack[33];
        ssize_t a = recv(cli, ack, 32, 0);
        if (a <= 0) {
            fprintf(stderr,
                    "\nError Uploading: the device closed the connection after %zu of "
                    "%zu bytes\n",
                    off, len);
            goto out;
        }
        ack[a] = 0;
        off += k;
        if (o->progress)
            progress_bar(off, len);
        if (strchr(ack, 'E')) { /* the final error can arrive with the last ack */
            fprintf(stderr, "\nError Uploading: %s\n", strchr(ack, 'E'));
            goto out;
        }
        if (off >= len && strchr(ack, 'O')) {
            fprintf(stderr, "Result: OK\n");
            rc = 0;
            goto out;
        }
    }
    fprintf(stderr, "Waiting for result...\n");
    char res[512] = "";
    size_t rl = 0;
    for (;;) {
        if (!wait_readable(cli, 60000u)) {
            fprintf(stderr, "No Result! (no answer within 60 s)\n");
            goto out;
        }
        ssize_t r = recv(cli, res + rl, sizeof(res) - 1 - rl, 0);
        if (r <= 0) { /* fix: espota.py loops forever on a half-close */
            fprintf(stderr, "No Result! (the device closed the connection without a result)\n");
            goto out;
        }
        rl += (size_t)r;
        res[rl] = 0;
        if (strchr(res, 'E')) {
            fprintf(stderr, "Error: the device reports %s", strchr(res, 'E'));
            if (res[rl - 1] != '\n')
                fputc('\n', stderr);
            goto out;
        }
        if (strchr(res, 'O')) {
            fprintf(stderr, "Result: OK\n");
            rc = 0;
            goto out;
        }
        if (rl >= sizeof(res) - 1)
            rl = 0;
    }
out:
    if (cli >= 0)
        close(cli);
    if (udp >= 0)
        close(udp);
    close(srv);
    free(data);
    return rc;
}

int cmd_upload(int argc, char **argv)
{
    up_opts_t o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    return upload(&o);
}
