/* --shard K/N parsing (shard.h). */
#include "shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

bool shard_parse(const char *text, unsigned *k, unsigned *n, char *err, size_t errsize)
{
    char *end;
    errno = 0;
    unsigned long kk = strtoul(text, &end, 10);
    if (end == text || *end != '/' || errno) {
        snprintf(err, errsize, "--shard expects K/N (e.g. 2/4), got '%s'", text);
        return false;
    }
    const char *ns = end + 1;
    unsigned long nn = strtoul(ns, &end, 10);
    if (end == ns || *end || errno) {
        snprintf(err, errsize, "--shard expects K/N (e.g. 2/4), got '%s'", text);
        return false;
    }
    if (nn < 1 || nn > 100000 || kk < 1 || kk > nn) {
        snprintf(err, errsize, "--shard %s: expected 1 <= K <= N <= 100000", text);
        return false;
    }
    *k = (unsigned)kk;
    *n = (unsigned)nn;
    return true;
}
