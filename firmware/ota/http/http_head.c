/* See http_head.h. */
#include "http_head.h"

#include <string.h>

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool http_strneq_nocase(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (lower(a[i]) != lower(b[i]))
            return false;
        if (a[i] == '\0')
            return true;
    }
    return true;
}

bool http_streq_nocase(const char *a, const char *b)
{
    size_t la = strlen(a);
    return la == strlen(b) && http_strneq_nocase(a, b, la);
}

void http_head_init(http_head_t *h, bool request)
{
    memset(h, 0, sizeof(*h));
    h->request = request;
    h->status = HTTP_HEAD_MORE;
}

/* RFC 9110 token characters (method, header name). */
static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* "HTTP/1.x" at s: sets *minor. */
static bool parse_version(const char *s, int *minor)
{
    if (strncmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != '\0')
        return false;
    *minor = s[7] - '0';
    return true;
}

/* Splits `line` at its first space: returns the rest (NULL if none). */
static char *split_space(char *line)
{
    char *sp = strchr(line, ' ');
    if (!sp)
        return NULL;
    *sp = '\0';
    return sp + 1;
}

static http_head_status_t parse_start_line(http_head_t *h, char *line)
{
    if (h->request) {
        char *target = split_space(line);
        char *version = target ? split_space(target) : NULL;
        if (!version || !line[0] || !target[0] || target[0] == ' ')
            return HTTP_HEAD_BAD_SYNTAX;
        for (const char *p = line; *p; p++)
            if (!is_tchar(*p))
                return HTTP_HEAD_BAD_SYNTAX;
        for (const char *p = target; *p; p++)
            if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7F)
                return HTTP_HEAD_BAD_SYNTAX;
        if (!parse_version(version, &h->minor))
            return HTTP_HEAD_BAD_SYNTAX;
        h->method = line;
        h->target = target;
        h->version = version;
        return HTTP_HEAD_DONE;
    }
    char *code = split_space(line);
    if (!code || !parse_version(line, &h->minor))
        return HTTP_HEAD_BAD_SYNTAX;
    char *reason = split_space(code);
    if (strlen(code) != 3 || code[0] < '1' || code[0] > '5' || code[1] < '0' || code[1] > '9' ||
        code[2] < '0' || code[2] > '9')
        return HTTP_HEAD_BAD_SYNTAX;
    h->version = line;
    h->code = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    h->reason = reason ? reason : "";
    return HTTP_HEAD_DONE;
}

static http_head_status_t parse_header(http_head_t *h, char *line)
{
    char *colon = strchr(line, ':');
    if (!colon || colon == line)
        return HTTP_HEAD_BAD_SYNTAX;
    *colon = '\0';
    for (const char *p = line; *p; p++)
        if (!is_tchar(*p))
            return HTTP_HEAD_BAD_SYNTAX; /* also refuses "Name :" (RFC 9112 §5.1) */
    char *v = colon + 1;
    while (is_blank(*v))
        v++;
    size_t n = strlen(v);
    while (n > 0 && is_blank(v[n - 1]))
        v[--n] = '\0';
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < ' ' && *p != '\t')
            return HTTP_HEAD_BAD_SYNTAX;
    if (h->nheaders == HTTP_HEADERS_MAX)
        return HTTP_HEAD_TOO_MANY;
    h->headers[h->nheaders].name = line;
    h->headers[h->nheaders].value = v;
    h->nheaders++;
    return HTTP_HEAD_DONE;
}

/* The whole head is in buf[0, len) (ending with its blank line): split and parse in place. */
static http_head_status_t parse(http_head_t *h)
{
    char *p = h->buf, *end = h->buf + h->len;
    bool first = true;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return HTTP_HEAD_BAD_SYNTAX;
        char *eol = nl;
        if (eol > p && eol[-1] == '\r')
            eol--;
        *eol = '\0';
        if (memchr(p, '\0', (size_t)(eol - p)) || memchr(p, '\r', (size_t)(eol - p)))
            return HTTP_HEAD_BAD_SYNTAX; /* NUL or bare CR inside a line */
        if (p == eol)                    /* the blank line */
            return first ? HTTP_HEAD_BAD_SYNTAX : HTTP_HEAD_DONE;
        if (!first && is_blank(*p))
            return HTTP_HEAD_BAD_SYNTAX; /* obsolete line folding: refused (RFC 9112 §5.2) */
        http_head_status_t st = first ? parse_start_line(h, p) : parse_header(h, p);
        if (st != HTTP_HEAD_DONE)
            return st;
        first = false;
        p = nl + 1;
    }
    return HTTP_HEAD_BAD_SYNTAX;
}

size_t http_head_feed(http_head_t *h, const uint8_t *data, size_t len)
{
    size_t used = 0;
    while (h->status == HTTP_HEAD_MORE && used < len) {
        if (h->len == HTTP_HEAD_MAX) {
            h->status = HTTP_HEAD_TOO_BIG;
            break;
        }
        char c = (char)data[used++];
        h->buf[h->len++] = c;
        /* Empty lines before the start line are ignored (RFC 9112 §2.2), a bounded number. */
        if (c == '\n' && (h->len == 1 || (h->len == 2 && h->buf[0] == '\r'))) {
            h->skipped += h->len;
            h->len = 0;
            if (h->skipped > HTTP_HEAD_MAX)
                h->status = HTTP_HEAD_TOO_BIG;
            continue;
        }
        if (c != '\n')
            continue;
        /* End of the head: "\n\n" or "\n\r\n". */
        bool blank = (h->len >= 2 && h->buf[h->len - 2] == '\n') ||
                     (h->len >= 3 && h->buf[h->len - 2] == '\r' && h->buf[h->len - 3] == '\n');
        if (blank) {
            h->buf[h->len] = '\0';
            h->status = parse(h);
        }
    }
    return used;
}

const char *http_head_get(const http_head_t *h, const char *name)
{
    for (size_t i = 0; i < h->nheaders; i++)
        if (http_streq_nocase(h->headers[i].name, name))
            return h->headers[i].value;
    return NULL;
}

size_t http_head_get_joined(const http_head_t *h, const char *name, char *out, size_t cap)
{
    size_t found = 0, n = 0;
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; i < h->nheaders; i++) {
        if (!http_streq_nocase(h->headers[i].name, name))
            continue;
        const char *v = h->headers[i].value;
        if (found++ && n + 1 < cap)
            out[n++] = ',';
        for (; *v && n + 1 < cap; v++)
            out[n++] = *v;
        if (cap)
            out[n] = '\0';
    }
    return found;
}

int http_head_content_length(const http_head_t *h, uint32_t *out)
{
    int seen = 0;
    uint32_t value = 0;
    for (size_t i = 0; i < h->nheaders; i++) {
        if (!http_streq_nocase(h->headers[i].name, "Content-Length"))
            continue;
        const char *v = h->headers[i].value;
        if (!*v)
            return -1;
        uint64_t x = 0;
        for (; *v; v++) {
            if (*v < '0' || *v > '9')
                return -1;
            x = x * 10 + (uint64_t)(*v - '0');
            if (x > UINT32_MAX)
                return -1;
        }
        if (seen && (uint32_t)x != value)
            return -1;
        value = (uint32_t)x;
        seen = 1;
    }
    if (seen)
        *out = value;
    return seen;
}
