/* The scenario lexer: one line into tokens (internal to scenario_parse.c and its tests).
 * Tokens: words (any run of characters other than blanks and # " { } ;), quoted strings with
 * \" \\ \n \t escapes, sets "{ item, item }" and the statement separator ';'. A '#' outside a
 * string starts a comment that runs to the end of the line. */
#ifndef OTASIM_SCENARIO_LEX_H
#define OTASIM_SCENARIO_LEX_H

#include <stddef.h>

#include "scenario.h"

#define SCN_MAX_TOKENS 48
#define SCN_MAX_SET 12

typedef enum { TOK_WORD, TOK_STRING, TOK_SET, TOK_SEMI } scn_tok_kind_t;

typedef struct scn_tok {
    scn_tok_kind_t kind;
    unsigned col;     /* 1-based column of its first character */
    const char *text; /* WORD: the characters (not NUL-terminated) */
    size_t len;
    char str[SCN_TEXT_LEN]; /* STRING: the unescaped value (NUL-terminated) */
    size_t nitems;          /* SET: its items, each a WORD */
    struct {
        const char *text;
        size_t len;
        unsigned col;
    } items[SCN_MAX_SET];
} scn_tok_t;

/* Tokenize one line (without its newline). Returns the token count, or -1 with *errcol and
 * err ("expected ..., got ...") describing the first problem. */
int scn_lex_line(const char *line, size_t len, scn_tok_t *toks, size_t max, unsigned *errcol,
                 char *err, size_t errlen);

#endif
