/* fuzz_content.c - libFuzzer target for content lists: parse the input as a keyword, a regex
 * and a prefix list; compile what parses (Hyperscan) and match the same input against it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/content.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(int type, const char *name, const char *buf, size_t size)
{
    struct cw_content_list *l = NULL;
    char err[512];
    int rc = cw_content_parse(name, type, buf, size, &l, err, sizeof err);
    if (rc != 0) {
        if (l || strncmp(err, name, strlen(name)) != 0 || !strstr(err, "error: "))
            abort();
        return;
    }
    if (type == CW_CONTENT_PREFIX) {
        /* every line of the input as a number */
        const char *p = buf, *end = buf + size;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = (size_t)((nl ? nl : end) - p);
            unsigned line = cw_content_prefix(l, p, len);
            if (line && !cw_content_pattern(l, line))
                abort();
            p = nl ? nl + 1 : end;
        }
        cw_content_free(l);
        return;
    }
    struct cw_content_scratch *s = NULL;
    if (cw_content_scratch_add(l, &s) == 0) {
        struct cw_content_match m[8];
        int n = cw_content_match(l, s, (const uint8_t *)buf, size, m, 8);
        if (n < 0 || n > 8)
            abort();
        for (int i = 0; i < n; i++)
            if (m[i].from > m[i].to || m[i].to > size || !cw_content_pattern(l, m[i].line))
                abort();
        cw_content_scratch_free(s);
    }
    cw_content_free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exactly-sized copy, so ASan sees any read past the end */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    run(CW_CONTENT_KW, "fuzz.kw", buf, size);
    run(CW_CONTENT_RE, "fuzz.re", buf, size);
    run(CW_CONTENT_PREFIX, "fuzz.prefix", buf, size);
    free(buf);
    return 0;
}
