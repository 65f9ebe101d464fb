/* See multipart.h.
 *
 * The body is read as if it began with "\r\n", so every delimiter is "\r\n--" boundary. A
 * boundary cannot contain CR or LF, so the delimiter's only CR is its first byte: when a
 * partial match fails, the matched bytes are known (a prefix of the delimiter) and only the
 * current byte can start a new match — no look-back buffer is needed. */
#include "multipart.h"

#include <string.h>

#include "http_head.h"

enum {
    ST_PREAMBLE,    /* before the first delimiter: discarded */
    ST_AFTER_DELIM, /* "--" (close) or transport padding then CRLF (a part) */
    ST_AFTER_DELIM_DASH,
    ST_AFTER_DELIM_PAD,
    ST_AFTER_DELIM_CR,
    ST_PART_HEAD,
    ST_DATA,
    ST_EPILOGUE, /* after the close delimiter: discarded */
};

/* RFC 2046 bchars. */
static bool is_bchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

mp_status_t multipart_init(multipart_t *mp, const char *ct, const multipart_callbacks_t *cb)
{
    memset(mp, 0, sizeof(*mp));
    mp->cb = *cb;
    mp->status = MP_ERR_BOUNDARY;
    static const char type[] = "multipart/form-data";
    if (!ct || !http_strneq_nocase(ct, type, sizeof(type) - 1))
        return mp->status;
    const char *p = ct + sizeof(type) - 1;
    /* Parameters: ; name=value ... — find boundary. */
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ';')
            return mp->status;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *key = p;
        while (*p && *p != '=' && *p != ';')
            p++;
        if (*p != '=')
            return mp->status;
        bool is_boundary = (size_t)(p - key) == 8 && http_strneq_nocase(key, "boundary", 8);
        p++;
        char val[MULTIPART_BOUNDARY_MAX + 1];
        size_t n = 0;
        bool quoted = *p == '"';
        if (quoted)
            p++;
        while (*p && (quoted ? *p != '"' : (*p != ';' && *p != ' ' && *p != '\t'))) {
            if (n == MULTIPART_BOUNDARY_MAX)
                return mp->status;
            val[n++] = *p++;
        }
        if (quoted) {
            if (*p != '"')
                return mp->status;
            p++;
        }
        val[n] = '\0';
        if (!is_boundary)
            continue;
        if (n == 0 || val[n - 1] == ' ')
            return mp->status;
        for (size_t i = 0; i < n; i++)
            if (!is_bchar(val[i]))
                return mp->status;
        memcpy(mp->delim, "\r\n--", 4);
        memcpy(mp->delim + 4, val, n);
        mp->delim_len = 4 + n;
        mp->delim[mp->delim_len] = '\0';
    }
    if (!mp->delim_len)
        return mp->status;
    mp->state = ST_PREAMBLE;
    mp->match = 2; /* the virtual leading "\r\n" */
    mp->status = MP_OK;
    return MP_OK;
}

static bool flush(multipart_t *mp)
{
    if (mp->out_len == 0)
        return true;
    bool ok = !mp->cb.part_data || mp->cb.part_data(mp->cb.ctx, mp->out, mp->out_len);
    mp->out_len = 0;
    return ok;
}

/* One content byte of the current part (data state) or nothing (preamble). */
static bool emit(multipart_t *mp, uint8_t c)
{
    if (mp->state != ST_DATA)
        return true;
    mp->out[mp->out_len++] = c;
    return mp->out_len < sizeof(mp->out) || flush(mp);
}

/* A run of content bytes (data state) or nothing (preamble): emit() in bulk, same chunks. */
static bool emit_run(multipart_t *mp, const uint8_t *p, size_t n)
{
    if (mp->state != ST_DATA)
        return true;
    while (n) {
        size_t k = sizeof(mp->out) - mp->out_len;
        if (k > n)
            k = n;
        memcpy(mp->out + mp->out_len, p, k);
        mp->out_len += k;
        p += k;
        n -= k;
        if (mp->out_len == sizeof(mp->out) && !flush(mp))
            return false;
    }
    return true;
}

/* Copies the value of `key="..."` (or key=token) from a Content-Disposition parameter list. */
static bool disposition_param(const char *params, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    const char *p = params;
    while ((p = strchr(p, ';')) != NULL) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!http_strneq_nocase(p, key, klen) || p[klen] != '=')
            continue;
        p += klen + 1;
        size_t n = 0;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (n + 1 < cap)
                    out[n++] = *p;
            }
            if (*p != '"')
                return false;
        } else {
            for (; *p && *p != ';' && *p != ' '; p++)
                if (n + 1 < cap)
                    out[n++] = *p;
        }
        out[n] = '\0';
        return true;
    }
    return false;
}

/* The part's header block (NUL-terminated lines ending in "\r\n"): Content-Disposition. */
static mp_status_t parse_part_head(multipart_t *mp)
{
    memset(&mp->part, 0, sizeof(mp->part));
    bool disposition = false;
    char *line = mp->head;
    for (;;) {
        char *eol = strstr(line, "\r\n");
        if (!eol)
            return MP_ERR_SYNTAX;
        *eol = '\0';
        if (line == eol)
            break;
        char *colon = strchr(line, ':');
        if (!colon || colon == line)
            return MP_ERR_SYNTAX;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (http_streq_nocase(line, "Content-Disposition")) {
            static const char fd[] = "form-data";
            if (!http_strneq_nocase(v, fd, sizeof(fd) - 1) ||
                (v[sizeof(fd) - 1] != ';' && v[sizeof(fd) - 1] != '\0' && v[sizeof(fd) - 1] != ' '))
                return MP_ERR_SYNTAX;
            if (!disposition_param(v, "name", mp->part.name, sizeof(mp->part.name)))
                return MP_ERR_SYNTAX; /* RFC 7578 §4.2: name is required */
            mp->part.has_filename =
                disposition_param(v, "filename", mp->part.filename, sizeof(mp->part.filename));
            disposition = true;
        }
        line = eol + 2;
    }
    return disposition ? MP_OK : MP_ERR_SYNTAX;
}

static mp_status_t fail(multipart_t *mp, mp_status_t st)
{
    mp->status = st;
    return st;
}

mp_status_t multipart_feed(multipart_t *mp, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len && mp->status == MP_OK; i++) {
        uint8_t c = data[i];
        switch (mp->state) {
        case ST_PREAMBLE:
        case ST_DATA:
            if (mp->match == 0 && c != '\r') {
                /* Fast path: every delimiter starts with CR, so what precedes the next CR
                 * is content (the per-byte loop below was half the device's CPU time in a
                 * web upload). */
                const uint8_t *cr = memchr(data + i, '\r', len - i);
                size_t run = (cr ? (size_t)(cr - data) : len) - i;
                if (!emit_run(mp, data + i, run))
                    return fail(mp, MP_ERR_STOPPED);
                i += run - 1;
                break;
            }
            if (c == (uint8_t)mp->delim[mp->match]) {
                if (++mp->match < mp->delim_len)
                    break;
                mp->match = 0;
                if (mp->state == ST_DATA) {
                    if (!flush(mp) || (mp->cb.part_end && !mp->cb.part_end(mp->cb.ctx)))
                        return fail(mp, MP_ERR_STOPPED);
                    mp->in_part = false;
                }
                mp->state = ST_AFTER_DELIM;
                break;
            }
            /* Mismatch: the matched prefix is content; c may start a new match. */
            for (size_t k = 0; k < mp->match; k++)
                if (!emit(mp, (uint8_t)mp->delim[k]))
                    return fail(mp, MP_ERR_STOPPED);
            mp->match = 0;
            if (c == '\r')
                mp->match = 1;
            else if (!emit(mp, c))
                return fail(mp, MP_ERR_STOPPED);
            break;
        case ST_AFTER_DELIM:
            if (c == '-')
                mp->state = ST_AFTER_DELIM_DASH;
            else if (c == ' ' || c == '\t')
                mp->state = ST_AFTER_DELIM_PAD;
            else if (c == '\r')
                mp->state = ST_AFTER_DELIM_CR;
            else
                return fail(mp, MP_ERR_SYNTAX);
            break;
        case ST_AFTER_DELIM_DASH:
            if (c != '-')
                return fail(mp, MP_ERR_SYNTAX);
            mp->state = ST_EPILOGUE;
            break;
        case ST_AFTER_DELIM_PAD:
            if (c == '\r')
                mp->state = ST_AFTER_DELIM_CR;
            else if (c != ' ' && c != '\t')
                return fail(mp, MP_ERR_SYNTAX);
            break;
        case ST_AFTER_DELIM_CR:
            if (c != '\n')
                return fail(mp, MP_ERR_SYNTAX);
            mp->state = ST_PART_HEAD;
            mp->head_len = 0;
            break;
        case ST_PART_HEAD:
            if (mp->head_len == MULTIPART_PART_HEAD_MAX)
                return fail(mp, MP_ERR_PART_HEAD);
            mp->head[mp->head_len++] = (char)c;
            if (c == '\0')
                return fail(mp, MP_ERR_SYNTAX);
            if (mp->head_len == 2 && mp->head[0] == '\r' && c == '\n') {
                /* No headers at all: a part without Content-Disposition. */
                return fail(mp, MP_ERR_SYNTAX);
            }
            if (mp->head_len >= 4 && !memcmp(mp->head + mp->head_len - 4, "\r\n\r\n", 4)) {
                mp->head[mp->head_len] = '\0';
                mp_status_t st = parse_part_head(mp);
                if (st != MP_OK)
                    return fail(mp, st);
                mp->parts++;
                mp->state = ST_DATA;
                mp->in_part = true;
                mp->out_len = 0;
                if (mp->cb.part_begin && !mp->cb.part_begin(mp->cb.ctx, &mp->part))
                    return fail(mp, MP_ERR_STOPPED);
            }
            break;
        case ST_EPILOGUE:
        default:
            break;
        }
    }
    return mp->status;
}

bool multipart_done(const multipart_t *mp)
{
    return mp->status == MP_OK && mp->state == ST_EPILOGUE;
}

mp_status_t multipart_finish(multipart_t *mp)
{
    if (mp->status == MP_OK && mp->state != ST_EPILOGUE)
        mp->status = MP_ERR_TRUNCATED;
    return mp->status;
}

const char *multipart_status_text(mp_status_t st)
{
    switch (st) {
    case MP_OK:
        return "ok";
    case MP_ERR_BOUNDARY:
        return "not multipart/form-data with a valid boundary";
    case MP_ERR_SYNTAX:
        return "malformed multipart body";
    case MP_ERR_PART_HEAD:
        return "multipart part headers too long";
    case MP_ERR_TRUNCATED:
        return "multipart body ended before its close delimiter";
    case MP_ERR_STOPPED:
        return "upload stopped";
    }
    return "?";
}
