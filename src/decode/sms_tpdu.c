/* sms_tpdu.c - RP-DATA and SMS-SUBMIT / SMS-DELIVER TPDUs.
 *
 *   RP-DATA (TS 24.011 7.3.1): MTI(1: 0 MS->net, 1 net->MS) MR(1) RP-OA(len + TOA + BCD)
 *                              RP-DA(len + TOA + BCD) RP-UD(len + TPDU)
 *   SMS-SUBMIT (TS 23.040 9.2.2.2): fo(1: MTI=01 RD VPF(2) SRR UDHI RP) MR(1) TP-DA PID(1)
 *                                  DCS(1) VP(0, 1 or 7) UDL(1) UD
 *   SMS-DELIVER (9.2.2.1):         fo(1: MTI=00 MMS LP SRI UDHI RP) TP-OA PID(1) DCS(1)
 *                                  SCTS(7) UDL(1) UD
 *   TP address (9.1.2.5): length in semi-octets, TOA, BCD digits (or GSM 7-bit packed name
 *                         when the type of number is alphanumeric)
 */
#include "decode/sms_tpdu.h"

#include <string.h>

#include "util/cursor.h"
#include "util/tbcd.h"

#define UDHI 0x40
#define TON_INTL 0x10
#define TON_ALNUM 0x50

static int tp_address(struct cw_cursor *c, struct cw_sms_tpdu *t)
{
    uint8_t digits = cw_cur_u8(c);
    uint8_t toa = cw_cur_u8(c);
    if (c->err || digits > 20)
        return -1;
    size_t octets = (digits + 1u) / 2u;
    struct cw_slice v = cw_cur_take(c, octets);
    if (c->err)
        return -1;
    uint8_t ton = toa & 0x70;
    if (ton == TON_ALNUM) {
        uint8_t utf8[CW_NUM_MAX];
        size_t n = cw_sms_gsm7_packed_to_utf8(v.p, v.len, digits * 4u / 7u, 0, utf8,
                                              sizeof utf8 - 1, NULL);
        memcpy(t->addr, utf8, n);
        t->addr[n] = 0;
        t->addr_alnum = 1;
        return 0;
    }
    if (cw_tbcd_decode(v.p, v.len, t->addr, sizeof t->addr) < 0)
        return -1;
    t->addr[digits < sizeof t->addr ? digits : sizeof t->addr - 1] = 0; /* odd count: filler */
    t->addr_intl = ton == TON_INTL;
    for (const char *p = t->addr; *p; p++)
        if (*p < '0' || *p > '9') { /* '*', '#', a-c: a service code, not a number */
            t->addr_alnum = 1;
            t->addr_intl = 0;
        }
    return 0;
}

/* Which alphabet the data coding scheme says (TS 23.038 4): 0 GSM 7-bit, 1 8-bit data,
 * 2 UCS-2, -1 compressed (no text we can read). */
static int alphabet(uint8_t dcs)
{
    switch (dcs >> 4) {
    case 0x0: case 0x1: case 0x2: case 0x3: /* general data coding */
    case 0x4: case 0x5: case 0x6: case 0x7: /* ... marked for automatic deletion */
        if (dcs & 0x20)
            return -1;
        switch ((dcs >> 2) & 3) {
        case 1: return 1;
        case 2: return 2;
        default: return 0; /* 00, and the reserved 11 read as the default alphabet */
        }
    case 0xe: /* message waiting indication, UCS-2 text */
        return 2;
    case 0xf: /* data coding / message class */
        return (dcs & 0x04) ? 1 : 0;
    default: /* message waiting (GSM 7-bit) and the reserved groups */
        return 0;
    }
}

int cw_sms_tpdu_parse(struct cw_slice tpdu, int ms_to_net, struct cw_sms_tpdu *t,
                      uint8_t *text, size_t textsz)
{
    struct cw_cursor c = cw_cur_make(tpdu.p, tpdu.len);
    memset(t, 0, sizeof *t);
    uint8_t fo = cw_cur_u8(&c);
    if (c.err)
        return -1;
    unsigned mti = fo & 3;
    unsigned vp_len = 0;
    if (ms_to_net && mti == 1) {
        t->mti = CW_TPDU_SUBMIT;
        cw_cur_skip(&c, 1); /* TP-MR */
        static const unsigned vp_octets[4] = {0, 7, 1, 7}; /* none, enhanced, relative, abs */
        vp_len = vp_octets[(fo >> 3) & 3];
    } else if (!ms_to_net && mti == 0) {
        t->mti = CW_TPDU_DELIVER;
    } else {
        return 1; /* reports and commands: not a message someone wrote */
    }
    if (tp_address(&c, t) != 0)
        return -1;
    cw_cur_skip(&c, 1); /* TP-PID */
    uint8_t dcs = cw_cur_u8(&c);
    cw_cur_skip(&c, t->mti == CW_TPDU_SUBMIT ? vp_len : 7); /* TP-VP or TP-SCTS */
    uint8_t udl = cw_cur_u8(&c);
    if (c.err)
        return -1;
    int alpha = alphabet(dcs);
    size_t ud_octets = alpha == 0 ? ((size_t)udl * 7 + 7) / 8 : udl;
    if (ud_octets > cw_cur_left(&c))
        return -1;
    const uint8_t *ud = c.p;
    size_t skip = 0;
    if (fo & UDHI) {
        if (cw_sms_udh_parse(ud, ud_octets, &t->udh) != 0)
            return -1;
        t->has_udh = 1;
        skip = t->udh.len;
    }
    if (alpha < 0 || alpha == 1)
        return 0; /* compressed or binary: no text */
    t->has_text = 1;
    if (alpha == 0) {
        size_t hdr_septets = skip ? cw_sms_udh_septets(skip) : 0;
        size_t nsept = udl > hdr_septets ? udl - hdr_septets : 0;
        t->text_len = cw_sms_gsm7_packed_to_utf8(ud + skip, ud_octets - skip, nsept,
                                                 skip ? cw_sms_udh_fill_bits(skip) : 0, text,
                                                 textsz, &t->text_flags);
    } else {
        t->text_len = cw_sms_ucs2_to_utf8(ud + skip, ud_octets - skip, text, textsz,
                                          &t->text_flags);
    }
    return 0;
}

int cw_sms_rp_parse(struct cw_slice rp, struct cw_slice *tpdu, int *ms_to_net)
{
    struct cw_cursor c = cw_cur_make(rp.p, rp.len);
    uint8_t mti = cw_cur_u8(&c) & 7;
    cw_cur_skip(&c, 1); /* RP-MR */
    if (c.err)
        return -1;
    if (mti > 1)
        return 1; /* RP-ACK, RP-ERROR, RP-SMMA */
    for (int i = 0; i < 2; i++) { /* RP-OA, RP-DA */
        uint8_t len = cw_cur_u8(&c);
        if (len > 11)
            return -1;
        cw_cur_skip(&c, len);
    }
    uint8_t udlen = cw_cur_u8(&c);
    *tpdu = cw_cur_take(&c, udlen);
    if (c.err)
        return -1;
    *ms_to_net = mti == 0;
    return 0;
}
