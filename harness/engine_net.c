/* The scenario engine's network updates (scenarios/README.md "Network updates"): a `net` step
 * runs the device networked (lwIP + libslirp, native_device.h hdev_net_t) for one hdev_run()
 * while a peer process (peer_proc.h: not a thread, since the device's boots are forks of this
 * process) plays the other side:
 *   espota  runs `otasim upload` (this binary, /proc/self/exe) against the forwarded UDP port,
 *           optionally a second one during the upload (invite=twice);
 *   web     POSTs the file as multipart/form-data (Basic auth) to the web update server;
 *   http    starts the update server of `otasim serve` (tools/update_server.h, in the peer
 *           process: its threads stay out of this one) with a database naming the file, or a
 *           canned reply, and the device's client asks it.
 * The peer watches the device's console for the transport's end, then asks the device to stop
 * (its stop pipe); a device that restarts after a good update boots the new app, which sees
 * the stop and ends idle. The app's flash writes of the run are counted from its recording. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine_internal.h"
#include "engine_net.h"
#include "netfault.h"
#include "peer_proc.h"
#include "sock_io.h"
#include "update_server.h"

extern char **environ;

#define PEER_LIMIT_MS 30000 /* the peer stops the device after this long whatever happens */
#define END_WAIT_MS 15000   /* after the upload: how long the transport may take to end */

/* The peer's results, sent to the engine as they are (peer_proc_send). */
typedef struct peer_result {
    bool ran, ok, idle, second_ran, second_ok;
    char reply[SCN_REPLY_LEN], second_reply[SCN_REPLY_LEN];
} peer_result_t;

typedef struct peer {
    const scn_net_t *nt;
    const uint8_t *data;
    size_t len;
    char file[300];
    uint16_t ota_port, web_port;
    int console_rd, stop_wr;
    char console[32768];
    size_t clen;
    bool console_eof;
    uint32_t t0;
    const update_server_opts_t *server; /* http: the update server the peer runs */
    peer_result_t r;                    /* what it sends the engine at the end */
} peer_t;

/* The http peer's first message: where its server listens (then, as every peer, its
 * peer_result_t). */
typedef struct server_msg {
    uint16_t port; /* 0: not started, err says why */
    char err[300];
} server_msg_t;

static uint32_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)((uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u);
}

/* Reads what the console has (non-blocking); false once the device is gone (EOF). */
static bool pump_console(peer_t *p, int wait)
{
    if (p->console_eof)
        return false;
    struct pollfd pf = {.fd = p->console_rd, .events = POLLIN};
    if (poll(&pf, 1, wait) <= 0)
        return true;
    size_t room = sizeof(p->console) - 1 - p->clen;
    char sink[4096];
    ssize_t k = room ? read(p->console_rd, p->console + p->clen, room)
                     : read(p->console_rd, sink, sizeof(sink));
    if (k <= 0) {
        p->console_eof = true;
        return false;
    }
    if (room)
        p->clen += (size_t)k;
    p->console[p->clen] = 0;
    return true;
}

static bool over_limit(const peer_t *p)
{
    return now_ms() - p->t0 > PEER_LIMIT_MS;
}

/* Waits until the console (from `from`) contains one of the markers; false on timeout or when
 * the device is gone. */
static bool wait_console(peer_t *p, size_t from, const char *const *markers, uint32_t ms)
{
    uint32_t t = now_ms();
    for (;;) {
        for (size_t i = 0; markers[i]; i++)
            if (from <= p->clen && strstr(p->console + from, markers[i]))
                return true;
        if (now_ms() - t > ms || over_limit(p) || !pump_console(p, 20))
            return false;
    }
}

typedef struct child {
    pid_t pid;
    int out;
    char buf[SCN_REPLY_LEN];
    size_t n;
    int rc; /* exit code; -1 killed or not run */
} child_t;

/* `otasim upload` to the device; `second`: the uploader started during another upload, which
 * does not retry its invitation (a retry would reach the rebooted device). */
static bool spawn_upload(peer_t *p, child_t *c, bool second)
{
    char port[8];
    snprintf(port, sizeof(port), "%u", (unsigned)p->ota_port);
    const char *auth = p->nt->has_auth ? p->nt->auth : p->nt->password;
    const char *argv[20];
    int a = 0;
    argv[a++] = "otasim";
    argv[a++] = "upload";
    argv[a++] = "-i";
    argv[a++] = "127.0.0.1";
    argv[a++] = "-I";
    argv[a++] = "127.0.0.1";
    argv[a++] = "-p";
    argv[a++] = port;
    argv[a++] = "-t"; /* the simulated device answers within milliseconds */
    argv[a++] = second ? "1" : "2";
    argv[a++] = "-f";
    argv[a++] = p->file;
    if (auth[0]) {
        argv[a++] = "-a";
        argv[a++] = auth;
    }
    if (p->nt->update.fs)
        argv[a++] = "-s";
    if (second) {
        argv[a++] = "--retries";
        argv[a++] = "0";
    }
    argv[a] = NULL;
    int fds[2];
    memset(c, 0, sizeof(*c));
    c->rc = -1;
    if (pipe2(fds, O_CLOEXEC))
        return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    /* This program is otasim; an engine linked into something else (a test) finds it in
     * $OTASIM. */
    const char *exe = getenv("OTASIM") ? getenv("OTASIM") : "/proc/self/exe";
    int rc = posix_spawn(&c->pid, exe, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc) {
        close(fds[0]);
        errno = rc;
        return false;
    }
    c->out = fds[0];
    fcntl(c->out, F_SETFL, O_NONBLOCK);
    return true;
}

static void child_read(child_t *c)
{
    for (;;) {
        char sink[1024];
        size_t room = sizeof(c->buf) - 1 - c->n;
        ssize_t k = room ? read(c->out, c->buf + c->n, room) : read(c->out, sink, sizeof(sink));
        if (k <= 0)
            break;
        if (room)
            c->n += (size_t)k;
    }
    c->buf[c->n] = 0;
}

/* Waits for the uploader to exit (killed at the peer's limit); true when it exited. */
static bool child_wait(peer_t *p, child_t *c)
{
    for (;;) {
        child_read(c);
        int st;
        if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
            child_read(c);
            close(c->out);
            c->rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            return true;
        }
        if (over_limit(p)) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &st, 0);
            close(c->out);
            return false;
        }
        pump_console(p, 20);
    }
}

static void run_espota(peer_t *p)
{
    static const char *const up[] = {"net: espota on", NULL};
    if (!wait_console(p, 0, up, 10000)) {
        snprintf(p->r.reply, sizeof(p->r.reply), "(the device's espota responder never came up)");
        return;
    }
    size_t from = p->clen;
    child_t c1, c2;
    if (!spawn_upload(p, &c1, false)) {
        snprintf(p->r.reply, sizeof(p->r.reply), "(cannot start otasim upload: %s)",
                 strerror(errno));
        return;
    }
    p->r.ran = true;
    if (p->nt->second_invite) {
        /* The second uploader once the first's invitation was accepted (the device is busy
         * with it from then until the update ends; bw= keeps that window open). */
        uint32_t t = now_ms();
        while (!strstr(c1.buf, "Waiting for device") && now_ms() - t < 10000) {
            child_read(&c1);
            pump_console(p, 20);
        }
        if (spawn_upload(p, &c2, true)) {
            p->r.second_ran = true;
            child_wait(p, &c2);
            p->r.second_ok = c2.rc == 0;
            snprintf(p->r.second_reply, sizeof(p->r.second_reply), "%s", c2.buf);
        }
    }
    child_wait(p, &c1);
    p->r.ok = c1.rc == 0;
    snprintf(p->r.reply, sizeof(p->r.reply), "%s", c1.buf);
    /* The device's responder ends the update itself (OK, an error, its receive timeout). A
     * refused invitation (no such update began) leaves it idle at once. */
    static const char *const end[] = {"espota: update ok", "espota: update failed", NULL};
    bool began = strstr(c1.buf, "Waiting for device") != NULL;
    p->r.idle = !began || wait_console(p, from, end, END_WAIT_MS);
}

static size_t b64(const char *in, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(uint8_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(uint8_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (uint8_t)in[i + 2];
        out[o++] = t[v >> 18 & 63];
        out[o++] = t[v >> 12 & 63];
        out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? t[v & 63] : '=';
    }
    out[o] = 0;
    return o;
}

/* A browser's upload: one multipart/form-data POST, the file in the "firmware" or
 * "filesystem" input, Basic auth when the scenario has a password. */
static void run_web(peer_t *p)
{
    static const char *const up[] = {"net: web update server", NULL};
    if (!wait_console(p, 0, up, 10000)) {
        snprintf(p->r.reply, sizeof(p->r.reply), "(the device's web server never came up)");
        return;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(p->web_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {END_WAIT_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        snprintf(p->r.reply, sizeof(p->r.reply), "(cannot connect to the web server: %s)",
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    p->r.ran = true;
    static const char bnd[] = "----otasimScenarioBoundary7MA4YWxk";
    char part[300], tail[64], head[600], auth[200] = "";
    int pl = snprintf(part, sizeof(part),
                      "--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n",
                      bnd, p->nt->update.fs ? "filesystem" : "firmware",
                      p->nt->update.fs ? "fs.bin" : "app.bin");
    int tl = snprintf(tail, sizeof(tail), "\r\n--%s--\r\n", bnd);
    const char *pw = p->nt->has_auth ? p->nt->auth : p->nt->password;
    if (pw[0]) {
        char up_[80], enc[120];
        snprintf(up_, sizeof(up_), "admin:%s", pw);
        b64(up_, enc);
        snprintf(auth, sizeof(auth), "Authorization: Basic %s\r\n", enc);
    }
    int hl = snprintf(head, sizeof(head),
                      "POST /update HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%sContent-Type: "
                      "multipart/form-data; boundary=%s\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      (unsigned)p->web_port, auth, bnd, (size_t)pl + p->len + (size_t)tl);
    /* A refused request may be answered (and closed) before the body is through: read the
     * answer whatever the send did. */
    if (sock_send_all(fd, head, (size_t)hl) && sock_send_all(fd, part, (size_t)pl))
        if (sock_send_all(fd, p->data, p->len))
            sock_send_all(fd, tail, (size_t)tl);
    size_t n = 0;
    for (;;) {
        ssize_t k = recv(fd, p->r.reply + n, sizeof(p->r.reply) - 1 - n, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
        if (n == sizeof(p->r.reply) - 1)
            break;
    }
    p->r.reply[n] = 0;
    close(fd);
    if (n == 0)
        snprintf(p->r.reply, sizeof(p->r.reply), "(no answer from the web server)");
    p->r.ok = !strncmp(p->r.reply, "HTTP/1.1 200", 12) && strstr(p->r.reply, "Update Success");
    /* The server answers once the update has ended either way, or, when the connection was
     * cut, the device says it ended the upload unfinished (native_net.c). */
    static const char *const end[] = {"net: update ended unfinished", NULL};
    p->r.idle = n > 0 || wait_console(p, 0, end, END_WAIT_MS);
}

static void run_http(peer_t *p)
{
    static const char *const end[] = {"httpupdate: update ok", "httpupdate: no update",
                                      "httpupdate: failed", "httpupdate: not an http URL", NULL};
    p->r.ran = true;
    p->r.idle = wait_console(p, 0, end, PEER_LIMIT_MS);
    const char *l = strstr(p->console, "httpupdate: update ok");
    if (!l)
        l = strstr(p->console, "httpupdate: no update");
    if (!l)
        l = strstr(p->console, "httpupdate: failed");
    if (l) {
        size_t k = strcspn(l, "\n");
        snprintf(p->r.reply, sizeof(p->r.reply), "%.*s", (int)k, l);
    } else {
        snprintf(p->r.reply, sizeof(p->r.reply), "(the device's HTTP update client did not end)");
    }
    p->r.ok = l && !strncmp(l, "httpupdate: update ok", 21);
}

static void peer_main(peer_t *p)
{
    p->t0 = now_ms();
    switch (p->nt->transport) {
    case SCN_NET_ESPOTA:
        run_espota(p);
        break;
    case SCN_NET_WEB:
        run_web(p);
        break;
    case SCN_NET_HTTP:
        run_http(p);
        break;
    }
    if (write(p->stop_wr, "x", 1) < 0) {
    } /* the pipe is new: one byte always fits */
    while (pump_console(p, 100))
        ; /* until the device is gone (the engine closes its end after the run) */
}

/* The peer process (peer_proc_start). */
static void peer_process(void *arg, int wr)
{
    peer_t *p = arg;
    update_server_t *srv = NULL;
    if (p->server) {
        static server_msg_t m;
        memset(&m, 0, sizeof(m));
        srv = update_server_start(p->server, m.err, sizeof(m.err));
        if (srv)
            m.port = update_server_port(srv);
        if (!peer_proc_send(wr, &m, sizeof(m)) || !srv) {
            if (srv)
                update_server_stop(srv);
            return;
        }
    }
    peer_main(p);
    if (srv)
        update_server_stop(srv);
    peer_proc_send(wr, &p->r, sizeof(p->r));
}

/* "drop=50%" / "stall=50%": that share of the file's bytes. */
static bool fault_spec(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    while (*in) {
        size_t k = strcspn(in, ",");
        char item[80];
        snprintf(item, sizeof(item), "%.*s", (int)k, in);
        size_t il = strlen(item);
        unsigned pct;
        char key[8];
        if (il > 1 && item[il - 1] == '%' && sscanf(item, "%5[a-z]=%u%%", key, &pct) == 2 &&
            (!strcmp(key, "drop") || !strcmp(key, "stall")) && pct <= 100)
            snprintf(item, sizeof(item), "%s=%zu", key, len * pct / 100);
        o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "," : "", item);
        if (o >= cap)
            return false;
        in += k;
        if (*in == ',')
            in++;
    }
    return true;
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* http tls=: the certificate set of tools/make_tls_certs.sh (openssl; the script's path is
 * built in, $OTASIM_TLS_CERTS overrides it), made once per process (RSA key generation is most
 * of a TLS step's time) in a temporary directory removed at exit. */
static char cert_dir[64];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_certs(void)
{
    if (cert_dir[0])
        nftw(cert_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static bool make_certs(char *err, size_t errlen)
{
    if (cert_dir[0])
        return true;
    const char *script = getenv("OTASIM_TLS_CERTS");
    if (!script || !*script)
        script = OTASIM_TLS_CERTS_SCRIPT;
    if (access(script, R_OK)) {
        snprintf(err, errlen,
                 "tls=: cannot read the certificate script %.200s (set OTASIM_TLS_CERTS)", script);
        return false;
    }
    char dir[] = "/tmp/otasim-certs-XXXXXX";
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "tls=: cannot make a temporary directory");
        return false;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execlp("sh", "sh", script, dir, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
        snprintf(err, errlen, "tls=: %.200s failed (is openssl installed?)", script);
        nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
        return false;
    }
    memcpy(cert_dir, dir, sizeof(dir));
    atexit(remove_certs);
    return true;
}

/* The server's certificate and what the device trusts, per tls= case. */
static void tls_files(const scn_net_t *nt, update_server_opts_t *o, hdev_net_t *net)
{
    static char cert[400], key[400], trust[400];
    const char *c = nt->tls == SCN_TLS_FORGED       ? "forged.pem"
                    : nt->tls == SCN_TLS_WRONG_NAME ? "name.pem"
                                                    : "good.pem";
    const char *t = nt->tls == SCN_TLS_WRONG_CA    ? "other-ca.pem"
                    : nt->tls == SCN_TLS_PIN       ? "good.pub"
                    : nt->tls == SCN_TLS_WRONG_PIN ? "other.pub"
                                                   : "ca.pem";
    snprintf(cert, sizeof(cert), "%s/%s", cert_dir, c);
    snprintf(key, sizeof(key), "%s/good.key", cert_dir);
    snprintf(trust, sizeof(trust), "%s/%s", cert_dir, t);
    o->tls_cert = cert;
    o->tls_key = key;
    if (nt->tls == SCN_TLS_PIN || nt->tls == SCN_TLS_WRONG_PIN)
        net->update_pin = trust;
    else
        net->update_ca = trust;
}

/* http: the database + root for the update server (started by the peer process). */
static bool server_opts(const bstate_t *s, const scn_net_t *nt, const char *dir,
                        update_server_opts_t *o, hdev_net_t *net, char *err, size_t errlen)
{
    static char db[400];
    snprintf(db, sizeof(db), "%s/devices.json", dir);
    /* The device's MAC (native_net.c's default) or, for 404, another one. */
    const char *mac = nt->reply == SCN_REPLY_404 ? "02:00:00:00:00:99" : "02:00:00:00:00:01";
    unsigned want = nt->reply == SCN_REPLY_304 ? s->cur_version : nt->update.image.version;
    /* The server compares the fs entry's version with the one the client sends, the app's:
     * any other version is an update. */
    if (nt->update.fs)
        want = nt->reply == SCN_REPLY_304 ? s->cur_version : s->cur_version + 1;
    char text[400];
    if (nt->update.fs)
        snprintf(text, sizeof(text),
                 "{\"%s\": {\"file\": \"none.bin\", \"version\": \"%u\", "
                 "\"fs\": {\"file\": \"update.bin\", \"version\": \"%u\"}}}\n",
                 mac, s->cur_version, want);
    else
        snprintf(text, sizeof(text), "{\"%s\": {\"file\": \"update.bin\", \"version\": \"%u\"}}\n",
                 mac, want);
    if (write_file(db, text, strlen(text))) {
        snprintf(err, errlen, "cannot write %.200s", db);
        return false;
    }
    *o = (update_server_opts_t){.db_path = db,
                                .root = dir,
                                .bind = "127.0.0.1",
                                .fault = {.drop_after = -1, .stall_after = -1}};
    o->fault.no_length = nt->no_length;
    o->fault.bad_md5 = nt->wrong_md5;
    if (nt->reply == SCN_REPLY_403)
        o->fault.status = 403;
    else if (nt->reply == SCN_REPLY_500)
        o->fault.status = 500;
    /* The certificates are made here, once per process, not in each peer process. */
    if (nt->tls != SCN_TLS_OFF) {
        if (!make_certs(err, errlen))
            return false;
        tls_files(nt, o, net);
    }
    return true;
}

static void note_writes(bstate_t *s, const hdev_recording_t *r, size_t first)
{
    s->net_writes = 0;
    for (size_t i = first; i < r->nrecs; i++)
        if (r->recs[i].in_app && r->recs[i].kind != HDEV_REC_RTC)
            s->net_writes++;
}

int engine_net_step(engine_t *e, bstate_t *s, const scn_step_t *st, hdev_recording_t *rec,
                    hdev_result_t *res)
{
    const scn_net_t *nt = &st->u.net;
    scn_step_t up = *st;
    up.verb = SCN_UPDATE;
    up.u.update = nt->update;
    hdev_job_t job;
    if (engine_update_prepare(e, s, &up, &job))
        return -1;
    static peer_t p; /* large; one net step at a time */
    memset(&p, 0, sizeof(p));
    p.nt = nt;
    p.data = job.data;
    p.len = job.len;
    char dir[] = "/tmp/otasim-scn-net-XXXXXX", err[300] = "";
    if (!mkdtemp(dir)) {
        fprintf(e->out, "%s:%u: cannot make a temporary directory\n", e->scn->path, st->line);
        return -1;
    }
    snprintf(p.file, sizeof(p.file), "%s/update.bin", dir);
    int rc = -1;
    static update_server_opts_t srv_opts;
    peer_proc_t peer = {.pid = -1, .rd = -1};
    static netfault_cfg_t faults;
    static hdev_net_t net;
    static char url[80];
    int cons[2] = {-1, -1}, stop[2] = {-1, -1};
    memset(&net, 0, sizeof(net));
    if (write_file(p.file, job.data, job.len)) {
        snprintf(err, sizeof(err), "cannot write %.200s", p.file);
        goto out;
    }
    if (nt->fault[0]) {
        char spec[SCN_TEXT_LEN * 2];
        if (!fault_spec(nt->fault, job.len, spec, sizeof(spec)) ||
            !netfault_parse(spec, &faults, err, sizeof(err)))
            goto out;
        if (!strstr(spec, "seed="))
            faults.seed = e->seed; /* the scenario's seed (printed in its summary) */
        net.faults = &faults;
    }
    if (pipe2(cons, O_CLOEXEC) || pipe2(stop, O_CLOEXEC)) {
        snprintf(err, sizeof(err), "pipe: %s", strerror(errno));
        goto out;
    }
    net.stop_fd = stop[0];
    net.console_fd = cons[1];
    net.password = nt->password[0] ? nt->password : NULL;
    net.virtual_watchdog = true;
    switch (nt->transport) {
    case SCN_NET_ESPOTA:
        net.ota_port = p.ota_port = sock_free_port(true);
        break;
    case SCN_NET_WEB:
        net.web_port = p.web_port = sock_free_port(false);
        break;
    case SCN_NET_HTTP:
        if (!server_opts(s, nt, dir, &srv_opts, &net, err, sizeof(err)))
            goto out;
        p.server = &srv_opts;
        break;
    }
    p.console_rd = cons[0];
    p.stop_wr = stop[1];
    /* The peer closes the engine's ends: the console's write end (its EOF says the device is
     * gone) and the stop pipe's read end. */
    const int theirs[] = {cons[1], stop[0]};
    if (!peer_proc_start(&peer, peer_process, &p, theirs, 2)) {
        snprintf(err, sizeof(err), "cannot start the peer process: %s", strerror(errno));
        goto out;
    }
    if (p.server) {
        static server_msg_t m;
        if (!peer_proc_recv(&peer, &m, sizeof(m), 10000)) {
            snprintf(err, sizeof(err), "the update server did not start (no answer)");
            goto out;
        }
        if (!m.port) {
            snprintf(err, sizeof(err), "%.250s", m.err);
            goto out;
        }
        snprintf(url, sizeof(url), "%s://10.0.2.2:%u/update", nt->tls ? "https" : "http",
                 (unsigned)m.port);
        net.update_url = url;
        net.update_fs = nt->update.fs;
    }
    hdev_recording_t own;
    memset(&own, 0, sizeof(own));
    hdev_recording_t *r = rec ? rec : &own;
    size_t first = r->nrecs;
    hdev_set_net(e->dev, &net);
    hdev_run(e->dev, NULL, r, res);
    hdev_set_net(e->dev, NULL);
    close(cons[1]);
    cons[1] = -1;
    note_writes(s, r, first);
    hdev_recording_free(&own);
    /* The device is gone: the peer ends its waits at once, an uploader within its own time
     * limit. */
    static peer_result_t m;
    if (!peer_proc_recv(&peer, &m, sizeof(m), PEER_LIMIT_MS + END_WAIT_MS)) {
        snprintf(err, sizeof(err), "the peer process ended without its results");
        goto out;
    }
    s->net_ran = m.ran;
    s->net_ok = m.ok;
    s->net_idle = m.idle;
    s->second_ran = m.second_ran;
    s->second_ok = m.second_ok;
    memcpy(s->net_reply, m.reply, sizeof(s->net_reply));
    memcpy(s->second_reply, m.second_reply, sizeof(s->second_reply));
    rc = 0;
out:
    if (peer.pid > 0) {
        if (cons[1] >= 0) { /* not run: the peer must not wait for a device */
            close(cons[1]);
            cons[1] = -1;
        }
        peer_proc_end(&peer, 5000);
    }
    for (int i = 0; i < 2; i++) {
        if (cons[i] >= 0)
            close(cons[i]);
        if (stop[i] >= 0)
            close(stop[i]);
    }
    char path[400];
    static const char *const names[] = {"update.bin", "devices.json"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    if (rc)
        fprintf(e->out, "%s:%u: net: %s\n", e->scn->path, st->line, err);
    return rc;
}

static void expect_result(bstate_t *s, const scn_step_t *st, const char *who, bool ran, bool ok,
                          bool want, const char *reply)
{
    if (!ran)
        bstate_fail(s, st, "expected the %s to %s, but it never ran: %.200s", who,
                    want ? "succeed" : "fail", reply);
    else if (ok != want)
        bstate_fail(s, st, "expected the %s to %s, it %s: %.200s", who, want ? "succeed" : "fail",
                    ok ? "succeeded" : "failed", reply);
}

void engine_net_expect(engine_t *e, bstate_t *s, const scn_step_t *st)
{
    (void)e;
    const scn_expect_t *x = &st->u.expect;
    switch (x->kind) {
    case SCN_EXP_UPLOAD:
        expect_result(s, st, "upload", s->net_ran, s->net_ok, x->upload_ok, s->net_reply);
        break;
    case SCN_EXP_SECOND:
        expect_result(s, st, "second upload", s->second_ran, s->second_ok, x->upload_ok,
                      s->second_reply);
        break;
    case SCN_EXP_REPLY: {
        const char *r = x->second ? s->second_reply : s->net_reply;
        if ((strstr(r, x->text) != NULL) == x->lacks)
            bstate_fail(s, st, "expected the %sreply %s \"%s\", it was: %.200s",
                        x->second ? "second uploader's " : "", x->lacks ? "to lack" : "to contain",
                        x->text, r);
        break;
    }
    case SCN_EXP_WRITES:
        if (x->sweep_cmp == '<' ? s->net_writes > x->max_writes : s->net_writes != x->max_writes)
            bstate_fail(s, st, "expected %s%u flash writes by the app, got %u",
                        x->sweep_cmp == '<' ? "at most " : "", (unsigned)x->max_writes,
                        (unsigned)s->net_writes);
        break;
    case SCN_EXP_IDLE:
        if (!s->net_ran || !s->net_idle)
            bstate_fail(s, st, "expected the transport to end by itself, but it %s",
                        s->net_ran ? "did not end" : "never ran");
        else if (s->end != HDEV_END_IDLE || !s->app_running)
            bstate_fail(s, st, "expected the device idle in its app, it ended: %s",
                        hdev_end_name(s->end));
        break;
    default:
        break;
    }
}
