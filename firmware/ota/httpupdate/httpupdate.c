/* See httpupdate.h. */
#include "httpupdate.h"

#include <string.h>

#include "base64.h"
#include "esp_info.h"
#include "image.h"
#include "strbuf.h"

static bool parse_port(const char *s, size_t n, uint16_t *out)
{
    uint32_t v = 0;
    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

bool httpupdate_parse_url(const char *url, httpupdate_url_t *u)
{
    memset(u, 0, sizeof(*u));
    const char *p;
    if (http_strneq_nocase(url, "http://", 7)) {
        p = url + 7;
        u->port = 80;
    } else if (http_strneq_nocase(url, "https://", 8)) {
        p = url + 8;
        u->port = 443;
        u->tls = true;
    } else {
        return false;
    }
    size_t hostport = strcspn(p, "/?#");
    const char *colon = memchr(p, ':', hostport);
    size_t hlen = colon ? (size_t)(colon - p) : hostport;
    if (hlen == 0 || hlen >= sizeof(u->host))
        return false;
    if (colon && !parse_port(colon + 1, hostport - hlen - 1, &u->port))
        return false;
    memcpy(u->host, p, hlen);
    for (size_t i = 0; i < hlen; i++)
        if ((unsigned char)u->host[i] <= ' ' || u->host[i] == '@')
            return false; /* no credentials in URLs, no blanks */
    const char *path = p + hostport;
    size_t plen = strcspn(path, "#");
    if (plen + 2 > sizeof(u->path))
        return false;
    if (*path != '/')
        u->path[0] = '/';
    memcpy(u->path + (*path != '/'), path, plen);
    for (const char *c = u->path; *c; c++)
        if ((unsigned char)*c <= ' ')
            return false;
    return true;
}

bool httpupdate_begin(httpupdate_t *s, const httpupdate_config_t *cfg, const char *url)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->result = HTTP_UPDATE_FAILED;
    http_head_init(&s->head, false);
    if (!httpupdate_parse_url(url, &s->url)) {
        s->last_error = HTTPC_ERROR_CONNECTION_FAILED;
        s->step = HTTPUPDATE_FINISHED;
        return false;
    }
    return true;
}

static void put_mac(strbuf_t *sb, const uint8_t mac[6])
{
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < 6; i++) {
        if (i)
            sb_putc(sb, ':');
        sb_putc(sb, hex[mac[i] >> 4]);
        sb_putc(sb, hex[mac[i] & 15]);
    }
}

static void header_u32(strbuf_t *sb, const char *name, uint32_t v)
{
    sb_puts(sb, name);
    sb_puts(sb, ": ");
    sb_put_u32(sb, v);
    sb_puts(sb, "\r\n");
}

size_t httpupdate_request(httpupdate_t *s, char *out, size_t cap)
{
    const httpupdate_config_t *c = s->cfg;
    if (s->step == HTTPUPDATE_REDIRECT)
        s->step = HTTPUPDATE_RUNNING; /* the request to the new location starts */
    strbuf_t sb;
    sb_init(&sb, out, cap);
    sb_puts(&sb, "GET ");
    sb_puts(&sb, s->url.path);
    sb_puts(&sb, " HTTP/1.0\r\nHost: ");
    sb_puts(&sb, s->url.host);
    if (s->url.port != 80 && s->url.port != 443) {
        sb_putc(&sb, ':');
        sb_put_u32(&sb, s->url.port);
    }
    sb_puts(&sb, "\r\nUser-Agent: ESP8266-http-Update\r\n");
    if (c->authorization && c->authorization[0]) {
        char b64[BASE64_ENCODED_LEN(128) + 1];
        size_t alen = strlen(c->authorization);
        if (alen > 128 || !base64_encode(c->authorization, alen, b64, sizeof(b64)))
            return 0;
        sb_puts(&sb, "Authorization: Basic ");
        sb_puts(&sb, b64);
        sb_puts(&sb, "\r\n");
    }
    sb_puts(&sb, "Connection: close\r\n");
    header_u32(&sb, "x-ESP8266-Chip-ID", c->id.chip_id);
    sb_puts(&sb, "x-ESP8266-STA-MAC: ");
    put_mac(&sb, c->id.sta_mac);
    sb_puts(&sb, "\r\nx-ESP8266-AP-MAC: ");
    put_mac(&sb, c->id.ap_mac);
    sb_puts(&sb, "\r\n");
    header_u32(&sb, "x-ESP8266-free-space", esp_free_sketch_space(c->layout));
    uint32_t sketch = 0;
    esp_sketch_size(&sketch);
    header_u32(&sb, "x-ESP8266-sketch-size", sketch);
    uint8_t md5[MD5_DIGEST_LEN];
    sb_puts(&sb, "x-ESP8266-sketch-md5: ");
    if (esp_sketch_md5(md5))
        sb_put_hex(&sb, md5, sizeof(md5));
    sb_puts(&sb, "\r\n");
    header_u32(&sb, "x-ESP8266-chip-size", esp_flash_chip_real_size());
    sb_puts(&sb, "x-ESP8266-sdk-version: ");
    sb_puts(&sb, c->id.sdk_version ? c->id.sdk_version : "");
    static const char *const modes[] = {"sketch", "spiffs", "version"};
    sb_puts(&sb, "\r\nx-ESP8266-mode: ");
    sb_puts(&sb, modes[c->mode]);
    sb_puts(&sb, "\r\n");
    if (c->current_version && c->current_version[0]) {
        sb_puts(&sb, "x-ESP8266-version: ");
        sb_puts(&sb, c->current_version);
        sb_puts(&sb, "\r\n");
    }
    sb_puts(&sb, "Content-Length: 0\r\n\r\n");
    return sb.len < cap ? sb.len : 0;
}

static httpupdate_step_t finish(httpupdate_t *s, httpupdate_result_t r, int error)
{
    s->result = r;
    if (r == HTTP_UPDATE_FAILED)
        s->last_error = error;
    s->step = HTTPUPDATE_FINISHED;
    return s->step;
}

static httpupdate_step_t updater_failed(httpupdate_t *s)
{
    return finish(s, HTTP_UPDATE_FAILED, (int)updater_get_error(s->cfg->updater));
}

static bool is_hex32(const char *m)
{
    if (strlen(m) != 32)
        return false;
    for (int i = 0; i < 32; i++) {
        char c = m[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

static httpupdate_step_t redirect(httpupdate_t *s)
{
    const char *loc = http_head_get(&s->head, "Location");
    if (!loc || s->hops >= HTTPUPDATE_MAX_REDIRECTS)
        return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_SERVER_WRONG_HTTP_CODE);
    httpupdate_url_t next;
    if (loc[0] == '/') { /* a relative Location keeps host and port */
        next = s->url;
        size_t n = strlen(loc);
        if (n >= sizeof(next.path))
            return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_SERVER_WRONG_HTTP_CODE);
        memcpy(next.path, loc, n + 1);
    } else if (!httpupdate_parse_url(loc, &next)) {
        return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_SERVER_WRONG_HTTP_CODE);
    }
    size_t n = strlen(loc);
    if (n >= sizeof(s->location))
        return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_SERVER_WRONG_HTTP_CODE);
    memcpy(s->location, loc, n + 1);
    s->url = next;
    s->hops++;
    http_head_init(&s->head, false);
    s->step = HTTPUPDATE_REDIRECT;
    return s->step;
}

/* The head is complete: decide (spec §5.3). */
static httpupdate_step_t on_head(httpupdate_t *s)
{
    const httpupdate_config_t *c = s->cfg;
    int code = s->head.code;
    bool redirect_code = code == 301 || code == 302 || code == 303 || code == 307;
    if (redirect_code && c->follow != HTTPC_DISABLE_FOLLOW_REDIRECTS)
        return redirect(s); /* GET: strict and forced modes follow the same codes */
    if (c->mode == HTTPUPDATE_VERSION) {
        if (code == 200) {
            const char *v = http_head_get(&s->head, "x-version");
            if (!v)
                return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_SERVER_NOT_REPORT_VERSION);
            size_t n = strlen(v) < sizeof(s->version) - 1 ? strlen(v) : sizeof(s->version) - 1;
            memcpy(s->version, v, n);
            s->version[n] = '\0';
            return finish(s, HTTP_UPDATE_OK, 0);
        }
    } else if (code == 200) {
        uint32_t len = 0;
        if (http_head_content_length(&s->head, &len) != 1 || len == 0)
            return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_SERVER_NOT_REPORT_SIZE);
        uint32_t room = c->mode == HTTPUPDATE_FS ? c->layout->fs_end - c->layout->fs_start
                                                 : esp_free_sketch_space(c->layout);
        if (len > room)
            return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_TOO_LESS_SPACE);
        const char *md5 = c->md5;
        char joined[40];
        if (!md5 && http_head_get_joined(&s->head, "x-MD5", joined, sizeof(joined)))
            md5 = joined;
        if (md5 && md5[0] && !is_hex32(md5))
            return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_SERVER_FAULTY_MD5);
        if (md5 && md5[0])
            memcpy(s->md5, md5, 33);
        s->body_len = len;
        s->in_body = true;
        return s->step;
    }
    switch (code) {
    case 304:
        if (c->mode != HTTPUPDATE_VERSION)
            return finish(s, HTTP_UPDATE_NO_UPDATES, 0);
        break;
    case 404:
        return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_SERVER_FILE_NOT_FOUND);
    case 403:
        return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_SERVER_FORBIDDEN);
    case 401:
        return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_SERVER_UNAUTHORIZED);
    default:
        break;
    }
    return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_SERVER_WRONG_HTTP_CODE);
}

/* The first bytes of a sketch (spec §5.3), then begin(). */
static httpupdate_step_t start_update(httpupdate_t *s)
{
    const httpupdate_config_t *c = s->cfg;
    if (c->mode == HTTPUPDATE_SKETCH) {
        if (s->first[0] != IMAGE_MAGIC && s->first[0] != 0x1F)
            return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_BIN_VERIFY_HEADER_FAILED);
        if (!c->flash_map && s->first[0] == IMAGE_MAGIC &&
            image_flash_size_from_code((uint8_t)(s->first[3] >> 4)) > esp_flash_chip_real_size())
            return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_BIN_FOR_WRONG_FLASH);
    }
    updater_t *u = c->updater;
    if (!updater_begin(u, s->body_len, c->mode == HTTPUPDATE_FS ? U_FS : U_FLASH))
        return updater_failed(s);
    if (s->md5[0] && !updater_set_md5(u, s->md5)) {
        updater_end(u, false);
        return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_SERVER_FAULTY_MD5);
    }
    s->updating = true;
    if (updater_write(u, s->first, s->first_len) != s->first_len)
        return updater_failed(s);
    return s->step;
}

static httpupdate_step_t body_done(httpupdate_t *s)
{
    const httpupdate_config_t *c = s->cfg;
    s->updating = false;
    if (!updater_end(c->updater, false))
        return updater_failed(s);
    s->reboot = c->reboot_on_update && (c->mode == HTTPUPDATE_SKETCH || c->atomic_fs);
    return finish(s, HTTP_UPDATE_OK, 0);
}

httpupdate_step_t httpupdate_feed(httpupdate_t *s, const uint8_t *data, size_t len)
{
    if (s->step != HTTPUPDATE_RUNNING)
        return s->step;
    size_t used = 0;
    if (!s->in_body) {
        used = http_head_feed(&s->head, data, len);
        if (s->head.status == HTTP_HEAD_MORE)
            return s->step;
        if (s->head.status != HTTP_HEAD_DONE)
            return finish(s, HTTP_UPDATE_FAILED, HTTPC_ERROR_NO_HTTP_SERVER);
        if (on_head(s) != HTTPUPDATE_RUNNING || !s->in_body)
            return s->step;
    }
    while (used < len && s->body_got < s->body_len) {
        size_t n = len - used;
        if (n > s->body_len - s->body_got)
            n = s->body_len - s->body_got;
        if (!s->updating) {
            /* Collect the first 4 bytes (or the whole body when shorter) before begin(). */
            size_t want = (s->body_len < 4 ? s->body_len : 4) - s->first_len;
            size_t k = n < want ? n : want;
            memcpy(s->first + s->first_len, data + used, k);
            s->first_len += (uint32_t)k;
            s->body_got += (uint32_t)k;
            used += k;
            if (s->first_len == (s->body_len < 4 ? s->body_len : 4)) {
                if (s->body_len < 4 && s->cfg->mode == HTTPUPDATE_SKETCH)
                    return finish(s, HTTP_UPDATE_FAILED, HTTP_UE_BIN_VERIFY_HEADER_FAILED);
                if (start_update(s) != HTTPUPDATE_RUNNING)
                    return s->step;
            }
            continue;
        }
        if (updater_write(s->cfg->updater, data + used, (uint32_t)n) != n) {
            s->updating = false;
            return updater_failed(s);
        }
        s->body_got += (uint32_t)n;
        used += n;
    }
    if (s->updating && s->body_got == s->body_len)
        return body_done(s);
    return s->step;
}

httpupdate_step_t httpupdate_close(httpupdate_t *s, int error)
{
    if (s->step != HTTPUPDATE_RUNNING)
        return s->step;
    if (s->updating) {
        /* The rest of the body never came: reset the Updater, nothing is committed. */
        s->updating = false;
        updater_end(s->cfg->updater, false);
        if (error < 0)
            return finish(s, HTTP_UPDATE_FAILED, error);
        return updater_failed(s);
    }
    return finish(s, HTTP_UPDATE_FAILED, error < 0 ? error : HTTPC_ERROR_CONNECTION_LOST);
}

httpupdate_step_t httpupdate_close_detail(httpupdate_t *s, int error, int tls_error,
                                          const char *detail)
{
    if (s->step != HTTPUPDATE_RUNNING)
        return s->step;
    s->tls_error = tls_error;
    s->transport_detail = detail;
    return httpupdate_close(s, error);
}

int httpupdate_tls_error(const httpupdate_t *s)
{
    return s->tls_error;
}

const char *httpupdate_redirect_url(const httpupdate_t *s)
{
    return s->location;
}

httpupdate_result_t httpupdate_result(const httpupdate_t *s)
{
    return s->result;
}

int httpupdate_last_error(const httpupdate_t *s)
{
    return s->last_error;
}

bool httpupdate_should_reboot(const httpupdate_t *s)
{
    return s->reboot;
}

const char *httpupdate_version(const httpupdate_t *s)
{
    return s->version;
}

static const char *httpc_text(int e)
{
    static const char *const t[] = {
        "connection failed",  "send header failed", "send payload failed",
        "not connected",      "connection lost",    "no stream",
        "no HTTP server",     "not enough ram",     "Transfer-Encoding not supported",
        "Stream write error", "read Timeout"};
    return e <= -1 && e >= -11 ? t[-e - 1] : "";
}

static const char *update_text(int e)
{
    static const char *const t[] = {
        "Not Enough space",         "Server Did Not Report Size",
        "File Not Found (404)",     "Forbidden (403)",
        "Wrong HTTP Code",          "Wrong MD5",
        "Verify Bin Header Failed", "New Binary Does Not Fit Flash Size",
        "Unauthorized (401)",       ""};
    return e <= -100 && e >= -109 ? t[-e - 100] : "";
}

size_t httpupdate_error_string(const httpupdate_t *s, char *out, size_t cap)
{
    strbuf_t sb;
    sb_init(&sb, out, cap);
    int e = s->last_error;
    if (e > 0) {
        char line[160];
        size_t n = updater_format_error(s->cfg->updater, line, sizeof(line));
        if (n >= sizeof(line)) /* the length of the whole text: it was truncated */
            n = sizeof(line) - 1;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0'; /* trimmed, as the original */
        sb_puts(&sb, "Update error: ");
        sb_puts(&sb, line);
    } else if (e < 0 && e > -100) {
        sb_puts(&sb, "HTTP error: ");
        sb_puts(&sb, httpc_text(e));
        if (s->transport_detail) {
            sb_puts(&sb, " (TLS: ");
            sb_puts(&sb, s->transport_detail);
            sb_putc(&sb, ')');
        }
    } else if (e < 0) {
        sb_puts(&sb, update_text(e));
    }
    return sb.len;
}
