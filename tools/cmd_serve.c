/* otasim serve: an HTTP update server for devices running the HTTP update client (spec §5.6). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "update_server.h"

static const char usage[] =
    "usage: otasim serve --db DEVICES.json --root DIR [options]\n"
    "\n"
    "Serves updates to the HTTP update client (ESP8266httpUpdate) with the decision logic of\n"
    "the Arduino example server: 403 unless User-Agent is ESP8266-http-Update and every\n"
    "x-ESP8266-* header is present; the STA MAC picks the entry; mode sketch: 200 with the\n"
    "file (x-MD5, x-version) when x-ESP8266-version differs from the entry's version, else\n"
    "304; mode version: 200 with x-MD5 and x-version only; mode spiffs: the entry's \"fs\"\n"
    "object, else 404.\n"
    "\n"
    "  DEVICES.json   {\"5C:CF:7F:01:02:0A\": {\"file\": \"basic-v2.bin\", \"version\": \"2\",\n"
    "                   \"fs\": {\"file\": \"fs.bin\", \"version\": \"2\"}}, ...}\n"
    "  --root DIR     where the files are (names may not contain \"..\")\n"
    "  --bind ADDR    IPv4 address to listen on (default 127.0.0.1)\n"
    "  --port N       TCP port (default 8266; 0: any free port)\n"
    "  --port-file F  write the port number to F once listening\n"
    "  --tls CERT KEY serve HTTPS with this PEM certificate and key\n"
    "  --log FILE     access log (default: standard output)\n"
    "  --fault F      server-side fault, repeatable: no-length (no Content-Length, #2598),\n"
    "                 bad-md5 (wrong x-MD5), drop=N (close after N body bytes),\n"
    "                 stall=N (send N body bytes, then nothing), status=N (always answer N)\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int bad_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "otasim serve: %s%s%s\n\n%s", msg, arg ? ": " : "", arg ? arg : "", usage);
    return 2;
}

static bool parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_fault(const char *f, update_server_fault_t *out)
{
    long v;
    if (!strcmp(f, "no-length"))
        out->no_length = true;
    else if (!strcmp(f, "bad-md5"))
        out->bad_md5 = true;
    else if (!strncmp(f, "drop=", 5) && parse_long(f + 5, 0, 1L << 30, &v))
        out->drop_after = v;
    else if (!strncmp(f, "stall=", 6) && parse_long(f + 6, 0, 1L << 30, &v))
        out->stall_after = v;
    else if (!strncmp(f, "status=", 7) && parse_long(f + 7, 100, 599, &v))
        out->status = (int)v;
    else
        return false;
    return true;
}

int cmd_serve(int argc, char **argv)
{
    update_server_opts_t o = {.bind = "127.0.0.1", .port = 8266, .log = stdout};
    o.fault.drop_after = -1;
    o.fault.stall_after = -1;
    const char *port_file = NULL, *log_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has1 = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--db") && has1) {
            o.db_path = argv[++i];
        } else if (!strcmp(a, "--root") && has1) {
            o.root = argv[++i];
        } else if (!strcmp(a, "--bind") && has1) {
            o.bind = argv[++i];
        } else if (!strcmp(a, "--port") && has1) {
            long v;
            if (!parse_long(argv[++i], 0, 65535, &v))
                return bad_usage("--port expects 0..65535", argv[i]);
            o.port = (uint16_t)v;
        } else if (!strcmp(a, "--port-file") && has1) {
            port_file = argv[++i];
        } else if (!strcmp(a, "--tls") && i + 2 < argc) {
            o.tls_cert = argv[++i];
            o.tls_key = argv[++i];
        } else if (!strcmp(a, "--log") && has1) {
            log_path = argv[++i];
        } else if (!strcmp(a, "--fault") && has1) {
            if (!parse_fault(argv[++i], &o.fault))
                return bad_usage("unknown --fault", argv[i]);
        } else {
            return bad_usage("unknown or incomplete option", a);
        }
    }
    if (!o.db_path || !o.root)
        return bad_usage("--db and --root are required", NULL);
    if (log_path && !(o.log = fopen(log_path, "a"))) {
        fprintf(stderr, "otasim serve: %s: %s\n", log_path, strerror(errno));
        return 1;
    }
    char err[512];
    update_server_t *s = update_server_start(&o, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "otasim serve: %s\n", err);
        return 1;
    }
    uint16_t port = update_server_port(s);
    printf("otasim serve: listening on %s://%s:%u/ (db %s, root %s)\n",
           o.tls_cert ? "https" : "http", o.bind, (unsigned)port, o.db_path, o.root);
    fflush(stdout);
    if (port_file) {
        FILE *pf = fopen(port_file, "w");
        if (!pf || fprintf(pf, "%u\n", (unsigned)port) < 0 || fclose(pf) != 0) {
            fprintf(stderr, "otasim serve: %s: %s\n", port_file, strerror(errno));
            update_server_stop(s);
            return 1;
        }
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (!stop_requested)
        pause();
    update_server_stop(s);
    printf("otasim serve: stopped\n");
    if (log_path)
        fclose(o.log);
    return 0;
}
