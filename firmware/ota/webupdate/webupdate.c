/* See webupdate.h. */
#include "webupdate.h"

#include <string.h>

#include "esp_info.h"
#include "strbuf.h"

static const char page[] =
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Firmware update</title></head>"
    "<body><form method=\"POST\" action=\"\" enctype=\"multipart/form-data\">Firmware:<br>"
    "<input type=\"file\" accept=\".bin,.bin.gz\" name=\"firmware\">"
    "<input type=\"submit\" value=\"Update Firmware\"></form>"
    "<form method=\"POST\" action=\"\" enctype=\"multipart/form-data\">FileSystem:<br>"
    "<input type=\"file\" accept=\".bin,.bin.gz\" name=\"filesystem\">"
    "<input type=\"submit\" value=\"Update FileSystem\"></form></body></html>";

static const char success_page[] = "<!DOCTYPE html><html><head><meta http-equiv=\"refresh\" "
                                   "content=\"15;URL=/\"></head><body>Update Success! "
                                   "Rebooting...</body></html>";

static const char cors[] = "Access-Control-Allow-Headers: *\r\nAccess-Control-Allow-Origin: *\r\n";

static const char *reason(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 411:
        return "Length Required";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return "Error";
    }
}

/* Builds the response; `extra` are header lines (each ending in CRLF) or NULL. */
static void respond(webupdate_conn_t *c, int code, const char *type, const char *extra,
                    const char *body, const char *body2)
{
    size_t blen = strlen(body) + (body2 ? strlen(body2) : 0);
    strbuf_t sb;
    sb_init(&sb, c->resp, sizeof(c->resp));
    sb_puts(&sb, "HTTP/1.1 ");
    sb_put_u32(&sb, (uint32_t)code);
    sb_putc(&sb, ' ');
    sb_puts(&sb, reason(code));
    sb_puts(&sb, "\r\nContent-Type: ");
    sb_puts(&sb, type);
    sb_puts(&sb, "\r\nContent-Length: ");
    sb_put_u32(&sb, (uint32_t)blen);
    sb_puts(&sb, "\r\nConnection: close\r\n");
    if (extra)
        sb_puts(&sb, extra);
    sb_puts(&sb, "\r\n");
    sb_puts(&sb, body);
    if (body2)
        sb_puts(&sb, body2);
    c->resp_len = sb.len < sizeof(c->resp) ? sb.len : sizeof(c->resp) - 1;
    c->state = WEBUPDATE_DONE;
}

static void respond_text(webupdate_conn_t *c, int code, const char *text)
{
    respond(c, code, "text/plain", NULL, text, NULL);
}

void webupdate_conn_init(webupdate_conn_t *c, const webupdate_config_t *cfg)
{
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    http_head_init(&c->head, true);
}

/* ---- The upload (multipart callbacks) ---- */

static bool part_begin(void *ctx, const multipart_part_t *p)
{
    webupdate_conn_t *c = ctx;
    c->file_part = p->has_filename;
    if (!p->has_filename)
        return true; /* a plain form field: drained */
    updater_t *u = c->cfg->updater;
    if (c->any_file) {
        /* One update per request: a second file part would restart the Updater mid-way. */
        memcpy(c->error, "more than one file part", 24);
        c->update_failed = true;
        c->file_part = false;
        return true;
    }
    c->any_file = true;
    updater_clear_error(u);
    const flash_layout_t *l = c->cfg->layout;
    bool ok;
    if (!strcmp(p->name, "filesystem")) {
        ok = updater_begin(u, l->fs_end - l->fs_start, U_FS);
    } else {
        /* The maximum size, as the original: the stage lands just above the sketch. */
        uint32_t free_space = esp_free_sketch_space(l);
        uint32_t max = free_space > 0x1000u ? (free_space - 0x1000u) & ~0xFFFu : 0;
        ok = updater_begin(u, max, U_FLASH);
    }
    if (!ok)
        c->update_failed = true;
    return true;
}

static bool part_data(void *ctx, const uint8_t *data, size_t len)
{
    webupdate_conn_t *c = ctx;
    if (!c->file_part || c->update_failed)
        return true;
    if (updater_write(c->cfg->updater, data, (uint32_t)len) != len)
        c->update_failed = true;
    return true;
}

static bool part_end(void *ctx)
{
    webupdate_conn_t *c = ctx;
    if (c->file_part && !c->update_failed && !updater_end(c->cfg->updater, true))
        c->update_failed = true;
    c->file_part = false;
    return true;
}

static void finish_upload(webupdate_conn_t *c)
{
    mp_status_t st = multipart_finish(&c->mp);
    if (c->file_part) { /* the body ended inside a file part */
        updater_end(c->cfg->updater, false);
        c->file_part = false;
        c->update_failed = true;
    }
    if (st != MP_OK && !c->update_failed) {
        if (c->any_file)
            updater_end(c->cfg->updater, false);
        respond(c, 400, "text/html", cors, "Update error: ", multipart_status_text(st));
        return;
    }
    if (!c->any_file) {
        respond(c, 400, "text/html", cors, "Update error: no file part in the upload", NULL);
        return;
    }
    if (c->update_failed) {
        char msg[96];
        if (c->error[0]) {
            strbuf_t sb;
            sb_init(&sb, msg, sizeof(msg));
            sb_puts(&sb, c->error);
            sb_putc(&sb, '\n');
        } else {
            updater_format_error(c->cfg->updater, msg, sizeof(msg));
        }
        respond(c, 200, "text/html", cors, "Update error: ", msg);
        return;
    }
    respond(c, 200, "text/html", cors, success_page, NULL);
    c->reboot = true;
}

/* ---- The request ---- */

static void route(webupdate_conn_t *c)
{
    const http_head_t *h = &c->head;
    size_t plen = strcspn(h->target, "?");
    if (plen != strlen(c->cfg->path) || strncmp(h->target, c->cfg->path, plen) != 0) {
        respond_text(c, 404, "Not found\n");
        return;
    }
    bool authed = http_auth_check(&c->cfg->auth, h->method, http_head_get(h, "Authorization"));
    if (!strcmp(h->method, "OPTIONS")) {
        respond(c, 200, "text/html", cors, "y", NULL);
        return;
    }
    if (strcmp(h->method, "GET") != 0 && strcmp(h->method, "POST") != 0) {
        respond(c, 405, "text/plain", "Allow: GET, POST, OPTIONS\r\n", "Method Not Allowed\n",
                NULL);
        return;
    }
    if (!authed) {
        if (!strcmp(h->method, "POST") && c->cfg->on_refused)
            c->cfg->on_refused(c->cfg->user);
        respond(c, 401, "text/html", "WWW-Authenticate: Basic realm=\"Login Required\"\r\n", "",
                NULL);
        return;
    }
    if (!strcmp(h->method, "GET")) {
        respond(c, 200, "text/html", NULL, page, NULL);
        return;
    }
    uint32_t len = 0;
    int cl = http_head_content_length(h, &len);
    if (http_head_get(h, "Transfer-Encoding") || cl == 0) {
        respond_text(c, 411, "a POST needs a Content-Length (chunked bodies are not accepted)\n");
        return;
    }
    if (cl < 0) {
        respond_text(c, 400, "bad Content-Length\n");
        return;
    }
    multipart_callbacks_t cb = {c, part_begin, part_data, part_end};
    if (multipart_init(&c->mp, http_head_get(h, "Content-Type"), &cb) != MP_OK) {
        respond(c, 400, "text/html", cors, "Update error: ", multipart_status_text(c->mp.status));
        return;
    }
    c->body_left = len;
    c->state = WEBUPDATE_BODY;
    if (len == 0)
        finish_upload(c);
}

size_t webupdate_conn_feed(webupdate_conn_t *c, const uint8_t *data, size_t len)
{
    size_t used = 0;
    if (c->state == WEBUPDATE_HEAD) {
        used = http_head_feed(&c->head, data, len);
        switch (c->head.status) {
        case HTTP_HEAD_MORE:
            return used;
        case HTTP_HEAD_DONE:
            route(c);
            break;
        case HTTP_HEAD_TOO_BIG:
        case HTTP_HEAD_TOO_MANY:
            respond_text(c, 431, "request head too large\n");
            return used;
        case HTTP_HEAD_BAD_SYNTAX:
            respond_text(c, 400, "malformed request\n");
            return used;
        }
    }
    if (c->state == WEBUPDATE_BODY && used < len) {
        size_t n = len - used;
        if (n > c->body_left)
            n = c->body_left; /* bytes after the body are not part of it */
        multipart_feed(&c->mp, data + used, n);
        used += n;
        c->body_left -= (uint32_t)n;
        if (c->body_left == 0)
            finish_upload(c);
    }
    return used;
}

void webupdate_conn_abort(webupdate_conn_t *c)
{
    if (c->state == WEBUPDATE_BODY && c->any_file && c->file_part)
        updater_end(c->cfg->updater, false); /* ABORTED: reset, nothing committed */
    c->file_part = false;
    c->state = WEBUPDATE_DONE;
    c->resp_len = 0;
}

const char *webupdate_conn_response(const webupdate_conn_t *c, size_t *len)
{
    if (c->state != WEBUPDATE_DONE || c->resp_len == 0)
        return NULL;
    *len = c->resp_len;
    return c->resp;
}

bool webupdate_conn_reboot(const webupdate_conn_t *c)
{
    return c->reboot;
}
