/* alert_sink.h - what the rule tests share: an alert sink that keeps a deep copy of every alert
 * the engine reports, so a test can read any field after the sink call has returned. */
#ifndef CW_TEST_ALERT_SINK_H
#define CW_TEST_ALERT_SINK_H

#include <stddef.h>

#include "rules/rules.h"

/* One kept alert. The string pointers of @c a (rule, category, severity, description,
 * rule_file, group, key, aggs[i].name and .threshold, matches[i].list and .pattern) point into
 * @c strs, owned by the record; a NULL pointer stays NULL. */
struct tu_alert {
    struct cw_alert a;
    char *strs;
};

/* The alerts, in the order reported. Zero-initialise before use. */
struct tu_alert_sink {
    struct tu_alert *v;
    size_t n, cap;
};

/** Alert sink callback: @p user is a struct tu_alert_sink. Appends a deep copy of @p a; fails
 *  the test when rule, category, severity, description, group or key is NULL. */
void tu_alert_keep(void *user, const struct cw_alert *a);

/** Drop every record, keeping the array for the alerts to come. */
void tu_alert_sink_clear(struct tu_alert_sink *s);

/** Free every record and the array; @p s is left empty and may be used again. */
void tu_alert_sink_free(struct tu_alert_sink *s);

/** The first alert of rule @p rule for key @p key, or NULL. Valid until the sink grows or is
 *  freed. */
const struct tu_alert *tu_alert_find(const struct tu_alert_sink *s, const char *rule,
                                     const char *key);

#endif
