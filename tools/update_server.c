/* See update_server.h. */
#include "update_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "imagekit.h"

struct update_server {
    update_server_opts_t o;
    json_object *db;
    struct MHD_Daemon *d;
    char *cert, *key;
    /* libmicrohttpd's first message while starting: the reason when the start fails. */
    char mhd_first[256];
    atomic_bool started; /* set once MHD_start_daemon() returned; read by MHD's thread */
};

/* The headers the example server requires (spec §5.6 step 2); Chip-ID is not among them. */
static const char *const required[] = {
    "x-ESP8266-mode",        "x-ESP8266-STA-MAC",    "x-ESP8266-AP-MAC",    "x-ESP8266-free-space",
    "x-ESP8266-sketch-size", "x-ESP8266-sketch-md5", "x-ESP8266-chip-size", "x-ESP8266-sdk-version",
};

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 > cap) {
            cap = (n + 65536) * 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* A body being sent: the file's bytes, maybe cut (drop) or held back (stall). */
typedef struct body {
    char *data;
    size_t len;
    const update_server_fault_t *fault;
} body_t;

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    body_t *b = cls;
    if (b->fault->drop_after >= 0 && pos >= (uint64_t)b->fault->drop_after)
        return MHD_CONTENT_READER_END_WITH_ERROR; /* the connection is closed mid-body */
    if (b->fault->stall_after >= 0 && pos >= (uint64_t)b->fault->stall_after) {
        usleep(20000); /* nothing more comes; the connection stays open */
        return 0;
    }
    if (pos >= b->len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = b->len - (size_t)pos;
    if (n > max)
        n = max;
    long lim = b->fault->drop_after >= 0 ? b->fault->drop_after : b->fault->stall_after;
    if (lim >= 0 && pos + n > (uint64_t)lim)
        n = (size_t)((uint64_t)lim - pos);
    memcpy(buf, b->data + pos, n);
    return (ssize_t)n;
}

static void body_free(void *cls)
{
    body_t *b = cls;
    free(b->data);
    free(b);
}

static void log_line(update_server_t *s, struct MHD_Connection *c, const char *mac,
                     const char *mode, int status, size_t bytes, const char *why)
{
    if (!s->o.log)
        return;
    char addr[64] = "?";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr,
                  sizeof(addr));
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char ts[32];
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(s->o.log, "%s %s mac=%s mode=%s status=%d bytes=%zu %s\n", ts, addr, mac ? mac : "-",
            mode ? mode : "-", status, bytes, why);
    fflush(s->o.log);
}

/* libmicrohttpd's own messages (a client that refuses the certificate makes GnuTLS report
 * "received handshake message out of context", a malformed request, ...): by default they go
 * straight to stderr, which then fills a test run's output with noise. Once the server runs
 * they go to the access log, prefixed "mhd:" (with no log they are dropped); while it starts,
 * the first one is kept instead, for update_server_start()'s error if the start fails (a port
 * in use, a key that does not match the certificate), so a failed start says why once. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    update_server_t *s = cls;
    char msg[sizeof(s->mhd_first)];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    if (!atomic_load(&s->started)) {
        if (!s->mhd_first[0])
            memcpy(s->mhd_first, msg, n + 1);
        return;
    }
    if (!s->o.log)
        return;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char ts[32];
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(s->o.log, "%s mhd: %s\n", ts, msg);
    fflush(s->o.log);
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "text/plain");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The entry for this MAC and mode: {"file", "version"} (sketch/version) or its "fs" object. */
static json_object *lookup(update_server_t *s, const char *mac, bool fs)
{
    json_object *e = NULL, *sub = NULL;
    if (!json_object_object_get_ex(s->db, mac, &e) || !json_object_is_type(e, json_type_object))
        return NULL;
    if (!fs)
        return e;
    return json_object_object_get_ex(e, "fs", &sub) ? sub : NULL;
}

static const char *str_field(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    (void)upload_data;
    update_server_t *s = cls;
    if (*con_cls == NULL) { /* first call: headers only */
        *con_cls = s;
        return MHD_YES;
    }
    if (*upload_size) { /* a request body is not expected; ignore it */
        *upload_size = 0;
        return MHD_YES;
    }
    const update_server_fault_t *f = &s->o.fault;
    const char *mac = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-ESP8266-STA-MAC");
    const char *mode = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-ESP8266-mode");
    if (f->status) {
        log_line(s, c, mac, mode, f->status, 0, "fault: fixed status");
        return send_text(c, (unsigned)f->status, "fault injected by otasim serve\n");
    }
    if (strcmp(method, "GET") != 0) {
        log_line(s, c, mac, mode, 405, 0, "not GET");
        return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only\n");
    }
    const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
    if (!ua || strcmp(ua, "ESP8266-http-Update") != 0) {
        log_line(s, c, mac, mode, 403, 0, "wrong User-Agent");
        return send_text(c, MHD_HTTP_FORBIDDEN, "only for ESP8266 updater!\n");
    }
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (!MHD_lookup_connection_value(c, MHD_HEADER_KIND, required[i])) {
            log_line(s, c, mac, mode, 403, 0, "header missing");
            return send_text(c, MHD_HTTP_FORBIDDEN, "only for ESP8266 updater! (header)\n");
        }
    }
    bool fs = !strcmp(mode, "spiffs");
    bool vq = !strcmp(mode, "version");
    if (!fs && !vq && strcmp(mode, "sketch") != 0) {
        log_line(s, c, mac, mode, 404, 0, "mode not supported");
        return send_text(c, MHD_HTTP_NOT_FOUND, "Mode not supported\n");
    }
    json_object *e = lookup(s, mac, fs);
    const char *file = str_field(e, "file"), *want = str_field(e, "version");
    if (!e || !file || !want) {
        log_line(s, c, mac, mode, 404, 0, e ? "entry incomplete" : "unknown device");
        return send_text(c, MHD_HTTP_NOT_FOUND,
                         fs ? "Mode not supported\n" : "no update for this device\n");
    }
    char path[4096];
    if (strstr(file, "..") || file[0] == '/' ||
        snprintf(path, sizeof(path), "%s/%s", s->o.root, file) >= (int)sizeof(path)) {
        log_line(s, c, mac, mode, 404, 0, "bad file name");
        return send_text(c, MHD_HTTP_NOT_FOUND, "no update for this device\n");
    }
    size_t len = 0;
    char *data = slurp(path, &len);
    if (!data) {
        log_line(s, c, mac, mode, 404, 0, "file unreadable");
        return send_text(c, MHD_HTTP_NOT_FOUND, "no update for this device\n");
    }
    char md5[33];
    imagekit_md5_hex(data, len, md5);
    if (f->bad_md5)
        md5[0] = md5[0] == '0' ? '1' : '0';
    if (vq) {
        free(data);
        struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "x-MD5", md5);
        MHD_add_response_header(r, "x-version", want);
        enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        log_line(s, c, mac, mode, 200, 0, "version");
        return ret;
    }
    const char *have = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-ESP8266-version");
    if (!have || !strcmp(have, want)) {
        free(data);
        log_line(s, c, mac, mode, 304, 0, have ? "up to date" : "no x-ESP8266-version");
        struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_NOT_MODIFIED, r);
        MHD_destroy_response(r);
        return ret;
    }
    body_t *b = malloc(sizeof(*b));
    if (!b) {
        free(data);
        return MHD_NO;
    }
    *b = (body_t){data, len, f};
    struct MHD_Response *r = MHD_create_response_from_callback(
        f->no_length ? MHD_SIZE_UNKNOWN : (uint64_t)len, 32 * 1024, body_read, b, body_free);
    MHD_add_response_header(r, "Content-Type", "application/octet-stream");
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    char disp[512];
    snprintf(disp, sizeof(disp), "attachment; filename=%s", base);
    MHD_add_response_header(r, "Content-Disposition", disp);
    MHD_add_response_header(r, "x-MD5", md5);
    MHD_add_response_header(r, "x-version", want);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    log_line(s, c, mac, mode, 200, len,
             f->drop_after >= 0    ? "update (fault: drop)"
             : f->stall_after >= 0 ? "update (fault: stall)"
             : f->no_length        ? "update (fault: no Content-Length)"
             : f->bad_md5          ? "update (fault: wrong x-MD5)"
                                   : "update");
    return ret;
}

update_server_t *update_server_start(const update_server_opts_t *o, char *err, size_t errlen)
{
    update_server_t *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    s->o = *o;
    size_t n;
    char *text = slurp(o->db_path, &n);
    if (!text) {
        snprintf(err, errlen, "%s: %s", o->db_path, strerror(errno));
        free(s);
        return NULL;
    }
    enum json_tokener_error jerr;
    s->db = json_tokener_parse_verbose(text, &jerr);
    free(text);
    if (!s->db || !json_object_is_type(s->db, json_type_object)) {
        snprintf(err, errlen, "%s: %s", o->db_path,
                 s->db ? "expected an object {\"MAC\": {\"file\": ..., \"version\": ...}}"
                       : json_tokener_error_desc(jerr));
        json_object_put(s->db);
        free(s);
        return NULL;
    }
    json_object_object_foreach(s->db, mac, entry)
    {
        if (!json_object_is_type(entry, json_type_object) || !str_field(entry, "file") ||
            !str_field(entry, "version")) {
            snprintf(err, errlen,
                     "%s: entry \"%s\": expected {\"file\": \"...\", \"version\": \"...\"}",
                     o->db_path, mac);
            json_object_put(s->db);
            free(s);
            return NULL;
        }
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(o->port)};
    if (inet_pton(AF_INET, o->bind ? o->bind : "127.0.0.1", &sa.sin_addr) != 1) {
        snprintf(err, errlen, "--bind %s: not an IPv4 address", o->bind);
        json_object_put(s->db);
        free(s);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (o->tls_cert) {
        s->cert = slurp(o->tls_cert, NULL);
        s->key = slurp(o->tls_key, NULL);
        if (!s->cert || !s->key) {
            snprintf(err, errlen, "--tls: cannot read %s", s->cert ? o->tls_key : o->tls_cert);
            update_server_stop(s);
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    /* The logger comes first: options are applied in order, and MHD logs while applying. */
    if (o->tls_cert)
        s->d = MHD_start_daemon(flags, o->port, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER,
                                mhd_log, s, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_HTTPS_MEM_CERT,
                                s->cert, MHD_OPTION_HTTPS_MEM_KEY, s->key, MHD_OPTION_END);
    else
        s->d = MHD_start_daemon(flags, o->port, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER,
                                mhd_log, s, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
    if (!s->d) {
        /* No MHD thread runs now, so mhd_first is ours to read. */
        snprintf(err, errlen, "cannot listen on %s:%u (port in use? bad TLS key/certificate?)%s%s",
                 o->bind ? o->bind : "127.0.0.1", (unsigned)o->port, s->mhd_first[0] ? ": " : "",
                 s->mhd_first);
        update_server_stop(s);
        return NULL;
    }
    atomic_store(&s->started, true);
    return s;
}

uint16_t update_server_port(const update_server_t *s)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

void update_server_stop(update_server_t *s)
{
    if (!s)
        return;
    if (s->d)
        MHD_stop_daemon(s->d);
    json_object_put(s->db);
    free(s->cert);
    free(s->key);
    free(s);
}
