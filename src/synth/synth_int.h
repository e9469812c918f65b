/* synth_int.h - what synth.c (population, registry, truth) and traffic.c (the capture) share. */
#ifndef CW_SYNTH_INT_H
#define CW_SYNTH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "synth/synth.h"

/* Hash tags: one independent stream per purpose. */
enum {
    TAG_BLACK = 1,
    TAG_MSISDN,
    TAG_IMSI,
    TAG_PERSON,
    TAG_ID,
    TAG_PATTERN,
    TAG_PROV,
    TAG_STATUS,
    TAG_OUTLET,
    TAG_REGTIME,
    TAG_NODE,
    TAG_TRAFFIC,
    TAG_IMEI,
    TAG_GROUP,    /* over-quota and national groups: sizes, outlets, times, provinces */
    TAG_BADOUT,   /* which outlets of a province are bad */
    TAG_OUTKIND,  /* own shop or agent */
    TAG_ID15,     /* persons whose ID is registered in the old 15-digit form */
    TAG_BLACKREG, /* black cards: invalid check character, outlet */
    TAG_CELL,     /* the cells a card is seen in */
    TAG_SCRIPT,   /* the scripted actors' traffic: times, recipients, texts, handsets */
    TAG_ACT,      /* the scripted actors' groups: sizes, outlets, registration times */
};

/* Hash sub-tags under TAG_ACT. */
enum {
    A_SIMBOX_PAT = 1,
    A_AGENT_PAT,
    A_FAMILY_PAT,
    A_AGENT_REG,
    A_AGENT_TIME,
    A_BOX_PROV, /* a SIM box's province */
    A_FAR_REG,  /* agent_far: provinces, outlet, time */
    A_TRAVEL,   /* traveller, new_traveller: where they go, registration time */
};

/** 1 when card @p index is black (*rank: its black rank). */
int cw_synth_is_black(const struct cw_synth_pop *p, uint64_t index, uint64_t *rank);
/** The MSISDN of card @p index: "86" + 11 digits. */
void cw_synth_msisdn(const struct cw_synth_pop *p, uint64_t index, char out[16]);
/** The planted cards that must be seen sending: black cards, then over-quota cards (ranks
 *  below this number). */
static inline uint64_t cw_synth_senders(const struct cw_synth_pop *p)
{
    return p->black + p->over_quota;
}
/** 1 when card @p index is a suspended normal card (it sends nothing). */
int cw_synth_suspended(const struct cw_synth_pop *p, uint64_t index);

/** 1 when the card of black rank @p rank is a scripted actor: *act its category, *off its
 *  offset among them. */
int cw_synth_act_of_rank(const struct cw_synth_pop *p, uint64_t rank, unsigned *act, uint64_t *off);
/** The group of actor @p off (< p->act[act]) of category @p act: its number, the actor's
 *  position in it and its size (1 and 0 for the categories without groups). */
void cw_synth_act_group(const struct cw_synth_pop *p, unsigned act, uint64_t off, uint64_t *g,
                        unsigned *j, unsigned *size);
/** The card index of actor @p off of category @p act. */
static inline uint64_t cw_synth_act_card(const struct cw_synth_pop *p, unsigned act, uint64_t off)
{
    return cw_perm_inv(&p->black_perm, p->act_first[act] + off);
}
/** A hash of the scripted actors' groups (TAG_ACT, sub-tag @p sub). */
static inline uint64_t cw_synth_act_hash(const struct cw_synth_pop *p, unsigned sub, uint64_t v)
{
    return cw_hash3(p->seed, (uint64_t)TAG_ACT << 8 | sub, v);
}
/** The province of a 2-digit code as a number ("33" -> 33): an ECI's top 8 bits. */
static inline unsigned cw_synth_prov_num(const char *prov2)
{
    return (unsigned)(prov2[0] - '0') * 10 + (unsigned)(prov2[1] - '0');
}
/** The number of mainland provinces (the first ones of cw_province_code_at()): where cards are
 *  registered and cells are. */
size_t cw_synth_mainland_count(void);
/** The provinces an actor's traffic goes to (agent_far: province C; traveller, new_traveller:
 *  where they travel), 2 digits and a NUL; "" for the other cards. */
void cw_synth_act_away(const struct cw_synth_pop *p, unsigned act, uint64_t off, char prov[3]);
void cw_synth_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Write traffic.pcap (through @p tmp, renamed to @p path when complete). */
int cw_synth_write_traffic(const struct cw_synth_pop *p, const struct cw_synth_opts *o,
                           const char *path, const char *tmp, struct cw_synth_stats *st, char *err,
                           size_t errlen);

#endif
