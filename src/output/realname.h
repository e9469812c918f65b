/* realname.h - the real-name rate in traffic: of the carrier's home cards seen in use in a
 * capture, how many have a valid, verified registration, and how much of the SMS, calls and
 * data sessions come from black cards; per registration province and overall.
 *
 * The regulator counts the real-name rate over the registry's records (`registry audit`);
 * this is the rate over the cards actually in use. A card is "in use" when it originates an
 * SMS (sms_mo), a call or a data session; its province is its registration province, else its
 * number range's, else "unknown". A black card is a home card without a verified registration
 * on a valid ID number (no record, unverified, or an invalid ID number).
 */
#ifndef CW_REALNAME_H
#define CW_REALNAME_H

#include <stdint.h>
#include <stdio.h>

#include "event/event.h"
#include "store/registry.h"
#include "util/json_out.h"

struct cw_realname; /* a set of the home cards seen, with tallies per province */

/* The tallies of one province (or of all). */
struct cw_realname_row {
    char province[3]; /* "" for unknown; "all" rows have province "" and all = 1 */
    int all;
    uint64_t cards, verified; /* home cards in use; of them verified */
    uint64_t sms, sms_black;  /* SMS sent by home cards; by black cards */
    uint64_t calls, calls_black;
    uint64_t data, data_black; /* data sessions */
};

int cw_realname_new(struct cw_realname **out);
void cw_realname_free(struct cw_realname *r);

/** Count one event with the registry's view of its calling card (home cards only). Returns 0
 *  or CW_ENOMEM (the card set could not grow: the event is still counted by kind). */
int cw_realname_event(struct cw_realname *r, const struct cw_event *ev, const struct cw_card *c);

/** Add @p src's cards and events to @p dst (several workers' tallies): a card both saw is
 *  counted once. Returns 0 or CW_ENOMEM (dst then holds part of src). */
int cw_realname_merge(struct cw_realname *dst, const struct cw_realname *src);

/** The provinces seen (in code order, "unknown" last), then the overall row: calls @p fn for
 *  each. */
void cw_realname_rows(const struct cw_realname *r,
                      void (*fn)(void *user, const struct cw_realname_row *row), void *user);

/** The summary's section: the overall figures and one line per province. */
void cw_realname_print(FILE *f, const struct cw_realname *r);

/** The JSON report (`analyze --report FILE`): one object. */
void cw_realname_json(struct cw_json *j, const struct cw_realname *r);

#endif
