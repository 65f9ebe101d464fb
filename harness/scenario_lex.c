/* The scenario lexer (scenario_lex.h). */
#include "scenario_lex.h"

#include <stdio.h>
#include <string.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool is_word_char(char c)
{
    return !is_blank(c) && c != '#' && c != '"' && c != '{' && c != '}' && c != ';' && c != ',' &&
           c != '\0';
}

static int fail(unsigned col, unsigned *errcol, char *err, size_t errlen, const char *msg)
{
    *errcol = col;
    snprintf(err, errlen, "%s", msg);
    return -1;
}

/* A quoted string starting at line[i] == '"'. Returns the index after the closing quote. */
static long lex_string(const char *line, size_t len, size_t i, scn_tok_t *t, unsigned *errcol,
                       char *err, size_t errlen)
{
    size_t n = 0;
    for (i++; i < len; i++) {
        char c = line[i];
        if (c == '"') {
            t->str[n] = 0;
            t->len = n;
            return (long)i + 1;
        }
        if (c == '\\') {
            if (i + 1 >= len)
                break;
            char e = line[++i];
            if (e == 'n')
                c = '\n';
            else if (e == 't')
                c = '\t';
            else if (e == '"' || e == '\\')
                c = e;
            else
                return fail((unsigned)i, errcol, err, errlen,
                            "expected an escape \\n, \\t, \\\" or \\\\ after '\\'");
        }
        if (n + 1 >= sizeof(t->str))
            return fail(t->col, errcol, err, errlen, "expected a string of at most 159 bytes");
        t->str[n++] = c;
    }
    return fail(t->col, errcol, err, errlen, "expected a closing '\"' before the end of the line");
}

/* A set starting at line[i] == '{'. Returns the index after '}'. */
static long lex_set(const char *line, size_t len, size_t i, scn_tok_t *t, unsigned *errcol,
                    char *err, size_t errlen)
{
    bool want_item = true;
    for (i++; i < len;) {
        char c = line[i];
        if (is_blank(c)) {
            i++;
        } else if (c == '}') {
            if (want_item && t->nitems > 0)
                return fail((unsigned)i + 1, errcol, err, errlen,
                            "expected an item after ',', got '}'");
            return (long)i + 1;
        } else if (c == ',') {
            if (want_item)
                return fail((unsigned)i + 1, errcol, err, errlen, "expected an item, got ','");
            want_item = true;
            i++;
        } else if (is_word_char(c)) {
            if (!want_item)
                return fail((unsigned)i + 1, errcol, err, errlen,
                            "expected ',' or '}' between set items");
            if (t->nitems >= SCN_MAX_SET)
                return fail((unsigned)i + 1, errcol, err, errlen,
                            "expected at most 12 items in a set");
            size_t s = i;
            while (i < len && is_word_char(line[i]))
                i++;
            t->items[t->nitems].text = line + s;
            t->items[t->nitems].len = i - s;
            t->items[t->nitems].col = (unsigned)s + 1;
            t->nitems++;
            want_item = false;
        } else {
            char msg[64];
            snprintf(msg, sizeof(msg), "expected a set item, ',' or '}', got '%c'", c);
            return fail((unsigned)i + 1, errcol, err, errlen, msg);
        }
    }
    return fail(t->col, errcol, err, errlen, "expected '}' to close the set");
}

int scn_lex_line(const char *line, size_t len, scn_tok_t *toks, size_t max, unsigned *errcol,
                 char *err, size_t errlen)
{
    size_t n = 0, i = 0;
    while (i < len) {
        char c = line[i];
        if (is_blank(c)) {
            i++;
            continue;
        }
        if (c == '#')
            break;
        if (n >= max)
            return fail((unsigned)i + 1, errcol, err, errlen,
                        "expected at most 48 tokens on a line");
        scn_tok_t *t = &toks[n];
        memset(t, 0, sizeof(*t));
        t->col = (unsigned)i + 1;
        long next;
        if (c == '"') {
            t->kind = TOK_STRING;
            next = lex_string(line, len, i, t, errcol, err, errlen);
        } else if (c == '{') {
            t->kind = TOK_SET;
            next = lex_set(line, len, i, t, errcol, err, errlen);
        } else if (c == ';') {
            t->kind = TOK_SEMI;
            next = (long)i + 1;
        } else if (c == '}') {
            return fail((unsigned)i + 1, errcol, err, errlen,
                        "expected a word, got '}' without a '{'");
        } else {
            t->kind = TOK_WORD;
            size_t s = i;
            /* Outside sets ',' belongs to the word: "mode=before,after" is one token. */
            while (i < len && (is_word_char(line[i]) || line[i] == ','))
                i++;
            t->text = line + s;
            t->len = i - s;
            next = (long)i;
        }
        if (next < 0)
            return -1;
        i = (size_t)next;
        n++;
    }
    return (int)n;
}
