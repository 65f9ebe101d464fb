/* Outcome names, sets and tallies (outcome.h). */
#include "outcome.h"

#include <stdio.h>
#include <string.h>

static const char *const names[OUTCOME_COUNT] = {
    "new", "old", "brick", "wrong-image", "hang", "corrupt-fs", "invalid",
};

const char *outcome_name(outcome_t o)
{
    return (unsigned)o < OUTCOME_COUNT ? names[o] : "?";
}

int outcome_from_name(const char *name, size_t len)
{
    for (int i = 0; i < OUTCOME_COUNT; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return i;
    return -1;
}

int outcome_set_format(const outcome_set_t *s, char *buf, size_t size)
{
    size_t n = 0;
    int w = snprintf(buf, size, "{");
    n += (size_t)w;
    bool first = true;
    for (int i = 0; i < OUTCOME_COUNT; i++) {
        const char *suffix = NULL;
        if (s->any >> i & 1u)
            suffix = "";
        else if (s->sector0 >> i & 1u)
            suffix = "@sector0";
        if (!suffix)
            continue;
        w = snprintf(n < size ? buf + n : NULL, n < size ? size - n : 0, "%s%s%s",
                     first ? "" : ", ", names[i], suffix);
        n += (size_t)w;
        first = false;
    }
    w = snprintf(n < size ? buf + n : NULL, n < size ? size - n : 0, "}");
    return (int)(n + (size_t)w);
}

void outcome_tally_add(outcome_tally_t *t, outcome_t o, bool failed)
{
    if ((unsigned)o < OUTCOME_COUNT)
        t->count[o]++;
    t->branches++;
    if (failed)
        t->failed++;
}

int outcome_tally_format(const outcome_tally_t *t, char *buf, size_t size)
{
    size_t n = 0;
    if (size)
        buf[0] = 0;
    for (int i = 0; i < OUTCOME_COUNT; i++) {
        if (!t->count[i])
            continue;
        int w = snprintf(n < size ? buf + n : NULL, n < size ? size - n : 0, "%s%s %u",
                         n ? ", " : "", names[i], t->count[i]);
        n += (size_t)w;
    }
    if (n == 0)
        return snprintf(buf, size, "none");
    return (int)n;
}
