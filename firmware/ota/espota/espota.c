/* The ArduinoOTA responder (espota.h). */
#include "espota.h"

#include "boot_cmd.h"
#include "hal.h"
#include "http_auth.h"
#include "md5.h"
#include "strbuf.h"

#define BACKOFF_FIRST_MS 1000u
#define BACKOFF_MAX_MS 64000u
#define CONFIG_ERASE_BYTES 0x4000u

static size_t slen(const char *s)
{
    size_t n = 0;
    while (s && s[n])
        n++;
    return n;
}

/* What a bounded builder holds (its text may have been cut to the buffer). */
static size_t blen(const strbuf_t *b)
{
    return b->len < b->cap ? b->len : (b->cap ? b->cap - 1 : 0);
}

static void md5hex(const void *data, size_t len, char out[33])
{
    md5_ctx_t c;
    uint8_t d[MD5_DIGEST_LEN];
    md5_init(&c);
    md5_update(&c, data, len);
    md5_final(&c, d);
    strbuf_t b;
    sb_init(&b, out, 33);
    sb_put_hex(&b, d, sizeof(d));
}

void espota_default_config(espota_config_t *cfg)
{
    *cfg = (espota_config_t){.reboot_on_success = true, .receive_timeout_ms = 1000};
}

void espota_init(espota_t *o, const espota_config_t *cfg)
{
    *o = (espota_t){.cfg = *cfg};
    if (cfg->password_hash && slen(cfg->password_hash) == 32) {
        for (int i = 0; i < 33; i++)
            o->secret[i] = cfg->password_hash[i];
    } else if (cfg->password && cfg->password[0]) {
        md5hex(cfg->password, slen(cfg->password), o->secret);
    }
}

/* ---- the original's stream parser over one datagram (ArduinoOTA.cpp: parseInt, ...) ---- */

typedef struct cursor {
    const uint8_t *p;
    size_t len, at;
} cursor_t;

/* Skips spaces, takes up to 16 digits; stops at a non-digit without consuming it. 16 digits
 * without a terminator give 0, as the original's fixed buffer does. */
static int64_t parse_int(cursor_t *c)
{
    while (c->at < c->len && c->p[c->at] == ' ')
        c->at++;
    int64_t v = 0;
    unsigned n = 0;
    while (c->at < c->len && c->p[c->at] >= '0' && c->p[c->at] <= '9') {
        if (n == 16)
            return 0;
        v = v * 10 + (c->p[c->at] - '0');
        c->at++;
        n++;
    }
    if (n == 16 && c->at >= c->len)
        return 0;
    return v;
}

/* Reads up to (not including) one of the stop bytes, NUL or the end, consuming the stop byte;
 * trims whitespace; true when exactly 32 characters remain (copied to out). */
static bool read_token32(cursor_t *c, char stop1, char stop2, char out[33])
{
    size_t from = c->at;
    while (c->at < c->len && c->p[c->at] != (uint8_t)stop1 && c->p[c->at] != (uint8_t)stop2 &&
           c->p[c->at] != 0)
        c->at++;
    size_t to = c->at;
    if (c->at < c->len)
        c->at++;
    while (from < to &&
           (c->p[from] == ' ' || c->p[from] == '\t' || c->p[from] == '\r' || c->p[from] == '\n'))
        from++;
    while (to > from && (c->p[to - 1] == ' ' || c->p[to - 1] == '\t' || c->p[to - 1] == '\r' ||
                         c->p[to - 1] == '\n'))
        to--;
    if (to - from != 32)
        return false;
    for (size_t i = 0; i < 32; i++)
        out[i] = (char)c->p[from + i];
    out[32] = 0;
    return true;
}

static void put(char *buf, size_t cap, size_t *len, const char *s)
{
    strbuf_t b;
    sb_init(&b, buf, cap);
    sb_puts(&b, s);
    *len = blen(&b);
}

static void raise_error(espota_t *o, ota_error_t e)
{
    if (o->cfg.callbacks.on_error)
        o->cfg.callbacks.on_error(o->cfg.callbacks.user, e);
}

static void invitation(espota_t *o, cursor_t *c, uint32_t ip, uint16_t port, uint32_t now_ms,
                       char *reply, size_t *reply_len)
{
    int64_t cmd = parse_int(c);
    if (cmd != ESPOTA_CMD_FLASH && cmd != ESPOTA_CMD_FS)
        return; /* silently dropped, nothing changes */
    int64_t hport = parse_int(c);
    int64_t size = parse_int(c);
    if (c->at < c->len)
        c->at++; /* exactly one separating byte */
    char md5[33];
    if (!read_token32(c, '\n', '\n', md5))
        return;
    if (o->secret[0] && (int32_t)(now_ms - o->backoff_until_ms) < 0)
        return; /* backing off after failed authentications */
    o->cmd = (int)cmd;
    o->host_port = (uint32_t)hport;
    o->size = (int32_t)size;
    for (int i = 0; i < 33; i++)
        o->md5[i] = md5[i];
    o->peer_ip = ip;
    o->peer_port = port;
    if (!o->secret[0]) {
        o->state = OTA_RUNUPDATE;
        return;
    }
    /* Fix: the nonce comes from the random source, not md5(micros()). */
    uint8_t rnd[16];
    hal_random(rnd, sizeof(rnd));
    md5hex(rnd, sizeof(rnd), o->nonce);
    strbuf_t b;
    sb_init(&b, reply, ESPOTA_REPLY_MAX);
    sb_puts(&b, "AUTH ");
    sb_puts(&b, o->nonce);
    *reply_len = blen(&b);
    o->state = OTA_WAITAUTH;
}

static void auth(espota_t *o, cursor_t *c, uint32_t now_ms, char *reply, size_t *reply_len)
{
    o->state = OTA_IDLE; /* unless it is a well-formed, right answer */
    if (parse_int(c) != ESPOTA_CMD_AUTH)
        return;
    if (c->at < c->len)
        c->at++;
    char cnonce[33], response[33];
    if (!read_token32(c, ' ', ' ', cnonce) || !read_token32(c, '\n', '\n', response))
        return;
    char text[32 + 1 + 32 + 1 + 32 + 1];
    strbuf_t b;
    sb_init(&b, text, sizeof(text));
    sb_puts(&b, o->secret);
    sb_puts(&b, ":");
    sb_puts(&b, o->nonce);
    sb_puts(&b, ":");
    sb_puts(&b, cnonce);
    char expect[33];
    md5hex(text, blen(&b), expect);
    if (!ota_ct_equal(expect, response)) {
        put(reply, ESPOTA_REPLY_MAX, reply_len, "Authentication Failed");
        raise_error(o, OTA_AUTH_ERROR);
        uint32_t backoff = BACKOFF_FIRST_MS << (o->auth_failures < 6 ? o->auth_failures : 6);
        o->backoff_until_ms = now_ms + (backoff > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff);
        o->auth_failures++;
        return;
    }
    o->auth_failures = 0;
    o->state = OTA_RUNUPDATE;
}

void espota_udp(espota_t *o, const uint8_t *pkt, size_t len, uint32_t ip, uint16_t port,
                uint32_t now_ms, char reply[ESPOTA_REPLY_MAX], size_t *reply_len)
{
    *reply_len = 0;
    cursor_t c = {pkt, len, 0};
    if (o->state == OTA_IDLE)
        invitation(o, &c, ip, port, now_ms, reply, reply_len);
    else if (o->state == OTA_WAITAUTH)
        auth(o, &c, now_ms, reply, reply_len);
    /* During an update every datagram is ignored (a second invitation included). */
}

bool espota_handle(espota_t *o, uint32_t now_ms, char reply[ESPOTA_REPLY_MAX], size_t *reply_len)
{
    *reply_len = 0;
    if (o->state != OTA_RUNUPDATE)
        return false;
    updater_t *u = o->cfg.updater;
    updater_clear_error(u);
    int command = o->cmd == ESPOTA_CMD_FS ? U_FS : U_FLASH;
    if (o->size < 0 || !updater_begin(u, (uint32_t)o->size, command)) {
        strbuf_t b;
        sb_init(&b, reply, ESPOTA_REPLY_MAX);
        sb_puts(&b, "ERR: ");
        char line[ESPOTA_REPLY_MAX];
        size_t n = updater_format_error(u, line, sizeof(line));
        if (n >= sizeof(line))
            n = sizeof(line) - 1;
        line[n] = 0;
        sb_puts(&b, line);
        *reply_len = blen(&b);
        o->state = OTA_IDLE;
        raise_error(o, OTA_BEGIN_ERROR);
        return false;
    }
    updater_set_md5(u, o->md5);
    put(reply, ESPOTA_REPLY_MAX, reply_len, "OK");
    if (o->cfg.callbacks.on_start)
        o->cfg.callbacks.on_start(o->cfg.callbacks.user);
    if (o->cfg.callbacks.on_progress)
        o->cfg.callbacks.on_progress(o->cfg.callbacks.user, 0, (uint32_t)o->size);
    o->total = 0;
    o->last_data_ms = now_ms;
    o->state = OTA_RECEIVING;
    return true;
}

void espota_connected(espota_t *o, bool ok, uint32_t now_ms)
{
    if (o->state != OTA_RECEIVING)
        return;
    o->last_data_ms = now_ms;
    if (ok)
        return;
    /* Fix: abort and raise only the connect error (the original fell through to end()). */
    updater_end(o->cfg.updater, false);
    updater_clear_error(o->cfg.updater);
    o->state = OTA_IDLE;
    raise_error(o, OTA_CONNECT_ERROR);
}

static void final_error(espota_t *o, char *final, size_t *final_len)
{
    size_t n = updater_format_error(o->cfg.updater, final, ESPOTA_REPLY_MAX);
    *final_len = n < ESPOTA_REPLY_MAX ? n : ESPOTA_REPLY_MAX - 1;
}

static void finish(espota_t *o, char *final, size_t *final_len)
{
    updater_t *u = o->cfg.updater;
    o->state = OTA_IDLE;
    if (updater_end(u, false)) {
        put(final, ESPOTA_REPLY_MAX, final_len, "OK");
        if (o->cfg.callbacks.on_end)
            o->cfg.callbacks.on_end(o->cfg.callbacks.user);
        o->reboot = o->cfg.reboot_on_success;
        return;
    }
    final_error(o, final, final_len);
    raise_error(o, OTA_END_ERROR);
}

void espota_tcp_data(espota_t *o, const uint8_t *data, size_t len, uint32_t now_ms, char *ack,
                     size_t ack_cap, size_t *ack_len, char final[ESPOTA_REPLY_MAX],
                     size_t *final_len)
{
    *ack_len = 0;
    *final_len = 0;
    if (o->state != OTA_RECEIVING || len == 0)
        return;
    o->last_data_ms = now_ms;
    updater_t *u = o->cfg.updater;
    uint32_t written = updater_write(u, data, (uint32_t)len);
    if (written > 0) {
        o->total += written;
        strbuf_t b;
        sb_init(&b, ack, ack_cap);
        sb_put_u32(&b, written);
        *ack_len = blen(&b);
        if (o->cfg.callbacks.on_progress)
            o->cfg.callbacks.on_progress(o->cfg.callbacks.user, o->total, (uint32_t)o->size);
    }
    if (updater_is_finished(u) || updater_has_error(u) || written < len)
        finish(o, final, final_len);
}

void espota_tcp_closed(espota_t *o, char final[ESPOTA_REPLY_MAX], size_t *final_len)
{
    *final_len = 0;
    if (o->state != OTA_RECEIVING)
        return;
    finish(o, final, final_len); /* premature: the Updater says UPDATE_ERROR_SIZE */
}

void espota_tick(espota_t *o, uint32_t now_ms, char final[ESPOTA_REPLY_MAX], size_t *final_len)
{
    *final_len = 0;
    if (o->state != OTA_RECEIVING || now_ms - o->last_data_ms < o->cfg.receive_timeout_ms)
        return;
    /* Fix: the receive timeout fires (the original's counter never let it). */
    updater_t *u = o->cfg.updater;
    updater_end(u, false);
    o->state = OTA_IDLE;
    put(final, ESPOTA_REPLY_MAX, final_len, "ERROR[6]: Stream Read Timeout\n");
    updater_clear_error(u);
    raise_error(o, OTA_RECEIVE_ERROR);
}

bool espota_before_restart(espota_t *o)
{
    if (!o->reboot)
        return false;
    if (o->cfg.erase_config == OTA_ERASE_CFG_NO || !o->cfg.layout)
        return true;
    uint32_t end = o->cfg.layout->flash_size;
    bool ok = end >= CONFIG_ERASE_BYTES;
    for (uint32_t a = end - CONFIG_ERASE_BYTES; ok && a < end; a += HAL_FLASH_SECTOR_SIZE)
        ok = hal_flash_erase_sector(a / HAL_FLASH_SECTOR_SIZE) == HAL_OK;
    if (ok)
        return true;
    raise_error(o, OTA_ERASE_SETTINGS_ERROR);
    if (o->cfg.erase_config == OTA_ERASE_CFG_ABORT_ON_ERROR) {
        boot_cmd_clear(); /* cancels the staged update, as the original does */
        o->reboot = false;
        return false;
    }
    return true;
}
