/* traffic.c - synth's capture: a carrier tap's signalling over every protocol cardwatch decodes.
 *
 * One sequential xoshiro256** stream drives everything; the output is a pure function of the
 * options. Each packet of the capture is either the next due item of a bounded queue of jobs
 * (responses, the rest of a TCP segmentation, further IP fragments, the end of a split SCTP
 * message, connection set-up steps) or the first packet of a new exchange of one protocol:
 *
 *   SIP       UDP 5060 (IPv4, IPv6, VLAN-tagged, QinQ) and TCP 5060 (P-CSCF to S-CSCF links)
 *   SMPP      TCP 2775, four long-lived ESME links (bind, submit_sm, deliver_sm, data_sm, ...)
 *   MAP       M3UA / SCCP / TCAP over SCTP 2905 (PPID 3), three associations
 *   Diameter  TCP and SCTP 3868 (PPID 46): S6a, SGd, Gx; CER/CEA on each new connection
 *   GTP-C     UDP 2123: GTPv2-C (S11) and GTPv1-C (Gn), some IPv6, some IP-fragmented
 *   RADIUS    UDP 1813 accounting
 *
 * State kept across packets is bounded and independent of the size: a fixed set of TCP
 * connections and SCTP associations (sequence numbers, TSNs, a partial segment each), and a
 * heap of at most JOB_CAP pending jobs. Formats and rates: docs/synth.md.
 */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synth/enc.h"
#include "synth/pcapw.h"
#include "synth/pktbuild.h"
#include "synth/synth_int.h"
#include "util/error.h"

/* Shorter names for the protocols. */
enum {
    P_SIP = CW_SYNTH_SIP,
    P_SMPP = CW_SYNTH_SMPP,
    P_MAP = CW_SYNTH_MAP,
    P_DIA = CW_SYNTH_DIAMETER,
    P_GTP = CW_SYNTH_GTP,
    P_RADIUS = CW_SYNTH_RADIUS
};

/* The default mix: share of new exchanges per protocol (SIP and MAP carry most SMS and calls). */
static const double proto_weight[CW_SYNTH_NPROTO] = {
    [P_SIP] = 0.36, [P_SMPP] = 0.10, [P_MAP] = 0.24,
    [P_DIA] = 0.14, [P_GTP] = 0.10,  [P_RADIUS] = 0.06,
};

/* Rates of the awkward cases (0 with --plain). */
struct rates {
    double tcp_split;   /* a message cut across two or three TCP segments */
    double tcp_multi;   /* several requests written at once into one segment */
    double frag;        /* a GTP datagram sent as IP fragments */
    double frag_ooo;    /* ... with the fragments out of order */
    double sctp_bundle; /* several MAP invokes bundled in one SCTP packet */
    double sctp_split;  /* a user message split into two DATA chunks */
    double sctp_sack;   /* a SACK chunk bundled before the DATA */
    double sip_3gpp;    /* a home card's SIP MESSAGE carrying RP-DATA / SMS-SUBMIT */
};

static const struct rates default_rates = {0.15, 0.15, 0.12, 0.35, 0.12, 0.06, 0.25, 0.2};

enum party_kind { PK_HOME, PK_OFFNET, PK_FOREIGN, PK_NAME, PK_SERVICE };

struct party {
    char num[20]; /* international digits, no '+'; a sender name for PK_NAME */
    uint8_t kind; /* enum party_kind */
    uint8_t op;   /* 0 home carrier, 1 Unicom, 2 Telecom, 3 foreign */
    uint8_t node; /* the network element it is attached to */
    uint8_t black;
    uint64_t index; /* card index (PK_HOME), else UINT64_MAX */
};

/* A SIP request and what its responses repeat. */
struct txn {
    uint64_t from_tag, to_tag, call_id, branch, sess;
    uint32_t cseq, text_arg;
    uint16_t media_port, text;
    uint8_t invite, ruri_form, from_form, to_form, pai, style, from_dn, to_dn, spam;
    uint8_t tcp, ipv6, sms3gpp;
    uint8_t cancel; /* the request is the CANCEL of this INVITE */
    uint8_t pani;   /* P-Access-Network-Info with the cell below */
    uint16_t tac;
    uint32_t eci;
    char imei[16];     /* +sip.instance in the Contact: 15 digits, "" none */
    const char *ftext; /* a scripted text (else text and text_arg) */
    struct party from, to;
};

/* What a scripted step forces on the exchange it makes (docs/synth.md, "Scripted actors"). */
struct force {
    const struct party *to; /* the receiver */
    const char *text;       /* the SMS text */
    const char *imeisv;     /* the handset (16 digits), NULL: the card's own */
    int cell;               /* 1: the cell below, 0: one of the card's own */
    uint16_t tac;
    uint32_t eci;
    int invite; /* SIP: a call, not an SMS */
    int answer; /* 1 answered, 0 rings and is not answered */
};

/* Long-lived TCP connections and SCTP associations. */
#define N_CONN 24
#define PEND_MAX 8192
#define MSS 1400 /* largest TCP segment payload / SCTP packet we write */

enum { CS_CLOSED, CS_OPEN };

struct conn {
    uint8_t sctp;  /* 0 TCP, 1 SCTP */
    uint8_t proto; /* P_* */
    uint8_t state;
    uint8_t sub;          /* which link of its protocol */
    uint64_t ready;       /* packet number from which the link is up (set-up done) */
    struct cw_pkt_addr a; /* client to server */
    uint32_t seq[2];      /* TCP next sequence number / SCTP next TSN, per direction */
    uint32_t vtag[2];     /* SCTP: the verification tag each direction's packets carry */
    uint16_t ssn[2][4];
    uint32_t app_seq; /* SMPP sequence number, Diameter hop-by-hop */
    uint32_t peer_tsn_seen[2];
    uint16_t pend_len[2];
    uint8_t pend[2][PEND_MAX];
};

/* Jobs: something to send at (or after) packet number due. */
enum job_type {
    J_UDP,       /* a datagram: payload with its addressing */
    J_FRAME,     /* a frame built already (further IP fragments) */
    J_TCP,       /* application bytes for a TCP direction */
    J_FLUSH,     /* the rest of a TCP direction's partial segment (or an ACK) */
    J_TCP_CTRL,  /* SYN-ACK */
    J_SCTP,      /* a user message for an SCTP direction */
    J_SCTP_CTRL, /* INIT-ACK, COOKIE-ECHO, COOKIE-ACK */
    J_SCTP_END,  /* the E chunk of a split message (TSN and SSN reserved) */
};

#define JOB_CAP 256
#define JOB_DATA 4096
#define JOB_RESERVE 24 /* free slots a new exchange needs */

struct job {
    uint64_t due, serial;
    uint8_t type, dir, urgent, proto;
    uint8_t nreq, nresp, multi; /* messages it carries, for the counts */
    uint8_t nosplit;            /* J_TCP: never cut (tshark 4.0 cannot reassemble SIP framed
                                 * by the compact "l:" Content-Length) */
    uint8_t ctrl;
    uint16_t conn, stream, ssn;
    uint32_t tsn, ppid;
    struct cw_pkt_addr a;
    uint16_t len;
    uint8_t data[JOB_DATA];
};

struct traffic {
    const struct cw_synth_pop *pop;
    const struct cw_synth_opts *o;
    struct cw_synth_stats *st;
    struct rates r;
    unsigned protos;
    double cum[CW_SYNTH_NPROTO]; /* cumulative weights of the selected protocols */
    int black_proto;             /* the protocol of each black card's first message */
    struct cw_rng rng;
    struct cw_pcapw *w;
    uint64_t ts_us, pkt, serial;
    uint64_t written; /* frames written */
    uint16_t ip_id;
    uint32_t frag_id;
    /* the first messages of the black and over-quota cards (ranks below senders): rank k is
     * due at packet floor(k * W / senders) */
    uint64_t senders, next_black, bq, br, bacc, next_black_pkt;
    double p_black;
    const struct force *force; /* set during a scripted step */
    struct script *script;     /* the scripted actors (NULL: none) */
    struct conn conn[N_CONN];
    unsigned nconn;
    int conn_of[CW_SYNTH_NPROTO][8]; /* the links of each protocol */
    unsigned nconn_of[CW_SYNTH_NPROTO];
    struct job jobs[JOB_CAP];
    uint16_t heap[JOB_CAP], free_list[JOB_CAP];
    unsigned nheap, nfree;
    char payload[4096], body[2048];
    uint8_t msg[4][2048]; /* messages of one exchange (a bundle) */
    uint8_t big[8192];    /* several PDUs written at once */
    size_t msg_len[4];
    uint8_t scratch[4096], scratch2[4096];
    uint8_t frame[4400];
};

static const char *const domains[] = {
    "ims.mnc000.mcc460.3gppnetwork.org", /* home */
    "ims.mnc001.mcc460.3gppnetwork.org", /* Unicom */
    "ims.mnc011.mcc460.3gppnetwork.org", /* Telecom */
    "ims.example.net",                   /* foreign visitors' home networks */
};

/* Display names: none, quoted, quoted UTF-8, a token, an escaped quote, an empty string.
 * Placeholder names only (Xiao Ming and Li Hua are the textbook stand-ins). */
static const char *const display_names[] = {
    "",       "\"Xiao Ming\" ",    "\"\xe5\xb0\x8f\xe6\x98\x8e\" ", "\"Li Hua\" ",
    "Alice ", "\"Office Phone\" ", "\"Ming \\\"Mike\\\" Li\" ",     "\"\xe6\x9d\x8e\xe5\x8d\x8e\" ",
    "\"\" ",
};
#define N_DN (sizeof display_names / sizeof display_names[0])

/* Message texts: printf formats given two unsigned arguments, which each uses or not. */
static const char *const normal_texts[] = {
    "Running about %u minutes late, sorry!",
    "Dinner at 7? I will book a table.",
    "Meeting moved to %u:00 tomorrow.",
    "Call me back when you are free.",
    "OK, see you at the station.",
    "Happy birthday! Have a great day.",
    "Did you get home safely?",
    "The parcel number is %u, can you pick it up?",
    "我晚点到，大概%u分钟。",
    "今晚一起吃饭吗？",
    "会议改到明天下午%u点。",
    "收到，谢谢！",
    "生日快乐！🎂",
    "到家了吗？",
    "好的👍",
    "周末去爬山吧，早上%u点出发。",
    "妈，我下周回家。",
    "Ok 好的，明天见 see you tomorrow",
    "Lunch was 12€ each, pay me back {whenever}.",
    "Ticket [row %u] ~ gate B, see you there!",
};
#define N_NORMAL_TEXTS (sizeof normal_texts / sizeof normal_texts[0])

/* What the scripted actors send (docs/synth.md). Advertising: no word of the fraud lists
 * (rules/lists/fraud_*.kw), no link. */
static const char *const ad_texts[] = {
    "Grand opening! 30%% off all noodles at Lucky Star Kitchen, No. %u Park Road, this "
    "weekend. Reply TD to unsubscribe",
    "New arrivals at Harbour Mall: buy 2 shirts, get the third at half price until Sunday. "
    "Reply TD to unsubscribe",
    "Spring sale at Green Leaf Furniture: sofas from 1999 yuan, showroom open 9-21 daily. "
    "Reply TD to unsubscribe",
    "【优选超市】新店开业，全场水果8折，周末还有试吃活动，欢迎光临！回T退订",
    "【美发沙龙】会员日烫染7折，欢迎预约，地址：人民路%u号。回T退订",
    "【健身中心】春季办卡优惠，年卡立减500元，详询前台。回T退订",
    "【家电城】以旧换新，空调冰箱满3000减300，活动到本月底。回T退订",
};
#define N_AD_TEXTS (sizeof ad_texts / sizeof ad_texts[0])

/* Fraud: each hits rules/lists/fraud_zh.kw or fraud_en.kw, most also links.re (links to
 * made-up hosts under the reserved .example and .test). */
static const char *const fraud_texts[] = {
    "恭喜您的号码中奖，获得%u元现金，请点击 http://lucky-draw.example/c/%u 领取奖金。",
    "无抵押贷款，秒批到账，额度最高%u万，征信修复一对一服务，加微信咨询。",
    "兼职刷单，在家动动手指，佣金日结%u元，点赞返现，详情加QQ。",
    "【海关】您有一个包裹涉嫌洗钱，请将资金转入安全账户配合核查，编号%u。",
    "公安局通知：您名下银行卡涉案需冻结账户，案件号%u，请勿挂机等待民警联系。",
    "您好，我刚给您发了一个验证码，是发错了，麻烦把验证码发我一下，谢谢！",
    "您的快递理赔%u元已受理，请点击 http://refund-center.test/p/%u 办理退款。",
    "Congratulations, you have won %u USD in our lucky draw! Claim your prize at "
    "http://winner-%u.example",
    "Instant loan, no credit check, pre-approved up to %u0000 yuan. Reply YES now.",
    "Work from home! Daily commission of %u USD for liking videos. Add us on WhatsApp.",
    "Customs notice: parcel %u is held, customs clearance fee unpaid. Pay at "
    "http://customs-pay.test/%u",
    "Hi, I sent you a verification code by mistake, can you send me the code please?",
    "Your account suspended due to a police case. Verify at http://secure-verify.example/%u "
    "within 24h.",
    "Your one-time password was requested. If this was not you, send the OTP to this number.",
};
#define N_FRAUD_TEXTS (sizeof fraud_texts / sizeof fraud_texts[0])

/* An agent batch's cards all send one of these (the same one). */
static const char *const batch_texts[] = {
    "您好，我是城东新盘置业顾问小王，特价房源本周开放看房，有需要随时联系。",
    "Hi, new flats at River Garden from 8000 yuan/m2, call Mr Wang for a viewing.",
    "您好，本店新到一批二手车，价格实惠，欢迎来电咨询看车。",
    "Hello, we repair phones and laptops at Station Road %u, same-day service.",
};
#define N_BATCH_TEXTS (sizeof batch_texts / sizeof batch_texts[0])

static const char *const newyear_texts[] = {
    "新年快乐，万事如意！",
    "Happy New Year! Wishing you and your family all the best.",
    "春节快乐，身体健康，阖家幸福！🧧",
    "新春快乐！马年大吉🐎",
    "Happy Spring Festival! 新年快乐!",
};
#define N_NEWYEAR_TEXTS (sizeof newyear_texts / sizeof newyear_texts[0])

static const char *const reply_texts[] = {
    "谢谢，你也新年快乐！", "Thanks, happy new year to you too!", "同乐同乐🎉",
    "新年好！改天聚聚",     "Thank you! Same to you 😊",
};
#define N_REPLY_TEXTS (sizeof reply_texts / sizeof reply_texts[0])

/* What black cards send: synthetic spam and fraud lures (links use reserved domains). */
static const char *const spam_texts[] = {
    "恭喜您获得%u元补贴，请点击链接领取：http://example.com/r/%u",
    "【通知】您的账户存在异常，请回复身份证号码核实。",
    "低息贷款，当天放款，额度最高%u万，详询本号码。",
    "兼职刷单，日结%u元，加微信详谈。",
    "Congratulations! You won %u yuan. Reply YES to claim your prize.",
    "Your bank card is frozen. Verify now: http://example.org/v/%u",
    "您的快递丢失，理赔%u元，请点击 http://example.net/p 办理。",
};
#define N_SPAM_TEXTS (sizeof spam_texts / sizeof spam_texts[0])

/* What businesses send through SMPP (A2P): codes, notices, offers; some need Latin-1, some
 * the GSM 7-bit extension table, some UCS-2; the last ones are longer than one SMS. */
static const char *const business_texts[] = {
    "Your ExampleBank sign-in number is %u, valid for 5 minutes.",
    "【ExampleBank】您的登录口令为%u，5分钟内有效，请勿告诉他人。",
    "Your parcel %u is out for delivery today.",
    "Payment of 25€ received. Thank you! {ref %u}",
    "Réservation confirmée à l'hôtel, chambre %u. À bientôt !",
    "您本月话费账单已出，消费%u元，详情请登录网上营业厅查询。",
    "Sale! Up to 50%% off [today only] ~ code %u",
    "Grüße! Ihr Termin ist am %u. März um 10:00.",
    "Dear customer, your monthly statement is ready. Total due: %u.50€. Pay before the 25th "
    "to avoid a late fee. For questions about this statement call our service line or visit "
    "example.com/help - reply STOP to unsubscribe {ref %u}.",
    "尊敬的客户：您本月的账单已生成，应缴金额%u元，"
    "请于本月25日前缴费，逾期将产生滞纳金。"
    "如有疑问请拨打客服热线或登录网上营业厅查询详情。"
    "感谢您的支持，祝您生活愉快！",
};
#define N_BUSINESS_TEXTS (sizeof business_texts / sizeof business_texts[0])

/* Alphanumeric A2P sender names (TON 5), all invented. */
static const char *const business_names[] = {"ExampleBank", "ShopMall", "FastPost",
                                             "CityGas",     "TaxiGo",   "Airline-X"};
#define N_BUSINESS (sizeof business_names / sizeof business_names[0])

static const char *const foreign_prefixes[] = {
    "447700900", /* UK: Ofcom's numbers for drama */
    "61491570",  /* Australia: ACMA's fictitious mobile numbers */
    "1202555",   /* US: 555-01xx fictional (the last 4 digits are 01xx) */
};

static const char *const unicom_segments[] = {"130", "131", "132", "155", "156", "185", "186"};
static const char *const telecom_segments[] = {"133", "153", "180", "181", "189"};

/* Type allocation codes of the handsets (8 digits each, invented). */
static const char *const tacs[] = {"35332510", "86891203", "35875908", "86769504",
                                   "35693803", "86446503", "35120612", "86019704"};
#define N_TACS (sizeof tacs / sizeof tacs[0])

/* The SIM-box gateways' type allocation codes: rules/lists/simbox_tac.prefix lists the same
 * (invented; none of tacs[]). */
static const char *const gateway_tacs[] = {"35210001", "35210118", "35467302", "35467319",
                                           "35788204", "35788221", "35902506", "35902513"};
#define N_GATEWAY_TACS (sizeof gateway_tacs / sizeof gateway_tacs[0])

static const char *const apns[] = {"cmnet", "cmwap", "ims", "internet.example.com"};

/* Network elements' global titles and numbers (invented, not mobile numbers). */
#define GT_MSC "8620000101"
#define GT_MSC2 "8620000102"
#define GT_VLR "8620000111"
#define GT_VLR2 "8620000112"
#define GT_HLR "8620000201"
#define GT_EIR "8620000301"
#define GT_SMSC "8620000500"
#define GT_STP "8620000900"
#define SC_ADDR "8613800100500" /* the SMS centre as handsets know it */

static double rng_unit(struct traffic *t)
{
    return cw_rng_unit(&t->rng);
}

static uint64_t rng_below(struct traffic *t, uint64_t n)
{
    return cw_rng_below(&t->rng, n);
}

static uint64_t rng_range_u(struct traffic *t, uint64_t lo, uint64_t hi)
{
    return cw_rng_range(&t->rng, lo, hi);
}

static int chance(struct traffic *t, double p)
{
    return p > 0 && rng_unit(t) < p;
}

static void party_card(struct traffic *t, uint64_t index, struct party *pa)
{
    uint64_t rank;
    memset(pa, 0, sizeof *pa);
    cw_synth_msisdn(t->pop, index, pa->num);
    pa->kind = PK_HOME;
    pa->op = 0;
    pa->node = (uint8_t)(cw_hash3(t->pop->seed, TAG_NODE, index) % 8);
    pa->index = index;
    pa->black = (uint8_t)cw_synth_is_black(t->pop, index, &rank);
}

static void party_offnet(struct traffic *t, struct party *pa)
{
    memset(pa, 0, sizeof *pa);
    int unicom = rng_unit(t) < 0.6;
    const char *seg = unicom ? unicom_segments[rng_below(t, 7)] : telecom_segments[rng_below(t, 5)];
    snprintf(pa->num, sizeof pa->num, "86%s%08llu", seg,
             (unsigned long long)rng_below(t, 100000000ull));
    pa->kind = PK_OFFNET;
    pa->op = unicom ? 1 : 2;
    pa->node = (uint8_t)rng_below(t, 2);
    pa->index = UINT64_MAX;
}

static void party_foreign(struct traffic *t, struct party *pa)
{
    memset(pa, 0, sizeof *pa);
    unsigned which = (unsigned)rng_below(t, 3);
    if (which == 0)
        snprintf(pa->num, sizeof pa->num, "%s%03u", foreign_prefixes[0],
                 (unsigned)rng_below(t, 1000));
    else if (which == 1)
        snprintf(pa->num, sizeof pa->num, "%s%03u", foreign_prefixes[1],
                 (unsigned)rng_below(t, 1000));
    else
        snprintf(pa->num, sizeof pa->num, "%s01%02u", foreign_prefixes[2],
                 (unsigned)rng_below(t, 100));
    pa->kind = PK_FOREIGN;
    pa->op = 3;
    pa->node = 0;
    pa->index = UINT64_MAX;
}

static void party_name(struct traffic *t, struct party *pa)
{
    memset(pa, 0, sizeof *pa);
    snprintf(pa->num, sizeof pa->num, "%s", business_names[rng_below(t, N_BUSINESS)]);
    pa->kind = PK_NAME;
    pa->op = 0;
    pa->index = UINT64_MAX;
}

/* 1 when card @p index takes part in ordinary traffic: not black, not suspended, not a scripted
 * actor (those do only what their script says: docs/synth.md). */
static int card_ordinary(const struct cw_synth_pop *p, uint64_t index)
{
    uint64_t rank;
    if (cw_synth_is_black(p, index, &rank))
        return 0;
    if (rank >= p->act_first[0] && rank < p->act_first[CW_SYNTH_NACT])
        return 0;
    return !cw_synth_suspended(p, index);
}

/* A random active normal (registered, verified, not suspended) card other than @p not;
 * 0 when a few tries find none (a population of almost only black cards). */
static int pick_normal(struct traffic *t, uint64_t not, uint64_t *index)
{
    for (int tries = 0; tries < 16; tries++) {
        uint64_t i = rng_below(t, t->pop->cards);
        if (i == not || !card_ordinary(t->pop, i))
            continue;
        *index = i;
        return 1;
    }
    return 0;
}

/* The card of black rank @p k: a black card for k < black, then the over-quota cards. */
static uint64_t black_card_index(const struct cw_synth_pop *p, uint64_t k)
{
    return cw_perm_inv(&p->black_perm, k);
}

/* One of our cards in use: a black card (as often as the black share says) or a normal one.
 * 0 when there is none to pick. */
static int pick_card(struct traffic *t, struct party *pa)
{
    uint64_t i;
    if (t->pop->black && chance(t, t->p_black)) {
        party_card(t, black_card_index(t->pop, rng_below(t, t->pop->black)), pa);
        return 1;
    }
    if (!pick_normal(t, UINT64_MAX, &i))
        return 0;
    party_card(t, i, pa);
    return 1;
}

/* The sender of an SMS or a call: 2% foreign numbers, 12% other operators', black cards,
 * normal cards. */
static void pick_sender(struct traffic *t, struct party *pa)
{
    double u = rng_unit(t);
    if (u < 0.02)
        party_foreign(t, pa);
    else if (u < 0.14 || !pick_card(t, pa))
        party_offnet(t, pa);
}

/* The other side: one of our cards when the sender is not, else ours 65%, another operator's
 * 28%, abroad 7%. */
static void pick_receiver(struct traffic *t, const struct party *from, struct party *pa)
{
    uint64_t callee;
    double v = rng_unit(t);
    if (from->kind != PK_HOME || v < 0.65) {
        if (pick_normal(t, from->index, &callee))
            party_card(t, callee, pa);
        else
            party_offnet(t, pa);
    } else if (v < 0.93) {
        party_offnet(t, pa);
    } else {
        party_foreign(t, pa);
    }
}

static void card_imsi(struct traffic *t, uint64_t index, char out[16])
{
    snprintf(out, 16, "46000%010llu",
             (unsigned long long)(cw_perm_fwd(&t->pop->imsi_perm, index) % 10000000000ull));
}

/* The handset of a card: IMEISV (TAC, serial number, software version). */
static void card_imeisv(struct traffic *t, uint64_t index, char out[17])
{
    uint64_t h = cw_hash3(t->pop->seed, TAG_IMEI, index);
    snprintf(out, 17, "%s%06u%02u", tacs[h % 8], (unsigned)((h >> 8) % 1000000),
             (unsigned)((h >> 40) % 100));
}

/* Another handset, from a hash: an ordinary TAC, or a SIM-box gateway's with @p gateway. */
static void hash_imeisv(uint64_t h, int gateway, char out[17])
{
    const char *tac = gateway ? gateway_tacs[h % N_GATEWAY_TACS] : tacs[h % N_TACS];
    snprintf(out, 17, "%s%06u%02u", tac, (unsigned)((h >> 8) % 1000000),
             (unsigned)((h >> 40) % 100));
}

/* The 15-digit IMEI of an IMEISV: TAC, serial number, Luhn check digit (TS 23.003 B.2). */
static void imei_of(const char *imeisv, char out[16])
{
    unsigned sum = 0;
    for (int i = 0; i < 14; i++) {
        unsigned d = (unsigned)(imeisv[i] - '0');
        if (i & 1) {
            d *= 2;
            d = d > 9 ? d - 9 : d;
        }
        sum += d;
        out[i] = imeisv[i];
    }
    out[14] = (char)('0' + (10 - sum % 10) % 10);
    out[15] = 0;
}

/* Cell @p k (0..2) of the few a card is seen in: a tracking area and an E-UTRAN cell
 * identity (28 bits) near each other, in the card's registration province (its number in the
 * ECI's top 8 bits: cells.csv). */
static void card_cell(struct traffic *t, uint64_t index, unsigned k, uint16_t *tac, uint32_t *eci)
{
    uint64_t h = cw_hash3(t->pop->seed, TAG_CELL, index);
    char prov[3];
    cw_synth_card_province(t->pop, index, prov);
    *tac = (uint16_t)(0x1000 + (h >> 40) % 0x1000);
    *eci = CW_SYNTH_ECI(cw_synth_prov_num(prov), (h & 0xfff00u) | (((h >> 32) + k * 37u) & 0xffu));
}

/* Cell @p k (0 or 1) of the few an actor uses in province @p prov (2 digits) away from home. */
static void away_cell(struct traffic *t, uint64_t index, const char *prov, unsigned k,
                      uint16_t *tac, uint32_t *eci)
{
    uint64_t h = cw_hash3(t->pop->seed, TAG_CELL, cw_mix64(index) ^ 0xa3a7ull << 48);
    *tac = (uint16_t)(0x1000 + (h >> 40) % 0x1000);
    *eci = CW_SYNTH_ECI(cw_synth_prov_num(prov), (h & 0xfff00u) | (((h >> 32) + k * 41u) & 0xffu));
}

static void count_sms(struct traffic *t, const struct party *from)
{
    t->st->sms++;
    if (from->kind == PK_HOME && from->black)
        t->st->black_requests++;
    else if (from->kind == PK_OFFNET)
        t->st->offnet_requests++;
    else if (from->kind == PK_FOREIGN)
        t->st->foreign_requests++;
}

/* ------------------------------------------------------------------------------------------ */
/* Jobs: a binary heap of slots ordered by (due, urgent first, creation order). */

static int job_before(const struct traffic *t, uint16_t a, uint16_t b)
{
    const struct job *x = &t->jobs[a], *y = &t->jobs[b];
    if (x->due != y->due)
        return x->due < y->due;
    if (x->urgent != y->urgent)
        return x->urgent > y->urgent;
    return x->serial < y->serial;
}

static unsigned jobs_free(const struct traffic *t)
{
    return t->nfree;
}

/* A free job slot, or NULL when the heap is full (the caller drops what it wanted to send). */
static struct job *job_new(struct traffic *t, enum job_type type, uint64_t due)
{
    if (!t->nfree)
        return NULL;
    struct job *j = &t->jobs[t->free_list[--t->nfree]];
    memset(j, 0, offsetof(struct job, data));
    j->type = (uint8_t)type;
    j->due = due;
    j->serial = t->serial++;
    return j;
}

static void job_push(struct traffic *t, struct job *j)
{
    uint16_t id = (uint16_t)(j - t->jobs);
    unsigned i = t->nheap++;
    while (i > 0) {
        unsigned parent = (i - 1) / 2;
        if (!job_before(t, id, t->heap[parent]))
            break;
        t->heap[i] = t->heap[parent];
        i = parent;
    }
    t->heap[i] = id;
}

static struct job *job_peek(struct traffic *t)
{
    return t->nheap ? &t->jobs[t->heap[0]] : NULL;
}

/* Take the first job off the heap (its slot stays valid until job_release). */
static struct job *job_pop(struct traffic *t)
{
    if (!t->nheap)
        return NULL;
    uint16_t top = t->heap[0], last = t->heap[--t->nheap];
    unsigned i = 0, n = t->nheap;
    for (;;) {
        unsigned c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && job_before(t, t->heap[c + 1], t->heap[c]))
            c++;
        if (!job_before(t, t->heap[c], last))
            break;
        t->heap[i] = t->heap[c];
        i = c;
    }
    if (n)
        t->heap[i] = last;
    return &t->jobs[top];
}

static void job_release(struct traffic *t, struct job *j)
{
    t->free_list[t->nfree++] = (uint16_t)(j - t->jobs);
}

/* ------------------------------------------------------------------------------------------ */
/* Frames. */

static void mac_of(const struct cw_pkt_addr *a, int src, uint8_t mac[6])
{
    const uint8_t *ip = src ? a->src : a->dst;
    mac[0] = 0x02;
    mac[1] = 0x00;
    if (a->ipver == 6)
        memcpy(mac + 2, ip + 12, 4);
    else
        memcpy(mac + 2, ip, 4);
}

static void addr_v4(struct cw_pkt_addr *a, const uint8_t s[4], const uint8_t d[4])
{
    a->ipver = 4;
    memset(a->src, 0, sizeof a->src);
    memset(a->dst, 0, sizeof a->dst);
    memcpy(a->src, s, 4);
    memcpy(a->dst, d, 4);
}

/* 2001:db8:<net>::<host> (the documentation prefix, RFC 3849). */
static void addr_v6(struct cw_pkt_addr *a, unsigned net_s, unsigned host_s, unsigned net_d,
                    unsigned host_d)
{
    static const uint8_t pre[4] = {0x20, 0x01, 0x0d, 0xb8};
    a->ipver = 6;
    memset(a->src, 0, sizeof a->src);
    memset(a->dst, 0, sizeof a->dst);
    memcpy(a->src, pre, 4);
    memcpy(a->dst, pre, 4);
    a->src[4] = (uint8_t)(net_s >> 8);
    a->src[5] = (uint8_t)net_s;
    a->src[14] = (uint8_t)(host_s >> 8);
    a->src[15] = (uint8_t)host_s;
    a->dst[4] = (uint8_t)(net_d >> 8);
    a->dst[5] = (uint8_t)net_d;
    a->dst[14] = (uint8_t)(host_d >> 8);
    a->dst[15] = (uint8_t)host_d;
}

static void addr_macs(struct cw_pkt_addr *a)
{
    mac_of(a, 1, a->src_mac);
    mac_of(a, 0, a->dst_mac);
}

/* The addressing of the other direction. */
static void addr_reverse(const struct cw_pkt_addr *in, struct cw_pkt_addr *out)
{
    *out = *in;
    memcpy(out->src, in->dst, 16);
    memcpy(out->dst, in->src, 16);
    memcpy(out->src_mac, in->dst_mac, 6);
    memcpy(out->dst_mac, in->src_mac, 6);
    out->sport = in->dport;
    out->dport = in->sport;
}

static int write_frame(struct traffic *t, unsigned proto, const struct cw_pkt_addr *a,
                       const uint8_t *frame, size_t n)
{
    if (!n)
        return CW_EFULL;
    struct cw_synth_stats *st = t->st;
    st->packets++;
    st->proto_packets[proto]++;
    if (a->vlan)
        st->vlan_frames++;
    if (a->vlan_outer)
        st->qinq_frames++;
    if (a->ipver == 6)
        st->ipv6_frames++;
    t->written++;
    return cw_pcapw_write(t->w, t->ts_us, frame, n);
}

/* A UDP datagram; with @p frag set, as 2 or 3 IP fragments: one now, the others queued
 * (urgent, in the next packets), sometimes the last one first. */
static int send_udp(struct traffic *t, unsigned proto, struct cw_pkt_addr *a, const void *payload,
                    size_t len, int frag)
{
    a->ip_id = t->ip_id++;
    if (!frag || jobs_free(t) < 4) {
        size_t n = cw_pkt_build_udp(t->frame, sizeof t->frame, a, payload, len);
        return write_frame(t, proto, a, t->frame, n);
    }
    a->frag_id = t->frag_id++;
    size_t l4 = cw_pkt_l4_udp(t->scratch2, sizeof t->scratch2, a, payload, len);
    if (!l4)
        return CW_EFULL;
    unsigned nfrag = l4 > 160 && chance(t, 0.5) ? 3 : 2;
    size_t piece = ((l4 + nfrag - 1) / nfrag + 7) & ~(size_t)7;
    nfrag = (unsigned)((l4 + piece - 1) / piece);
    int ooo = chance(t, t->r.frag_ooo);
    t->st->ip_fragmented++;
    t->st->ip_frag_ooo += ooo;
    int rc = 0;
    for (unsigned k = 0; k < nfrag; k++) {
        unsigned idx = ooo ? nfrag - 1 - k : k; /* out of order: last piece first */
        size_t off = idx * piece, n = off + piece > l4 ? l4 - off : piece;
        t->st->ip_fragments++;
        if (k == 0) {
            size_t f = cw_pkt_build_frag(t->frame, sizeof t->frame, a, 17, t->scratch2, l4, off, n);
            rc = write_frame(t, proto, a, t->frame, f);
            continue;
        }
        struct job *j = job_new(t, J_FRAME, t->pkt + k);
        if (!j)
            break;
        j->urgent = 1;
        j->proto = (uint8_t)proto;
        j->a = *a;
        size_t f = cw_pkt_build_frag(j->data, JOB_DATA, a, 17, t->scratch2, l4, off, n);
        j->len = (uint16_t)f;
        if (!f) {
            job_release(t, j);
            return CW_EFULL;
        }
        job_push(t, j);
    }
    return rc;
}

/* Queue a datagram for later. */
static void queue_udp(struct traffic *t, unsigned proto, const struct cw_pkt_addr *a,
                      const void *payload, size_t len, uint64_t delay, int nresp)
{
    if (len > JOB_DATA)
        return;
    struct job *j = job_new(t, J_UDP, t->pkt + delay);
    if (!j)
        return;
    j->proto = (uint8_t)proto;
    j->a = *a;
    j->nresp = (uint8_t)nresp;
    memcpy(j->data, payload, len);
    j->len = (uint16_t)len;
    job_push(t, j);
}

/* ---- TCP ---- */

static void conn_addr(const struct conn *c, int dir, struct cw_pkt_addr *a)
{
    if (dir)
        addr_reverse(&c->a, a);
    else
        *a = c->a;
}

static int tcp_segment(struct traffic *t, struct conn *c, int dir, uint8_t flags,
                       const uint8_t *data, size_t n)
{
    struct cw_pkt_addr a;
    conn_addr(c, dir, &a);
    a.ip_id = t->ip_id++;
    a.tcp_seq = c->seq[dir];
    a.tcp_ack = flags == CW_PKT_TCP_SYN ? 0 : c->seq[!dir];
    a.tcp_flags = flags;
    size_t f = cw_pkt_build_tcp(t->frame, sizeof t->frame, &a, data, n);
    c->seq[dir] += (uint32_t)n + ((flags & CW_PKT_TCP_SYN) ? 1u : 0u);
    return write_frame(t, c->proto, &a, t->frame, f);
}

static void queue_flush(struct traffic *t, struct conn *c, int dir)
{
    struct job *j = job_new(t, J_FLUSH, t->pkt + rng_range_u(t, 1, 3));
    if (!j)
        return;
    j->conn = (uint16_t)(c - t->conn);
    j->dir = (uint8_t)dir;
    j->proto = c->proto;
    job_push(t, j);
}

/* Send what is pending on a direction: all of it, or (when @p cut) a first piece, the rest
 * left for a flush job. */
static int tcp_push(struct traffic *t, struct conn *c, int dir, int cut)
{
    size_t n = c->pend_len[dir];
    size_t take = n > MSS ? MSS : n;
    /* the first piece holds at least a whole SMPP / Diameter header (tshark's SMPP heuristic
     * needs one to find the PDU) */
    if (cut && n > 48 && jobs_free(t) > 2)
        take = (size_t)rng_range_u(t, 24, n - 8);
    int rc = tcp_segment(t, c, dir, 0, c->pend[dir], take);
    memmove(c->pend[dir], c->pend[dir] + take, n - take);
    c->pend_len[dir] = (uint16_t)(n - take);
    if (c->pend_len[dir])
        queue_flush(t, c, dir);
    return rc;
}

/* Write application messages (already concatenated in @p data) on a direction and send a
 * segment now. @p nmsg: how many messages; @p may_split: the first segment may stop inside
 * a message. */
static int tcp_send(struct traffic *t, struct conn *c, int dir, const uint8_t *data, size_t n,
                    unsigned nmsg, int may_split)
{
    if (n > (size_t)(PEND_MAX - c->pend_len[dir])) {
        /* too much waiting: send what waits first (never with these sizes) */
        c->pend_len[dir] = 0;
    }
    int had = c->pend_len[dir] > 0;
    memcpy(c->pend[dir] + c->pend_len[dir], data, n);
    c->pend_len[dir] = (uint16_t)(c->pend_len[dir] + n);
    int cut = may_split && !had && c->pend_len[dir] > 48 && chance(t, t->r.tcp_split);
    if (cut)
        t->st->tcp_split++;
    else if (nmsg > 1 || (had && c->pend_len[dir] <= MSS))
        t->st->tcp_multi++;
    return tcp_push(t, c, dir, cut);
}

static struct job *queue_tcp(struct traffic *t, struct conn *c, int dir, const uint8_t *data,
                             size_t n, uint64_t due, unsigned nreq, unsigned nresp)
{
    if (n > JOB_DATA)
        return NULL;
    struct job *j = job_new(t, J_TCP, due);
    if (!j)
        return NULL;
    j->conn = (uint16_t)(c - t->conn);
    j->dir = (uint8_t)dir;
    j->proto = c->proto;
    j->nreq = (uint8_t)nreq;
    j->nresp = (uint8_t)nresp;
    j->multi = (uint8_t)(nreq + nresp);
    memcpy(j->data, data, n);
    j->len = (uint16_t)n;
    job_push(t, j);
    return j;
}

/* ---- SCTP ---- */

static int sctp_packet(struct traffic *t, struct conn *c, int dir, const uint8_t *chunks,
                       size_t clen)
{
    struct cw_pkt_addr a;
    conn_addr(c, dir, &a);
    a.ip_id = t->ip_id++;
    size_t l4 = cw_enc_sctp_packet(a.sport, a.dport, c->vtag[dir], chunks, clen, t->scratch2,
                                   sizeof t->scratch2);
    if (!l4)
        return CW_EFULL;
    size_t f = cw_pkt_build_ip(t->frame, sizeof t->frame, &a, 132, t->scratch2, l4);
    return write_frame(t, c->proto, &a, t->frame, f);
}

static uint32_t conn_ppid(const struct conn *c)
{
    return c->proto == P_MAP ? 3u : 46u;
}

/* User messages on a direction, one DATA chunk each, in one packet (a SACK of the other
 * direction first, sometimes). With @p may_split and one message, the message may go as a B
 * chunk now and an E chunk in the next packet. @p streams: the stream of each message. */
static int sctp_send(struct traffic *t, struct conn *c, int dir, unsigned n,
                     const uint8_t *const *msgs, const size_t *lens, const uint16_t *streams,
                     int may_split)
{
    struct cw_wbuf b = cw_wb_make(t->scratch, sizeof t->scratch);
    if (c->seq[!dir] != c->peer_tsn_seen[dir] && chance(t, t->r.sctp_sack)) {
        cw_enc_sctp_sack(&b, c->seq[!dir] - 1, 106496);
        c->peer_tsn_seen[dir] = c->seq[!dir];
    }
    uint32_t ppid = conn_ppid(c);
    if (n == 1 && may_split && lens[0] > 32 && jobs_free(t) > 2 && chance(t, t->r.sctp_split)) {
        size_t first = lens[0] / 2;
        uint16_t s = streams[0];
        uint16_t ssn = c->ssn[dir][s & 3]++;
        uint32_t tsn = c->seq[dir];
        c->seq[dir] += 2;
        cw_enc_sctp_data(&b, CW_SCTP_F_B, tsn, s, ssn, ppid, msgs[0], first);
        struct job *j = job_new(t, J_SCTP_END, t->pkt + 1);
        j->urgent = 1;
        j->conn = (uint16_t)(c - t->conn);
        j->dir = (uint8_t)dir;
        j->proto = c->proto;
        j->tsn = tsn + 1;
        j->stream = s;
        j->ssn = ssn;
        j->ppid = ppid;
        j->len = (uint16_t)(lens[0] - first);
        memcpy(j->data, msgs[0] + first, j->len);
        job_push(t, j);
        t->st->sctp_split++;
        return b.err ? CW_EFULL : sctp_packet(t, c, dir, t->scratch, b.len);
    }
    for (unsigned i = 0; i < n; i++) {
        uint16_t s = streams[i];
        cw_enc_sctp_data(&b, CW_SCTP_F_B | CW_SCTP_F_E, c->seq[dir]++, s, c->ssn[dir][s & 3]++,
                         ppid, msgs[i], lens[i]);
    }
    if (n > 1)
        t->st->sctp_bundled++;
    return b.err ? CW_EFULL : sctp_packet(t, c, dir, t->scratch, b.len);
}

static void queue_sctp(struct traffic *t, struct conn *c, int dir, const uint8_t *data, size_t n,
                       uint16_t stream, uint64_t due, unsigned nreq, unsigned nresp)
{
    if (n > JOB_DATA)
        return;
    struct job *j = job_new(t, J_SCTP, due);
    if (!j)
        return;
    j->conn = (uint16_t)(c - t->conn);
    j->dir = (uint8_t)dir;
    j->proto = c->proto;
    j->stream = stream;
    j->nreq = (uint8_t)nreq;
    j->nresp = (uint8_t)nresp;
    memcpy(j->data, data, n);
    j->len = (uint16_t)n;
    job_push(t, j);
}

/* Send on a link or queue for the link's direction: a message for a stream link. */
static void queue_msg(struct traffic *t, struct conn *c, int dir, const uint8_t *data, size_t n,
                      uint16_t stream, uint64_t due, unsigned nreq, unsigned nresp)
{
    if (c->sctp)
        queue_sctp(t, c, dir, data, n, stream, due, nreq, nresp);
    else
        queue_tcp(t, c, dir, data, n, due, nreq, nresp);
}

static void count_msgs(struct traffic *t, unsigned proto, unsigned nreq, unsigned nresp)
{
    t->st->requests += nreq;
    t->st->responses += nresp;
    t->st->proto_messages[proto] += nreq + nresp;
}

/* ------------------------------------------------------------------------------------------ */
/* Links: the long-lived TCP connections and SCTP associations, opened on first use. */

enum { CTRL_SYNACK = 1, CTRL_INITACK, CTRL_COOKIE_ECHO, CTRL_COOKIE_ACK };

static const uint8_t cookie[24] = "cardwatch-synth-cookie!";

/* SMPP ESME links: system_id, bind command. */
static const char *const esme_ids[4] = {"bankcn", "shopmall", "smsgw01", "alerts"};
static const uint32_t esme_bind[4] = {CW_SMPP_BIND_TRANSMITTER, CW_SMPP_BIND_TRANSCEIVER,
                                      CW_SMPP_BIND_TRANSCEIVER, CW_SMPP_BIND_TRANSMITTER};

/* Diameter links: sub 0 S6a TCP (MME 1), 1 S6a SCTP (MME 2), 2 Gx TCP, 3 SGd SCTP (MME 1),
 * 4 SGd TCP (MME 2). */
static const char *const dia_client[5] = {
    "mme01.epc.mnc000.mcc460.3gppnetwork.org", "mme02.epc.mnc000.mcc460.3gppnetwork.org",
    "pgw01.epc.mnc000.mcc460.3gppnetwork.org", "mme01.epc.mnc000.mcc460.3gppnetwork.org",
    "mme02.epc.mnc000.mcc460.3gppnetwork.org"};
static const char *const dia_server[5] = {
    "hss01.epc.mnc000.mcc460.3gppnetwork.org", "hss01.epc.mnc000.mcc460.3gppnetwork.org",
    "pcrf01.epc.mnc000.mcc460.3gppnetwork.org", "smsiwf01.epc.mnc000.mcc460.3gppnetwork.org",
    "smsiwf01.epc.mnc000.mcc460.3gppnetwork.org"};
#define DIA_REALM "epc.mnc000.mcc460.3gppnetwork.org"
static const uint32_t dia_app[5] = {CW_DIA_APP_S6A, CW_DIA_APP_S6A, CW_DIA_APP_GX, CW_DIA_APP_SGD,
                                    CW_DIA_APP_SGD};

static struct conn *add_conn(struct traffic *t, unsigned proto, int sctp, unsigned sub)
{
    struct conn *c = &t->conn[t->nconn];
    memset(c, 0, sizeof *c);
    c->sctp = (uint8_t)sctp;
    c->proto = (uint8_t)proto;
    c->sub = (uint8_t)sub;
    t->conn_of[proto][t->nconn_of[proto]++] = (int)t->nconn;
    t->nconn++;
    return c;
}

static void link_v4(struct conn *c, const uint8_t s[4], const uint8_t d[4], uint16_t sport,
                    uint16_t dport)
{
    addr_v4(&c->a, s, d);
    c->a.sport = sport;
    c->a.dport = dport;
    addr_macs(&c->a);
}

static void links_init(struct traffic *t, int plain)
{
    /* SIP over TCP: P-CSCFs 4 and 5 to each of the 4 S-CSCFs */
    for (unsigned n = 0; n < 2; n++)
        for (unsigned k = 0; k < 4; k++) {
            struct conn *c = add_conn(t, P_SIP, 0, n * 4 + k);
            uint8_t s[4] = {10, 20, 0, (uint8_t)(5 + n)}, d[4] = {10, 20, 1, (uint8_t)(k + 1)};
            link_v4(c, s, d, (uint16_t)(41000 + n * 16 + k), 5060);
        }
    /* SMPP: four ESMEs to the SMSC's port 2775; one over IPv6, one tagged */
    for (unsigned k = 0; k < 4; k++) {
        struct conn *c = add_conn(t, P_SMPP, 0, k);
        uint8_t s[4] = {10, 50, 0, (uint8_t)(11 + k)}, d[4] = {10, 50, 1, 1};
        link_v4(c, s, d, (uint16_t)(45000 + k), 2775);
        if (k == 2 && !plain) {
            addr_v6(&c->a, 0x50, 0x12, 0x50, 0x1);
            addr_macs(&c->a);
        }
        if (k == 3 && !plain)
            c->a.vlan = 500;
    }
    /* MAP: M3UA associations of the MSC/VLR, the SMSC, and a second MSC/VLR (IPv6) to the STP */
    for (unsigned k = 0; k < 3; k++) {
        struct conn *c = add_conn(t, P_MAP, 1, k);
        uint8_t s[4] = {10, 60, 0, (uint8_t)(1 + k)}, d[4] = {10, 60, 1, 1};
        link_v4(c, s, d, 2905, 2905);
        if (k == 1 && !plain)
            c->a.vlan = 600;
        if (k == 2 && !plain) {
            addr_v6(&c->a, 0x60, 0x3, 0x60, 0x100);
            addr_macs(&c->a);
        }
    }
    /* Diameter */
    for (unsigned k = 0; k < 5; k++) {
        int sctp = k == 1 || k == 3;
        struct conn *c = add_conn(t, P_DIA, sctp, k);
        uint8_t s[4] = {10, 70, 0, (uint8_t)(1 + k)}, d[4] = {10, 70, 1, (uint8_t)(1 + k)};
        link_v4(c, s, d, sctp ? 3868 : (uint16_t)(47000 + k), 3868);
        if (k == 1 && !plain)
            c->a.vlan = 700;
        if (k == 3 && !plain) {
            addr_v6(&c->a, 0x70, 0x4, 0x70, 0x104);
            addr_macs(&c->a);
        }
    }
    for (unsigned i = 0; i < t->nconn; i++) {
        struct conn *c = &t->conn[i];
        c->seq[0] = (uint32_t)cw_rng_next(&t->rng);
        c->seq[1] = (uint32_t)cw_rng_next(&t->rng);
        c->vtag[0] = (uint32_t)cw_rng_next(&t->rng) | 1u;
        c->vtag[1] = (uint32_t)cw_rng_next(&t->rng) | 1u;
        c->app_seq = (uint32_t)(1 + rng_below(t, 1000));
    }
}

static void queue_ctrl(struct traffic *t, struct conn *c, int dir, unsigned ctrl, uint64_t due)
{
    struct job *j = job_new(t, c->sctp ? J_SCTP_CTRL : J_TCP_CTRL, due);
    if (!j)
        return;
    j->conn = (uint16_t)(c - t->conn);
    j->dir = (uint8_t)dir;
    j->proto = c->proto;
    j->ctrl = (uint8_t)ctrl;
    job_push(t, j);
}

static void dia_peer(const struct conn *c, struct cw_enc_dia *m)
{
    m->origin_host = dia_client[c->sub];
    m->origin_realm = DIA_REALM;
    m->dest_host = dia_server[c->sub];
    m->dest_realm = DIA_REALM;
}

/* Open a link: its first packet now (SYN or INIT), the handshake and the application's
 * set-up (SMPP bind, Diameter CER, M3UA ASP up and active) queued after it. */
static int conn_open(struct traffic *t, struct conn *c)
{
    uint64_t p = t->pkt;
    int rc;
    c->state = CS_OPEN;
    if (c->sctp) {
        struct cw_wbuf b = cw_wb_make(t->scratch, sizeof t->scratch);
        cw_enc_sctp_init(&b, 0, c->vtag[1], c->seq[0], NULL, 0);
        uint32_t keep = c->vtag[0];
        c->vtag[0] = 0; /* an INIT carries tag 0 */
        rc = sctp_packet(t, c, 0, t->scratch, b.len);
        c->vtag[0] = keep;
        queue_ctrl(t, c, 1, CTRL_INITACK, p + 1);
        queue_ctrl(t, c, 0, CTRL_COOKIE_ECHO, p + 2);
        queue_ctrl(t, c, 1, CTRL_COOKIE_ACK, p + 3);
        p += 4;
    } else {
        rc = tcp_segment(t, c, 0, CW_PKT_TCP_SYN, NULL, 0);
        queue_ctrl(t, c, 1, CTRL_SYNACK, p + 1);
        p += 2;
    }
    uint8_t m[512];
    size_t n;
    if (c->proto == P_SMPP) {
        uint32_t seq = c->app_seq++;
        n = cw_enc_smpp_bind(esme_bind[c->sub], seq, esme_ids[c->sub], "secret12", "SMPP", m,
                             sizeof m);
        queue_msg(t, c, 0, m, n, 0, p++, 1, 0);
        n = cw_enc_smpp_simple(esme_bind[c->sub] | CW_SMPP_RESP, 0, seq, "SMSC01", m, sizeof m);
        queue_msg(t, c, 1, m, n, 0, p++, 0, 1);
    } else if (c->proto == P_DIA) {
        struct cw_enc_dia d;
        memset(&d, 0, sizeof d);
        dia_peer(c, &d);
        d.hbh = c->app_seq++;
        d.e2e = (uint32_t)cw_rng_next(&t->rng);
        n = cw_enc_dia_cer(0, &d, c->a.src + (c->a.ipver == 6 ? 12 : 0), dia_app[c->sub], m,
                           sizeof m);
        queue_msg(t, c, 0, m, n, 0, p++, 1, 0);
        n = cw_enc_dia_cer(1, &d, c->a.dst + (c->a.ipver == 6 ? 12 : 0), dia_app[c->sub], m,
                           sizeof m);
        queue_msg(t, c, 1, m, n, 0, p++, 0, 1);
    } else if (c->proto == P_MAP) {
        static const uint8_t steps[4][3] = {{3, 1, 0}, {3, 4, 1}, {4, 1, 0}, {4, 3, 1}};
        for (int i = 0; i < 4; i++) {
            n = cw_enc_m3ua_simple(steps[i][0], steps[i][1], m, sizeof m);
            queue_msg(t, c, steps[i][2], m, n, 0, p++, !steps[i][2], steps[i][2]);
        }
    }
    c->ready = p;
    return rc;
}

/* A link of @p proto whose index among them is in @p allowed (bit set), up and ready: NULL when
 * none is. Then, when one of them is closed, it is opened (its first packet is sent now and
 * *rc tells how that went); else nothing is sent (*rc 0). */
static struct conn *pick_link(struct traffic *t, unsigned proto, unsigned allowed, int *rc)
{
    unsigned n = t->nconn_of[proto], start = (unsigned)rng_below(t, n);
    /* the first allowed link from a random one: used when up, opened when closed, passed by
     * while it is being set up */
    for (unsigned i = 0; i < n; i++) {
        unsigned k = (start + i) % n;
        struct conn *c = &t->conn[t->conn_of[proto][k]];
        if (!(allowed >> k & 1))
            continue;
        if (c->state == CS_CLOSED) {
            *rc = conn_open(t, c);
            return NULL;
        }
        if (c->ready <= t->pkt)
            return c;
    }
    *rc = 0; /* nothing sent: t->written tells */
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Running a job. */

static int run_job(struct traffic *t, struct job *j)
{
    struct conn *c = &t->conn[j->conn];
    int rc = 0;
    switch (j->type) {
    case J_UDP:
        count_msgs(t, j->proto, j->nreq, j->nresp);
        rc = send_udp(t, j->proto, &j->a, j->data, j->len, 0);
        break;
    case J_FRAME: rc = write_frame(t, j->proto, &j->a, j->data, j->len); break;
    case J_TCP:
        count_msgs(t, j->proto, j->nreq, j->nresp);
        rc = tcp_send(t, c, j->dir, j->data, j->len, j->multi, !j->nosplit);
        break;
    case J_FLUSH:
        if (c->pend_len[j->dir])
            rc = tcp_push(t, c, j->dir, 0);
        else /* sent with a later message already: the peer acknowledges */
            rc = tcp_segment(t, c, !j->dir, CW_PKT_TCP_ACK, NULL, 0);
        break;
    case J_TCP_CTRL:
        rc = tcp_segment(t, c, j->dir, CW_PKT_TCP_SYN | CW_PKT_TCP_ACK, NULL, 0);
        break;
    case J_SCTP: {
        const uint8_t *m = j->data;
        size_t len = j->len;
        count_msgs(t, j->proto, j->nreq, j->nresp);
        rc = sctp_send(t, c, j->dir, 1, &m, &len, &j->stream, 1);
        break;
    }
    case J_SCTP_CTRL: {
        struct cw_wbuf b = cw_wb_make(t->scratch, sizeof t->scratch);
        if (j->ctrl == CTRL_INITACK)
            cw_enc_sctp_init(&b, 1, c->vtag[0], c->seq[1], cookie, sizeof cookie);
        else if (j->ctrl == CTRL_COOKIE_ECHO)
            cw_enc_sctp_cookie(&b, cookie, sizeof cookie);
        else
            cw_enc_sctp_cookie(&b, NULL, 0);
        rc = sctp_packet(t, c, j->dir, t->scratch, b.len);
        break;
    }
    case J_SCTP_END: {
        struct cw_wbuf b = cw_wb_make(t->scratch, sizeof t->scratch);
        cw_enc_sctp_data(&b, CW_SCTP_F_E, j->tsn, j->stream, j->ssn, j->ppid, j->data, j->len);
        rc = sctp_packet(t, c, j->dir, t->scratch, b.len);
        break;
    }
    default: rc = CW_EFULL; break;
    }
    job_release(t, j);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* SIP text (RFC 3261; SDP RFC 4566). Built with string and number appenders rather than
 * printf: this is most of the generator's time. */

struct sbuf {
    char *p;
    size_t len, cap; /* len == cap: overflowed (never with these sizes; the caller checks) */
};

static void sb_mem(struct sbuf *b, const char *s, size_t n)
{
    if (n > b->cap - b->len) {
        b->len = b->cap;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* Append NUL-terminated strings up to a NULL. */
static void sb_cat(struct sbuf *b, ...)
{
    va_list ap;
    va_start(ap, b);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        sb_mem(b, s, strlen(s));
    va_end(ap);
}

static void sb_u64(struct sbuf *b, uint64_t v)
{
    char t[20];
    int i = 20;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_mem(b, t + i, (size_t)(20 - i));
}

static void sb_hex(struct sbuf *b, uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    char t[16];
    for (int i = digits - 1; i >= 0; i--, v >>= 4)
        t[i] = hex[v & 15];
    sb_mem(b, t, (size_t)digits);
}

enum hdr {
    H_VIA,
    H_FROM,
    H_TO,
    H_CALLID,
    H_CSEQ,
    H_CTYPE,
    H_CLEN,
    H_CONTACT,
    H_MAXFWD,
    H_PAI,
    H_PANI
};

/* Header names in the three styles: full, compact (RFC 3261 section 7.3.3), lower case. */
static const char *const hdr_names[][3] = {
    [H_VIA] = {"Via", "v", "via"},
    [H_FROM] = {"From", "f", "from"},
    [H_TO] = {"To", "t", "to"},
    [H_CALLID] = {"Call-ID", "i", "call-id"},
    [H_CSEQ] = {"CSeq", "CSeq", "cseq"},
    [H_CTYPE] = {"Content-Type", "c", "content-type"},
    [H_CLEN] = {"Content-Length", "l", "content-length"},
    [H_CONTACT] = {"Contact", "m", "contact"},
    [H_MAXFWD] = {"Max-Forwards", "Max-Forwards", "max-forwards"},
    [H_PAI] = {"P-Asserted-Identity", "P-Asserted-Identity", "p-asserted-identity"},
    [H_PANI] = {"P-Access-Network-Info", "P-Access-Network-Info", "p-access-network-info"},
};

static void sb_hdr(struct sbuf *b, const struct txn *x, enum hdr h)
{
    /* the lower-case style also leaves out the optional space after the colon */
    sb_cat(b, hdr_names[h][x->style], x->style == 2 ? ":" : ": ", NULL);
}

static int is_cn_mobile(const struct party *pa)
{
    return strlen(pa->num) == 13 && pa->num[0] == '8' && pa->num[1] == '6';
}

/* The URI of a party in form @p form (0..19): 45% sip:+E164;user=phone, 20% tel:+E164,
 * 25% national sip: (Chinese mobile numbers only), 10% sip:+E164 without user=phone. */
static void sb_uri(struct sbuf *b, const struct party *pa, unsigned form)
{
    const char *dom = domains[pa->op];
    if (form >= 9 && form <= 12)
        sb_cat(b, "tel:+", pa->num, NULL);
    else if (form >= 13 && form <= 17 && is_cn_mobile(pa))
        sb_cat(b, "sip:", pa->num + 2, "@", dom, NULL);
    else if (form >= 18)
        sb_cat(b, "sip:+", pa->num, "@", dom, NULL);
    else
        sb_cat(b, "sip:+", pa->num, "@", dom, ";user=phone", NULL);
}

/* Addresses: P-CSCFs 10.20.0.1-8 (our subscribers; 8 is 2001:db8:20::8 over IPv6),
 * S-CSCFs 10.20.1.1-4 (2001:db8:21::1-4), IBCFs 10.30.0.1-2 (other operators), 10.40.0.1
 * (roaming interconnect). */
static void sip_addr(const struct txn *x, struct cw_pkt_addr *a)
{
    memset(a, 0, sizeof a[0]);
    unsigned core = (unsigned)((x->call_id >> 60) % 4);
    if (x->ipv6) {
        addr_v6(a, 0x20, 1u + x->from.node, 0x21, 1u + core);
    } else {
        uint8_t s[4] = {10, 20, 0, (uint8_t)(1 + x->from.node)};
        if (x->from.kind != PK_HOME) {
            s[1] = x->from.kind == PK_OFFNET ? 30 : 40;
            s[3] = (uint8_t)(1 + (x->from.kind == PK_FOREIGN ? 0 : x->from.node));
        }
        uint8_t d[4] = {10, 20, 1, (uint8_t)(1 + core)};
        addr_v4(a, s, d);
    }
    a->sport = 5060;
    a->dport = 5060;
    addr_macs(a);
}

/* An address as a SIP host: dotted IPv4 or a bracketed IPv6 reference. */
static void host_text(const struct cw_pkt_addr *a, int src, char out[48])
{
    const uint8_t *ip = src ? a->src : a->dst;
    if (a->ipver == 6)
        snprintf(out, 48, "[2001:db8:%x::%x]", (unsigned)(ip[4] << 8 | ip[5]),
                 (unsigned)(ip[14] << 8 | ip[15]));
    else
        snprintf(out, 48, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
}

/* Via, Max-Forwards, From, To (with its tag in a response), Call-ID, CSeq (of @p method). */
static void sb_common(struct sbuf *b, const struct txn *x, const char *via_host, int response,
                      const char *method)
{
    sb_hdr(b, x, H_VIA);
    sb_cat(b, x->tcp ? "SIP/2.0/TCP " : "SIP/2.0/UDP ", via_host, ":5060;branch=z9hG4bK", NULL);
    sb_hex(b, x->branch, 16);
    sb_cat(b, "\r\n", NULL);
    if (!response) {
        sb_hdr(b, x, H_MAXFWD);
        sb_cat(b, "70\r\n", NULL);
    }
    sb_hdr(b, x, H_FROM);
    int bare_tel = x->from_dn == 0 && x->from_form >= 9 && x->from_form <= 12 && (x->from_tag & 1);
    if (bare_tel) { /* addr-spec form: the ;tag is a header parameter */
        sb_uri(b, &x->from, x->from_form);
    } else {
        sb_cat(b, display_names[x->from_dn], "<", NULL);
        sb_uri(b, &x->from, x->from_form);
        sb_cat(b, ">", NULL);
    }
    sb_cat(b, ";tag=", NULL);
    sb_hex(b, x->from_tag >> 32, 8);
    sb_cat(b, "\r\n", NULL);
    sb_hdr(b, x, H_TO);
    sb_cat(b, display_names[x->to_dn], "<", NULL);
    sb_uri(b, &x->to, x->to_form);
    sb_cat(b, ">", NULL);
    if (response) {
        sb_cat(b, ";tag=", NULL);
        sb_hex(b, x->to_tag >> 32, 8);
    }
    sb_cat(b, "\r\n", NULL);
    sb_hdr(b, x, H_CALLID);
    sb_hex(b, x->call_id, 16);
    sb_cat(b, "@", via_host, "\r\n", NULL);
    sb_hdr(b, x, H_CSEQ);
    sb_u64(b, x->cseq);
    sb_cat(b, " ", method, "\r\n", NULL);
}

static void sb_pai(struct sbuf *b, const struct txn *x)
{
    const struct party *f = &x->from;
    const char *dom = domains[f->op];
    if (!x->pai)
        return;
    sb_hdr(b, x, H_PAI);
    switch (x->pai) {
    case 1: sb_cat(b, "<sip:+", f->num, "@", dom, ";user=phone>\r\n", NULL); break;
    case 2: sb_cat(b, "<tel:+", f->num, ">\r\n", NULL); break;
    case 3:
        sb_cat(b, "<sip:+", f->num, "@", dom, ";user=phone>, <tel:+", f->num, ">\r\n", NULL);
        break;
    case 4: /* two header fields */
        sb_cat(b, "<sip:+", f->num, "@", dom, ";user=phone>\r\n", NULL);
        sb_hdr(b, x, H_PAI);
        sb_cat(b, "<tel:+", f->num, ">\r\n", NULL);
        break;
    default:
        sb_cat(b, x->from_dn ? display_names[x->from_dn] : "\"Xiao Ming\" ", "<tel:+", f->num,
               ">\r\n", NULL);
        break;
    }
}

static size_t sdp_body(char *out, size_t cap, const struct txn *x, int answer)
{
    uint64_t sess = x->sess + (answer ? 1 : 0);
    unsigned a = (unsigned)(sess >> 8) & 0xff, c = ((unsigned)sess & 0xfe) | 1;
    int n = snprintf(out, cap,
                     "v=0\r\n"
                     "o=- %llu %llu IN IP4 10.%u.%u.%u\r\n"
                     "s=-\r\n"
                     "c=IN IP4 10.%u.%u.%u\r\n"
                     "t=0 0\r\n"
                     "m=audio %u RTP/AVP 96 8 0 101\r\n"
                     "a=rtpmap:96 AMR-WB/16000\r\n"
                     "a=rtpmap:8 PCMA/8000\r\n"
                     "a=rtpmap:0 PCMU/8000\r\n"
                     "a=rtpmap:101 telephone-event/16000\r\n"
                     "a=sendrecv\r\n",
                     (unsigned long long)sess, (unsigned long long)sess, answer ? 51 : 50, a, c,
                     answer ? 51 : 50, a, c, (unsigned)x->media_port + (answer ? 2u : 0u));
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* The SMS of a SIP MESSAGE as RP-DATA with an SMS-SUBMIT (TS 24.341): into t->body. */
static size_t sms3gpp_body(struct traffic *t, const struct txn *x, const char *text, size_t n)
{
    struct cw_enc_tpdu tp;
    memset(&tp, 0, sizeof tp);
    tp.submit = 1;
    tp.addr = x->to.num;
    tp.addr_intl = 1;
    tp.mr = (uint8_t)x->cseq;
    tp.text = text;
    tp.text_len = n;
    tp.dcs = CW_ENC_DCS_GSM7;
    size_t len = cw_enc_tpdu(&tp, t->scratch, sizeof t->scratch);
    if (!len) {
        tp.dcs = CW_ENC_DCS_UCS2;
        len = cw_enc_tpdu(&tp, t->scratch, sizeof t->scratch);
    }
    if (!len)
        return 0;
    return cw_enc_rp_data(1, (uint8_t)x->cseq, SC_ADDR, t->scratch, len, (uint8_t *)t->body,
                          sizeof t->body);
}

/* The request (@p status 0; the CANCEL when x->cancel) or a response (200, and for an INVITE
 * 180 or 487; a 200 to a cancelled INVITE's txn answers the CANCEL) as SIP text in
 * t->payload; returns its length (0: no room). */
static size_t sip_text(struct traffic *t, const struct txn *x, int status)
{
    int response = status != 0;
    int sdp = x->invite && !x->cancel && (status == 0 || status == 200);
    struct cw_pkt_addr a;
    char src[48], dst[48];
    sip_addr(x, &a);
    host_text(&a, 1, src);
    host_text(&a, 0, dst);
    size_t blen = 0;
    const char *ctype = NULL;
    if (sdp) {
        blen = sdp_body(t->body, sizeof t->body, x, response);
        ctype = "application/sdp";
    } else if (!x->invite && !response) {
        const char *tmpl = x->spam ? spam_texts[x->text] : normal_texts[x->text];
        char text[512];
        int n = x->ftext ? snprintf(text, sizeof text, "%s", x->ftext)
                         : snprintf(text, sizeof text, tmpl, x->text_arg, x->text_arg * 7919u);
        size_t tl = n < 0 || (size_t)n >= sizeof text ? 0 : (size_t)n;
        if (x->sms3gpp) {
            blen = sms3gpp_body(t, x, text, tl);
            ctype = "application/vnd.3gpp.sms";
        } else {
            memcpy(t->body, text, tl);
            blen = tl;
            ctype = "text/plain;charset=UTF-8";
        }
    }
    struct sbuf b = {t->payload, 0, sizeof t->payload};
    const char *method = x->invite ? "INVITE" : "MESSAGE";
    if (response) {
        sb_cat(&b,
               status == 180   ? "SIP/2.0 180 Ringing\r\n"
               : status == 487 ? "SIP/2.0 487 Request Terminated\r\n"
                               : "SIP/2.0 200 OK\r\n",
               NULL);
        if (x->cancel && status == 200)
            method = "CANCEL";
    } else {
        if (x->cancel)
            method = "CANCEL";
        sb_cat(&b, method, " ", NULL);
        if (x->sms3gpp) /* SMS over IP goes to the SMS centre; the TPDU names the recipient */
            sb_cat(&b, "sip:+", SC_ADDR, "@", domains[0], ";user=phone", NULL);
        else
            sb_uri(&b, &x->to, x->ruri_form);
        sb_cat(&b, " SIP/2.0\r\n", NULL);
    }
    sb_common(&b, x, src, response, method);
    if (!response) {
        sb_pai(&b, x);
        if (x->pani) { /* TS 24.229 7.2A.4: MCC, MNC, TAC (4 hex), ECI (7 hex) */
            sb_hdr(&b, x, H_PANI);
            sb_cat(&b, "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=460", "00", NULL);
            sb_hex(&b, x->tac, 4);
            sb_hex(&b, x->eci, 7);
            sb_cat(&b, "\r\n", NULL);
        }
    }
    int contact =
        (x->invite && !x->cancel && status != 487) || (!response && !x->invite && x->imei[0]);
    if (contact) {
        sb_hdr(&b, x, H_CONTACT);
        if (response)
            sb_cat(&b, "<sip:+", x->to.num, "@", dst, ":5060>", NULL);
        else
            sb_cat(&b, "<sip:+", x->from.num, "@", src, ":5060>", NULL);
        if (!response && x->imei[0]) { /* RFC 7255: the IMEI URN as the instance ID */
            char urn[32];
            snprintf(urn, sizeof urn, "%.8s-%.6s-%c", x->imei, x->imei + 8, x->imei[14]);
            sb_cat(&b, ";+sip.instance=\"<urn:gsma:imei:", urn, ">\"", NULL);
        }
        sb_cat(&b, "\r\n", NULL);
    }
    if (x->invite && !x->cancel && status != 487) {
        sb_cat(&b, "Allow: INVITE, ACK, CANCEL, BYE, UPDATE, PRACK, MESSAGE\r\n", NULL);
        if (!response)
            sb_cat(&b, "Supported: 100rel, timer\r\n", NULL);
    }
    if (ctype) {
        sb_hdr(&b, x, H_CTYPE);
        sb_cat(&b, ctype, "\r\n", NULL);
    }
    sb_hdr(&b, x, H_CLEN);
    sb_u64(&b, blen);
    sb_cat(&b, "\r\n\r\n", NULL);
    if (b.len >= b.cap || blen > b.cap - b.len)
        return 0;
    memcpy(b.p + b.len, t->body, blen);
    return b.len + blen;
}

/* ------------------------------------------------------------------------------------------ */
/* SIP exchanges. */

/* Every random detail of a SIP request from @p from (chosen when NULL). */
static void sip_txn(struct traffic *t, const struct party *from, int plain_udp, struct txn *x)
{
    const struct force *f = t->force;
    memset(x, 0, sizeof *x);
    if (from)
        x->from = *from;
    else
        pick_sender(t, &x->from);
    if (f && f->to)
        x->to = *f->to;
    else
        pick_receiver(t, &x->from, &x->to);
    int black = x->from.kind == PK_HOME && x->from.black;
    x->spam = black && rng_unit(t) < 0.7;
    x->invite = rng_unit(t) < 0.3;
    if (f) {
        x->invite = (uint8_t)f->invite;
        x->spam = 0;
        x->ftext = f->text;
    }
    x->ruri_form = (uint8_t)rng_below(t, 20);
    x->from_form = (uint8_t)rng_below(t, 20);
    x->to_form = rng_unit(t) < 0.8 ? x->ruri_form : (uint8_t)rng_below(t, 20);
    x->pai = rng_unit(t) < 0.4 ? (uint8_t)(1 + rng_below(t, 5)) : 0;
    double s = rng_unit(t);
    x->style = s < 0.15 ? 1 : s < 0.2 ? 2 : 0; /* 1 compact names, 2 lower-case names */
    x->from_dn = rng_unit(t) < 0.5 ? (uint8_t)rng_below(t, N_DN) : 0;
    x->to_dn = rng_unit(t) < 0.1 ? (uint8_t)rng_below(t, N_DN) : 0;
    x->text = (uint16_t)rng_below(t, x->spam ? N_SPAM_TEXTS : N_NORMAL_TEXTS);
    x->text_arg = (uint32_t)rng_range_u(t, 2, 59);
    x->cseq = (uint32_t)(1 + rng_below(t, 200));
    x->from_tag = cw_rng_next(&t->rng);
    x->to_tag = cw_rng_next(&t->rng);
    x->call_id = cw_rng_next(&t->rng);
    x->branch = cw_rng_next(&t->rng);
    x->sess = cw_rng_next(&t->rng) % 4000000000u;
    x->media_port = (uint16_t)(10000 + 2 * rng_below(t, 10000));
    int home = x->from.kind == PK_HOME;
    x->sms3gpp = home && !x->invite && chance(t, t->r.sip_3gpp);
    if (x->ftext && strlen(x->ftext) > 60) /* (a TPDU holds 140 octets) */
        x->sms3gpp = 0;
    /* Our subscribers' handsets: most requests say where they are (P-Access-Network-Info,
     * one of the card's few cells) and which handset they are (+sip.instance, the IMEI). */
    if (home) {
        double u = rng_unit(t), v = rng_unit(t);
        unsigned k = (unsigned)rng_below(t, 3);
        if (u < 0.8 || (f && f->cell)) {
            x->pani = 1;
            if (f && f->cell) {
                x->tac = f->tac;
                x->eci = f->eci;
            } else {
                card_cell(t, x->from.index, k, &x->tac, &x->eci);
            }
        }
        if (v < 0.75 || (f && f->imeisv)) {
            char sv[17];
            if (f && f->imeisv)
                memcpy(sv, f->imeisv, 17);
            else
                card_imeisv(t, x->from.index, sv);
            imei_of(sv, x->imei);
        }
    }
    if (!t->o->plain && home) {
        x->ipv6 = x->from.node == 7;
        x->tcp = !plain_udp && (x->from.node == 4 || x->from.node == 5);
    }
}

static void sip_count(struct traffic *t, const struct txn *x)
{
    if (x->cancel)
        t->st->call_cancels++;
    else if (x->invite)
        t->st->calls++;
    else
        count_sms(t, &x->from);
    if (x->sms3gpp)
        t->st->sip_3gpp_sms++;
}

/* VLAN tags: P-CSCF 4 sits on a tagged link (VLAN 123); the roaming interconnect behind QinQ
 * (S-tag 400, C-tag 41). */
static void sip_tags(struct traffic *t, const struct txn *x, struct cw_pkt_addr *a)
{
    if (t->o->plain)
        return;
    if (x->from.kind == PK_HOME && x->from.node == 3)
        a->vlan = (uint16_t)(120 + x->from.node);
    else if (x->from.kind == PK_FOREIGN) {
        a->vlan_outer = 400;
        a->vlan = 41;
    }
}

/* One SIP request now (and its 200 OK queued, sometimes). @p from: the sender, or NULL. */
static int sip_exchange(struct traffic *t, const struct party *from)
{
    struct txn x;
    sip_txn(t, from, from != NULL, &x);
    double answer = x.invite ? 0.8 : 0.6;
    uint64_t delay = rng_range_u(t, 1, 6);
    int respond = rng_unit(t) < answer;
    if (t->force && x.invite)
        respond = t->force->answer;
    if (x.tcp) {
        unsigned core = (unsigned)((x.call_id >> 60) % 4);
        struct conn *c = &t->conn[t->conn_of[P_SIP][(x.from.node - 4u) * 4u + core]];
        int rc = 0;
        if (c->state == CS_CLOSED)
            rc = conn_open(t, c);
        /* a second request from the same sender written with it, sometimes */
        struct txn y;
        int two = c->ready <= t->pkt && chance(t, t->r.tcp_multi);
        if (two) {
            sip_txn(t, &x.from, 0, &y);
            y.tcp = 1;
            y.ipv6 = 0;
            y.call_id = (y.call_id & ~(3ull << 60)) | (x.call_id & (3ull << 60));
        }
        size_t n = sip_text(t, &x, 0);
        if (!n)
            return CW_EFULL;
        memcpy(t->big, t->payload, n);
        size_t n2 = 0;
        if (two) {
            n2 = sip_text(t, &y, 0);
            if (!n2 || n + n2 > MSS) /* both in one segment */
                two = 0, n2 = 0;
            else
                memcpy(t->big + n, t->payload, n2);
        }
        uint64_t send_at = c->ready > t->pkt ? c->ready : t->pkt;
        sip_count(t, &x);
        if (two)
            sip_count(t, &y);
        /* tshark 4.0 does not reassemble SIP whose Content-Length is the compact "l:" */
        int may_split = x.style != 1 && (!two || y.style != 1);
        if (send_at > t->pkt) {
            struct job *j = queue_tcp(t, c, 0, t->big, n + n2, send_at, 1u + (unsigned)two, 0);
            if (j)
                j->nosplit = (uint8_t)!may_split;
        } else {
            count_msgs(t, P_SIP, 1u + (unsigned)two, 0);
            rc = tcp_send(t, c, 0, t->big, n + n2, 1u + (unsigned)two, may_split);
        }
        if (respond) {
            size_t r = sip_text(t, &x, 200);
            struct job *j =
                r ? queue_tcp(t, c, 1, (const uint8_t *)t->payload, r, send_at + delay, 0, 1)
                  : NULL;
            if (j)
                j->nosplit = x.style == 1;
            if (two && (r = sip_text(t, &y, 200)) != 0 &&
                (j = queue_tcp(t, c, 1, (const uint8_t *)t->payload, r, send_at + delay + 1, 0,
                               1)) != NULL)
                j->nosplit = y.style == 1;
        }
        return rc;
    }
    struct cw_pkt_addr a;
    sip_addr(&x, &a);
    sip_tags(t, &x, &a);
    size_t n = sip_text(t, &x, 0);
    if (!n)
        return CW_EFULL;
    sip_count(t, &x);
    count_msgs(t, P_SIP, 1, 0);
    int rc = send_udp(t, P_SIP, &a, t->payload, n, 0);
    struct cw_pkt_addr back;
    addr_reverse(&a, &back);
    if (respond) {
        size_t r = sip_text(t, &x, 200);
        if (r)
            queue_udp(t, P_SIP, &back, t->payload, r, delay, 1);
    } else if (t->force && x.invite) { /* it rings; the caller will give up */
        size_t r = sip_text(t, &x, 180);
        if (r)
            queue_udp(t, P_SIP, &back, t->payload, r, delay, 1);
    }
    return rc;
}

/* The CANCEL of the INVITE @p x made (a scripted step, over UDP as scripted requests go), its
 * 200 OK and the INVITE's 487. */
static int sip_cancel(struct traffic *t, struct txn *x)
{
    x->cancel = 1;
    struct cw_pkt_addr a;
    sip_addr(x, &a);
    sip_tags(t, x, &a);
    size_t n = sip_text(t, x, 0);
    if (!n)
        return CW_EFULL;
    sip_count(t, x);
    count_msgs(t, P_SIP, 1, 0);
    int rc = send_udp(t, P_SIP, &a, t->payload, n, 0);
    struct cw_pkt_addr back;
    addr_reverse(&a, &back);
    uint64_t delay = rng_range_u(t, 1, 4);
    size_t r = sip_text(t, x, 200);
    if (r)
        queue_udp(t, P_SIP, &back, t->payload, r, delay, 1);
    r = sip_text(t, x, 487);
    if (r)
        queue_udp(t, P_SIP, &back, t->payload, r, delay + 1, 1);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* SMS texts: the alphabet a text needs and its parts when it is longer than one SMS. */

enum { DC_GSM7 = 0, DC_LATIN1 = 3, DC_UCS2 = 8 };

static size_t make_text(struct traffic *t, const char *tmpl, char *out, size_t cap)
{
    unsigned a = (unsigned)rng_range_u(t, 2, 59);
    int n = snprintf(out, cap, tmpl, a, a * 7919u);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* GSM 7-bit when every character has a form there, else Latin-1 when allowed and enough,
 * else UCS-2. */
static int text_coding(const char *s, size_t n, int latin1_ok)
{
    uint8_t tmp[1024];
    if (cw_enc_gsm7(s, n, tmp, sizeof tmp) != (size_t)-1)
        return DC_GSM7;
    if (latin1_ok && cw_enc_latin1(s, n, tmp, sizeof tmp) != (size_t)-1)
        return DC_LATIN1;
    return DC_UCS2;
}

/* Units (septets or octets) a character costs in a coding. */
static size_t char_units(const char *s, size_t n, int coding)
{
    uint8_t tmp[8];
    if (coding == DC_GSM7)
        return cw_enc_gsm7(s, n, tmp, sizeof tmp);
    if (coding == DC_LATIN1)
        return 1;
    return cw_enc_ucs2(s, n, tmp, sizeof tmp);
}

#define MAX_PARTS 4

struct parts {
    unsigned n;
    size_t off[MAX_PARTS], len[MAX_PARTS];
};

/* Cut a text into SMS parts: one part when it fits @p single units, else parts of at most
 * @p part units (at character boundaries; an escape pair or a surrogate pair is never cut).
 * More than MAX_PARTS parts: the text is cut short. */
static void split_text(const char *s, size_t n, int coding, size_t single, size_t part,
                       struct parts *p)
{
    size_t total = 0;
    for (size_t i = 0; i < n;) {
        size_t cl = cw_enc_utf8_prefix(s + i, n - i, 1);
        total += char_units(s + i, cl, coding);
        i += cl;
    }
    p->n = 0;
    if (total <= single) {
        p->n = 1;
        p->off[0] = 0;
        p->len[0] = n;
        return;
    }
    size_t i = 0;
    while (i < n && p->n < MAX_PARTS) {
        size_t used = 0, start = i;
        while (i < n) {
            size_t cl = cw_enc_utf8_prefix(s + i, n - i, 1);
            size_t u = char_units(s + i, cl, coding);
            if (used + u > part)
                break;
            used += u;
            i += cl;
        }
        p->off[p->n] = start;
        p->len[p->n] = i - start;
        p->n++;
    }
}

/* Text in a coding as SMPP carries it (GSM 7-bit unpacked). Returns octets. */
static size_t encode_text(const char *s, size_t n, int coding, uint8_t *out, size_t cap)
{
    size_t r = coding == DC_GSM7     ? cw_enc_gsm7(s, n, out, cap)
               : coding == DC_LATIN1 ? cw_enc_latin1(s, n, out, cap)
                                     : cw_enc_ucs2(s, n, out, cap);
    return r == (size_t)-1 ? 0 : r;
}

static void count_text(struct traffic *t, const char *s, size_t n, int coding, unsigned parts)
{
    if (coding == DC_UCS2)
        t->st->sms_ucs2++;
    if (coding == DC_GSM7) {
        uint8_t tmp[1024];
        size_t k = cw_enc_gsm7(s, n, tmp, sizeof tmp);
        for (size_t i = 0; k != (size_t)-1 && i < k; i++)
            if (tmp[i] == 0x1B) {
                t->st->sms_gsm7_ext++;
                break;
            }
    }
    if (parts > 1)
        t->st->sms_concat++;
}

/* ------------------------------------------------------------------------------------------ */
/* SMPP 3.4 over TCP 2775: four ESME links to the SMS centre. */

enum {
    SMPP_LINKS_BUSINESS = 0x9, /* bankcn, alerts */
    SMPP_LINKS_CARDS = 0x4,    /* smsgw01 */
    SMPP_LINKS_TRX = 0x6,      /* the transceivers: shopmall, smsgw01 */
    SMPP_LINKS_ALL = 0xf,
};

/* The PDUs of one short message (several for a long one) appended to @p b; their sequence
 * numbers into @p seqs. Returns the number of PDUs. */
static unsigned smpp_sm(struct traffic *t, struct conn *c, uint32_t cmd, const struct party *src,
                        const struct party *dst, const char *text, size_t tlen, struct cw_wbuf *b,
                        uint32_t *seqs)
{
    int coding = text_coding(text, tlen, 1);
    if (coding == DC_GSM7 && chance(t, 0.1) &&
        cw_enc_latin1(text, tlen, t->scratch, 1024) != (size_t)-1)
        coding = DC_LATIN1; /* some ESMEs send plain ASCII as Latin-1 */
    int data_sm = cmd == CW_SMPP_DATA_SM;
    size_t single = coding == DC_GSM7 ? 160 : 140;
    size_t part = coding == DC_GSM7 ? 153 : coding == DC_LATIN1 ? 134 : 134;
    struct parts p;
    if (data_sm)
        p.n = 1, p.off[0] = 0, p.len[0] = tlen; /* message_payload: no 140-octet limit */
    else
        split_text(text, tlen, coding, single, part, &p);
    int sar = p.n > 1 && chance(t, 0.4);
    int payload = data_sm || (p.n == 1 && chance(t, 0.1));
    uint16_t ref = (uint16_t)rng_below(t, 256);
    unsigned npdu = 0;
    for (unsigned k = 0; k < p.n; k++) {
        uint8_t ud[1200];
        size_t h = 0;
        if (p.n > 1 && !sar) {
            uint8_t udh[6] = {5, 0, 3, (uint8_t)ref, (uint8_t)p.n, (uint8_t)(k + 1)};
            memcpy(ud, udh, 6);
            h = 6;
        }
        size_t ul = encode_text(text + p.off[k], p.len[k], coding, ud + h, sizeof ud - h);
        struct cw_enc_smpp_sm m;
        memset(&m, 0, sizeof m);
        m.cmd = cmd;
        m.seq = c->app_seq++;
        m.src = src->num;
        m.src_ton = src->kind == PK_NAME ? 5 : 1;
        m.src_npi = src->kind == PK_NAME ? 0 : 1;
        m.dst = dst->num;
        m.dst_ton = dst->kind == PK_NAME                                                        ? 5
                    : dst->kind == PK_HOME || dst->kind == PK_OFFNET || dst->kind == PK_FOREIGN ? 1
                                                                                                : 0;
        m.dst_npi = m.dst_ton == 1 ? 1 : 0;
        m.esm_class = h ? 0x40 : 0;
        m.data_coding = (uint8_t)coding;
        m.registered_delivery = cmd == CW_SMPP_DELIVER_SM ? 0 : 1;
        m.ud = ud;
        m.ud_len = h + ul;
        m.payload = payload;
        if (sar) {
            m.sar = 1;
            m.sar_ref = ref;
            m.sar_total = (uint8_t)p.n;
            m.sar_seq = (uint8_t)(k + 1);
        }
        size_t n = cw_enc_smpp_sm(&m, b->p + b->len, b->cap - b->len);
        if (!n) {
            b->err = 1;
            break;
        }
        b->len += n;
        seqs[npdu++] = m.seq;
        count_text(t, text + p.off[k], p.len[k], coding, p.n);
        count_sms(t, src);
    }
    return npdu;
}

/* One SMPP exchange; @p forced: a submit_sm of that sender (a card through the gateway, or a
 * business), to and with the text t->force says when set. */
static int smpp_exchange(struct traffic *t, const struct party *forced, int *sent)
{
    const struct force *f = forced ? t->force : NULL;
    double u = forced ? (forced->kind == PK_NAME ? 0.2 : 0.5) : rng_unit(t);
    unsigned links = u < 0.40   ? SMPP_LINKS_BUSINESS
                     : u < 0.60 ? SMPP_LINKS_CARDS
                     : u < 0.88 ? SMPP_LINKS_TRX
                                : SMPP_LINKS_ALL;
    int rc = 0;
    struct conn *c = pick_link(t, P_SMPP, links, &rc);
    if (!c)
        return rc;
    if (u >= 0.88) { /* enquire_link and its response */
        uint32_t seq = c->app_seq++;
        size_t n = cw_enc_smpp_simple(CW_SMPP_ENQUIRE_LINK, 0, seq, NULL, t->msg[0], 64);
        count_msgs(t, P_SMPP, 1, 0);
        rc = tcp_send(t, c, 0, t->msg[0], n, 1, 0);
        n = cw_enc_smpp_simple(CW_SMPP_ENQUIRE_LINK | CW_SMPP_RESP, 0, seq, NULL, t->msg[1], 64);
        queue_tcp(t, c, 1, t->msg[1], n, t->pkt + rng_range_u(t, 1, 4), 0, 1);
        return rc;
    }
    uint32_t cmd = u < 0.60 ? CW_SMPP_SUBMIT_SM : u < 0.80 ? CW_SMPP_DELIVER_SM : CW_SMPP_DATA_SM;
    int dir = cmd == CW_SMPP_DELIVER_SM; /* the SMSC delivers towards the ESME */
    struct cw_wbuf b = cw_wb_make(t->big, sizeof t->big);
    uint32_t seqs[16];
    unsigned npdu = 0;
    unsigned batch = !forced && chance(t, t->r.tcp_multi) ? (unsigned)rng_range_u(t, 2, 3) : 1;
    for (unsigned i = 0; i < batch && npdu + MAX_PARTS <= 16 && !b.err; i++) {
        struct party src, dst;
        char text[1024];
        size_t tl;
        if (u < 0.40 || cmd == CW_SMPP_DATA_SM) { /* a business to one of our cards */
            if (forced)
                src = *forced;
            else
                party_name(t, &src);
            if (f && f->to)
                dst = *f->to;
            else if (!pick_card(t, &dst))
                party_offnet(t, &dst);
            tl = make_text(t, business_texts[rng_below(t, N_BUSINESS_TEXTS)], text, sizeof text);
        } else if (cmd == CW_SMPP_SUBMIT_SM) { /* a card's message through the gateway */
            if (forced)
                src = *forced;
            else if (!pick_card(t, &src))
                party_offnet(t, &src);
            if (f && f->to)
                dst = *f->to;
            else
                pick_receiver(t, &src, &dst);
            int spam = src.kind == PK_HOME && src.black && chance(t, 0.7);
            tl = make_text(t,
                           spam ? spam_texts[rng_below(t, N_SPAM_TEXTS)]
                                : normal_texts[rng_below(t, N_NORMAL_TEXTS)],
                           text, sizeof text);
        } else { /* a card's reply to a business number, delivered to the ESME */
            if (!pick_card(t, &src))
                party_offnet(t, &src);
            memset(&dst, 0, sizeof dst);
            snprintf(dst.num, sizeof dst.num, "10690%05u", (unsigned)rng_below(t, 100000));
            dst.kind = PK_SERVICE; /* a service number: TON unknown */
            tl = make_text(t, normal_texts[rng_below(t, N_NORMAL_TEXTS)], text, sizeof text);
        }
        if (f && f->text) {
            int k = snprintf(text, sizeof text, "%s", f->text);
            tl = k < 0 || (size_t)k >= sizeof text ? 0 : (size_t)k;
        }
        npdu += smpp_sm(t, c, cmd, &src, &dst, text, tl, &b, seqs + npdu);
    }
    if (b.err || !npdu)
        return CW_EFULL;
    uint64_t delay = rng_range_u(t, 1, 5);
    int answer = chance(t, 0.97);
    if (t->o->plain && npdu > 1) {
        /* one PDU per segment: the first now, the others in the next packets */
        size_t first = (size_t)b.p[0] << 24 | (size_t)b.p[1] << 16 | (size_t)b.p[2] << 8 | b.p[3];
        count_msgs(t, P_SMPP, 1, 0);
        rc = tcp_send(t, c, dir, b.p, first, 1, 0);
        for (size_t off = first, k = 1; off < b.len; k++) {
            size_t len = (size_t)b.p[off] << 24 | (size_t)b.p[off + 1] << 16 |
                         (size_t)b.p[off + 2] << 8 | b.p[off + 3];
            queue_tcp(t, c, dir, b.p + off, len, t->pkt + k, 1, 0);
            off += len;
        }
        delay += npdu;
    } else {
        count_msgs(t, P_SMPP, npdu, 0);
        rc = tcp_send(t, c, dir, b.p, b.len, npdu, 1);
    }
    if (sent)
        *sent = 1;
    /* the responses, together (one by one with --plain) */
    struct cw_wbuf r = cw_wb_make(t->scratch, 2048);
    for (unsigned i = 0; i < npdu; i++) {
        char id[20];
        snprintf(id, sizeof id, "%08x", (unsigned)cw_rng_next(&t->rng));
        size_t n =
            cw_enc_smpp_simple(cmd | CW_SMPP_RESP, 0, seqs[i], cmd == CW_SMPP_DELIVER_SM ? "" : id,
                               r.p + r.len, r.cap - r.len);
        if (answer && t->o->plain)
            queue_tcp(t, c, !dir, r.p + r.len, n, t->pkt + delay + i, 0, 1);
        r.len += n;
    }
    if (answer && !t->o->plain)
        queue_tcp(t, c, !dir, r.p, r.len, t->pkt + delay, 0, npdu);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* MAP over M3UA / SCCP / TCAP, SCTP port 2905 (PPID 3): associations of the MSC/VLR (0), the
 * SMS centre (1) and a second MSC/VLR over IPv6 (2) with the STP. */

enum { MAP_LINKS_MSC = 0x5, MAP_LINKS_SMSC = 0x2 };

static const uint32_t map_opc[3] = {101, 102, 103};
#define PC_STP 200

/* A TPDU for MAP: at most 100 octets of user data so that the TCAP message fits a UDT. */
static size_t map_tpdu(struct traffic *t, int submit, const struct party *other, const char *text,
                       size_t tl, int coding, int concat, uint8_t ref, uint8_t total, uint8_t seq,
                       uint8_t *out, size_t cap)
{
    struct cw_enc_tpdu tp;
    memset(&tp, 0, sizeof tp);
    tp.submit = submit;
    tp.addr = other->num;
    tp.addr_intl = other->kind != PK_NAME;
    tp.addr_alnum = other->kind == PK_NAME;
    tp.mr = (uint8_t)rng_below(t, 256);
    tp.dcs = coding == DC_UCS2 ? CW_ENC_DCS_UCS2 : CW_ENC_DCS_GSM7;
    tp.text = text;
    tp.text_len = tl;
    tp.concat = concat;
    tp.ref = ref;
    tp.total = total;
    tp.seq = seq;
    /* service centre time stamp: the packet time, UTC+8 */
    uint64_t s = t->ts_us / 1000000u + 8 * 3600;
    unsigned v[6] = {26,
                     3,
                     1 + (unsigned)((s - CW_SYNTH_T0) / 86400) % 28,
                     (unsigned)(s / 3600 % 24),
                     (unsigned)(s / 60 % 60),
                     (unsigned)(s % 60)};
    for (int i = 0; i < 6; i++)
        tp.scts[i] = (uint8_t)((v[i] % 10) << 4 | v[i] / 10);
    tp.scts[6] = 0x23; /* +32 quarter hours */
    return cw_enc_tpdu(&tp, out, cap);
}

/* One MAP dialogue: its Begin into @p out (M3UA DATA), its End queued; @p stream gets the
 * SCTP stream. Returns the Begin's length, 0 on failure. */
static size_t map_dialogue(struct traffic *t, struct conn *c, struct cw_enc_map_arg *a, int ac,
                           const char *cdpa, uint8_t cdpa_ssn, const char *cgpa, uint8_t cgpa_ssn,
                           uint8_t *out, size_t cap, uint16_t *stream)
{
    uint8_t param[400], tcap[400], sccp[400];
    size_t pl = cw_enc_map_arg(a, param, sizeof param);
    if (!pl)
        return 0;
    uint32_t otid = (uint32_t)cw_rng_next(&t->rng);
    int invoke = (int)rng_range_u(t, 1, 127);
    size_t tl =
        cw_enc_tcap_begin(otid, ac, a->version, invoke, a->op, param, pl, tcap, sizeof tcap);
    struct cw_enc_sccp s = {(uint8_t)(rng_below(t, 2) | (chance(t, 0.3) ? 0x80 : 0)), cdpa, cgpa,
                            cdpa_ssn, cgpa_ssn};
    size_t sl = tl ? cw_enc_sccp_udt(&s, tcap, tl, sccp, sizeof sccp) : 0;
    uint8_t ni = c->sub == 2 ? 0 : 2;
    uint8_t sls = (uint8_t)rng_below(t, 16);
    size_t ml =
        sl ? cw_enc_m3ua_data(map_opc[c->sub], PC_STP, 3, ni, 0, sls, sccp, sl, out, cap) : 0;
    if (!ml)
        return 0;
    *stream = (uint16_t)(1 + sls % 3);
    if (chance(t, 0.96)) { /* the End, from the other side */
        size_t rl = cw_enc_map_res(a, param, sizeof param);
        size_t el =
            cw_enc_tcap_end(otid, ac, a->version, invoke, a->op, param, rl, tcap, sizeof tcap);
        struct cw_enc_sccp r = {s.pclass & 1, cgpa, cdpa, cgpa_ssn, cdpa_ssn};
        sl = el ? cw_enc_sccp_udt(&r, tcap, el, sccp, sizeof sccp) : 0;
        size_t n = sl ? cw_enc_m3ua_data(PC_STP, map_opc[c->sub], 3, ni, 0, sls, sccp, sl,
                                         t->scratch2, sizeof t->scratch2)
                      : 0;
        if (n)
            queue_sctp(t, c, 1, t->scratch2, n, *stream, t->pkt + rng_range_u(t, 1, 6), 0, 1);
    }
    return ml;
}

/* The Begins of MAP dialogues of kind @p kind into t->msg[first ...] (at most @p room; several
 * for a long message), their streams into @p streams[first ...]; returns how many. */
static unsigned map_invokes(struct traffic *t, struct conn *c, unsigned kind,
                            const struct party *forced, unsigned first, unsigned room,
                            uint16_t *streams)
{
    struct cw_enc_map_arg a;
    memset(&a, 0, sizeof a);
    struct party card, other;
    char imsi[16], imeisv[17], imei[16], text[1024];
    if (forced)
        card = *forced;
    else if (!pick_card(t, &card)) /* (a population of black cards only) */
        party_card(t, rng_below(t, t->pop->cards), &card);
    card_imsi(t, card.index, imsi);
    const char *msc = c->sub == 2 ? GT_MSC2 : GT_MSC, *vlr = c->sub == 2 ? GT_VLR2 : GT_VLR;
    unsigned n = 0;
    size_t len;
    switch (kind) {
    case 0: /* mo-forwardSM v3 (MAP v2 forwardSM sometimes): one of our cards sends */
    case 1: {
        int v2 = kind == 1;
        pick_receiver(t, &card, &other);
        int spam = card.black && chance(t, 0.7);
        size_t tl = make_text(t,
                              spam ? spam_texts[rng_below(t, N_SPAM_TEXTS)]
                                   : normal_texts[rng_below(t, N_NORMAL_TEXTS)],
                              text, sizeof text);
        int coding = text_coding(text, tl, 0);
        struct parts p;
        split_text(text, tl, coding, coding == DC_GSM7 ? 110 : 100, coding == DC_GSM7 ? 100 : 92,
                   &p);
        uint8_t ref = (uint8_t)rng_below(t, 256);
        for (unsigned k = 0; k < p.n && n < room; k++) {
            uint8_t tpdu[200];
            size_t pl = map_tpdu(t, 1, &other, text + p.off[k], p.len[k], coding, p.n > 1, ref,
                                 (uint8_t)p.n, (uint8_t)(k + 1), tpdu, sizeof tpdu);
            a.op = CW_MAP_OP_MO_FSM;
            a.version = v2 ? 2 : 3;
            a.sc = SC_ADDR;
            a.msisdn = card.num;
            a.imsi = imsi;
            a.mo_imsi = chance(t, 0.6);
            a.tpdu = tpdu;
            a.tpdu_len = pl;
            len =
                pl ? map_dialogue(t, c, &a, CW_MAP_AC_SHORT_MSG_MO_RELAY, GT_SMSC, 8, msc, 8,
                                  t->msg[first + n], sizeof t->msg[first + n], &streams[first + n])
                   : 0;
            if (!len)
                return n;
            t->msg_len[first + n++] = len;
            count_text(t, text + p.off[k], p.len[k], coding, p.n);
            count_sms(t, &card);
        }
        return n;
    }
    case 2: /* sendRoutingInfoForSM: the SMS centre asks the HLR where a card is */
        a.op = CW_MAP_OP_SRI_SM;
        a.version = 3;
        a.msisdn = card.num;
        a.sc = SC_ADDR;
        a.imsi = imsi;
        a.msc = msc;
        len = map_dialogue(t, c, &a, CW_MAP_AC_SHORT_MSG_GATEWAY, GT_HLR, 6, GT_SMSC, 8,
                           t->msg[first], sizeof t->msg[first], &streams[first]);
        break;
    case 3: { /* mt-forwardSM: the SMS centre delivers to one of our cards */
        double u = rng_unit(t);
        const char *tmpl;
        if (u < 0.35) {
            party_name(t, &other);
            tmpl = business_texts[rng_below(t, N_BUSINESS_TEXTS)];
        } else {
            pick_sender(t, &other);
            tmpl = other.kind == PK_HOME && other.black && chance(t, 0.7)
                       ? spam_texts[rng_below(t, N_SPAM_TEXTS)]
                       : normal_texts[rng_below(t, N_NORMAL_TEXTS)];
        }
        size_t tl = make_text(t, tmpl, text, sizeof text);
        int coding = text_coding(text, tl, 0);
        struct parts p;
        split_text(text, tl, coding, coding == DC_GSM7 ? 110 : 100, coding == DC_GSM7 ? 100 : 92,
                   &p);
        uint8_t ref = (uint8_t)rng_below(t, 256);
        for (unsigned k = 0; k < p.n && n < room; k++) {
            uint8_t tpdu[200];
            size_t pl = map_tpdu(t, 0, &other, text + p.off[k], p.len[k], coding, p.n > 1, ref,
                                 (uint8_t)p.n, (uint8_t)(k + 1), tpdu, sizeof tpdu);
            a.op = CW_MAP_OP_MT_FSM;
            a.version = 3;
            a.sc = SC_ADDR;
            a.imsi = imsi;
            a.more_msgs = k + 1 < p.n;
            a.tpdu = tpdu;
            a.tpdu_len = pl;
            len =
                pl ? map_dialogue(t, c, &a, CW_MAP_AC_SHORT_MSG_MT_RELAY, GT_MSC, 8, GT_SMSC, 8,
                                  t->msg[first + n], sizeof t->msg[first + n], &streams[first + n])
                   : 0;
            if (!len)
                return n;
            t->msg_len[first + n++] = len;
            count_text(t, text + p.off[k], p.len[k], coding, p.n);
            count_sms(t, &other);
        }
        return n;
    }
    case 4: /* updateLocation: the VLR tells the HLR where the card is */
        a.op = CW_MAP_OP_UPDATE_LOCATION;
        a.version = 3;
        a.imsi = imsi;
        a.msc = msc;
        a.vlr = vlr;
        a.hlr = GT_HLR;
        len = map_dialogue(t, c, &a, CW_MAP_AC_NETWORK_LOC_UP, GT_HLR, 6, vlr, 7, t->msg[first],
                           sizeof t->msg[first], &streams[first]);
        break;
    case 5: /* sendAuthenticationInfo */
        a.op = CW_MAP_OP_SAI;
        a.version = chance(t, 0.7) ? 3 : 2;
        a.imsi = imsi;
        a.nvec = (int)rng_range_u(t, 1, 5);
        len = map_dialogue(t, c, &a, CW_MAP_AC_INFO_RETRIEVAL, GT_HLR, 6, vlr, 7, t->msg[first],
                           sizeof t->msg[first], &streams[first]);
        break;
    default: /* checkIMEI: the MSC asks the EIR about the handset */
        card_imeisv(t, card.index, imeisv);
        cw_enc_imei15(imeisv, imei);
        a.op = CW_MAP_OP_CHECK_IMEI;
        a.version = chance(t, 0.6) ? 3 : 2;
        a.imei = imei;
        len = map_dialogue(t, c, &a, CW_MAP_AC_EQUIPMENT_MNGT, GT_EIR, 9, msc, 8, t->msg[first],
                           sizeof t->msg[first], &streams[first]);
        break;
    }
    if (!len)
        return 0;
    t->msg_len[first] = len;
    return 1;
}

static int map_exchange(struct traffic *t, const struct party *forced, int *sent)
{
    /* kinds: 0 MO v3 30%, 1 MO v2 5%, 2 SRI-SM 15%, 3 MT 15%, 4 UL 12%, 5 SAI 13%, 6 IMEI 10% */
    static const double cum[7] = {0.30, 0.35, 0.50, 0.65, 0.77, 0.90, 1.0};
    double u = forced ? 0.0 : rng_unit(t);
    unsigned kind = 0;
    while (kind < 6 && u >= cum[kind])
        kind++;
    int smsc = kind == 2 || kind == 3;
    int rc = 0;
    struct conn *c = pick_link(t, P_MAP, smsc ? MAP_LINKS_SMSC : MAP_LINKS_MSC, &rc);
    if (!c)
        return rc;
    uint16_t streams[4];
    unsigned n = map_invokes(t, c, kind, forced, 0, 4, streams);
    if (!smsc && !forced && n == 1 && chance(t, t->r.sctp_bundle)) {
        /* more dialogues of the MSC/VLR in the same packet */
        unsigned more = (unsigned)rng_range_u(t, 1, 2);
        for (unsigned i = 0; i < more && n < 4; i++) {
            double v = rng_unit(t);
            unsigned k2 = v < 0.4 ? 0 : v < 0.6 ? 4 : v < 0.8 ? 5 : 6;
            n += map_invokes(t, c, k2, NULL, n, 1, streams);
        }
    }
    if (!n)
        return CW_EFULL;
    const uint8_t *m[4];
    for (unsigned i = 0; i < n; i++)
        m[i] = t->msg[i];
    if (t->o->plain && n > 1) { /* one DATA chunk per packet: the other parts follow */
        for (unsigned i = 1; i < n; i++)
            queue_sctp(t, c, 0, t->msg[i], t->msg_len[i], streams[i], t->pkt + i, 1, 0);
        n = 1;
    }
    count_msgs(t, P_MAP, n, 0);
    rc = sctp_send(t, c, 0, n, m, t->msg_len, streams, n == 1);
    if (sent)
        *sent = 1;
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Diameter: S6a (links 0 TCP, 1 SCTP), Gx (2 TCP), SGd (3 SCTP, 4 TCP). */

enum { DIA_LINKS_S6A = 0x3, DIA_LINKS_GX = 0x4, DIA_LINKS_SGD = 0x18 };

static const uint8_t home_plmn[3] = {0x64, 0xf0, 0x00}; /* MCC 460, MNC 00 */

/* One request of @p cmd into @p out (its answer queued); 0 on failure. */
static size_t dia_request(struct traffic *t, struct conn *c, uint32_t cmd,
                          const struct party *forced, uint8_t *out, size_t cap, uint8_t *ans,
                          size_t *ans_len)
{
    struct party card, other;
    char imsi[16], imeisv[17], session[96], text[1024];
    uint8_t tpdu[200];
    if (forced)
        card = *forced;
    else if (!pick_card(t, &card))
        party_card(t, rng_below(t, t->pop->cards), &card);
    card_imsi(t, card.index, imsi);
    card_imeisv(t, card.index, imeisv);
    struct cw_enc_dia m;
    memset(&m, 0, sizeof m);
    dia_peer(c, &m);
    m.hbh = c->app_seq++;
    m.e2e = (uint32_t)cw_rng_next(&t->rng);
    snprintf(session, sizeof session, "%s;%u;%u", m.origin_host,
             (unsigned)(cw_rng_next(&t->rng) >> 40), (unsigned)rng_below(t, 1000000));
    m.session = session;
    m.imsi = imsi;
    memcpy(m.plmn, home_plmn, 3);
    m.sc = SC_ADDR;
    switch (cmd) {
    case CW_DIA_CMD_UL: m.imeisv = chance(t, 0.85) ? imeisv : NULL; break;
    case CW_DIA_CMD_CC:
        m.msisdn = chance(t, 0.9) ? card.num : NULL;
        m.imsi = chance(t, 0.8) ? imsi : NULL;
        m.cc_type = (uint32_t)(chance(t, 0.5) ? 1 : chance(t, 0.6) ? 2 : 3);
        m.cc_number = m.cc_type == 1 ? 0 : (uint32_t)rng_range_u(t, 1, 20);
        m.imeisv = chance(t, 0.8) ? imeisv : NULL;
        m.apn = apns[rng_below(t, 4)];
        m.framed_ip[0] = 100;
        m.framed_ip[1] = (uint8_t)(64 + rng_below(t, 64));
        m.framed_ip[2] = (uint8_t)rng_below(t, 256);
        m.framed_ip[3] = (uint8_t)(1 + rng_below(t, 254));
        break;
    case CW_DIA_CMD_OFR:
    case CW_DIA_CMD_TFR: {
        int mo = cmd == CW_DIA_CMD_OFR;
        const char *tmpl;
        if (mo) {
            pick_receiver(t, &card, &other);
            tmpl = card.black && chance(t, 0.7) ? spam_texts[rng_below(t, N_SPAM_TEXTS)]
                                                : normal_texts[rng_below(t, N_NORMAL_TEXTS)];
        } else {
            pick_sender(t, &other);
            tmpl = normal_texts[rng_below(t, N_NORMAL_TEXTS)];
        }
        size_t tl = make_text(t, tmpl, text, sizeof text);
        int coding = text_coding(text, tl, 0);
        struct parts p;
        split_text(text, tl, coding, 160, 140, &p); /* short texts: one part */
        m.tpdu_len = map_tpdu(t, mo, &other, text, p.len[0], coding, 0, 0, 0, 0, tpdu, sizeof tpdu);
        m.tpdu = tpdu;
        m.msisdn = card.num;
        m.sgd_no_msisdn = !mo && chance(t, 0.5);
        count_text(t, text, p.len[0], coding, 1);
        count_sms(t, mo ? &card : &other);
        break;
    }
    default: break;
    }
    size_t n = cw_enc_dia_request(cmd, &m, out, cap);
    if (n && ans)
        *ans_len = cw_enc_dia_answer(cmd, &m, 2001, ans, 1024);
    return n;
}

static int dia_exchange(struct traffic *t, const struct party *forced, int *sent)
{
    static const uint32_t cmds[5] = {CW_DIA_CMD_UL, CW_DIA_CMD_AI, CW_DIA_CMD_CC, CW_DIA_CMD_OFR,
                                     CW_DIA_CMD_TFR};
    static const double cum[5] = {0.20, 0.40, 0.75, 0.90, 1.0};
    double u = forced ? 0.8 : rng_unit(t);
    unsigned k = 0;
    while (k < 4 && u >= cum[k])
        k++;
    unsigned links = k < 2 ? DIA_LINKS_S6A : k == 2 ? DIA_LINKS_GX : DIA_LINKS_SGD;
    int rc = 0;
    struct conn *c = pick_link(t, P_DIA, links, &rc);
    if (!c)
        return rc;
    unsigned nmsg = !forced && !c->sctp && chance(t, t->r.tcp_multi) ? 2 : 1;
    struct cw_wbuf b = cw_wb_make(t->msg[0], sizeof t->msg[0]);
    struct cw_wbuf a = cw_wb_make(t->msg[2], sizeof t->msg[2]);
    unsigned got = 0;
    for (unsigned i = 0; i < nmsg; i++) {
        size_t al = 0;
        if (a.cap - a.len < 1024)
            break;
        size_t n = dia_request(t, c, cmds[k], i ? NULL : forced, b.p + b.len, b.cap - b.len,
                               a.p + a.len, &al);
        if (!n)
            break;
        b.len += n;
        a.len += al;
        got++;
    }
    if (!got)
        return CW_EFULL;
    count_msgs(t, P_DIA, got, 0);
    if (c->sctp) {
        const uint8_t *m = b.p;
        uint16_t s = (uint16_t)rng_below(t, 4);
        rc = sctp_send(t, c, 0, 1, &m, &b.len, &s, 1);
        if (a.len)
            queue_sctp(t, c, 1, a.p, a.len, s, t->pkt + rng_range_u(t, 1, 5), 0, 1);
    } else {
        rc = tcp_send(t, c, 0, b.p, b.len, got, 1);
        if (a.len)
            queue_tcp(t, c, 1, a.p, a.len, t->pkt + rng_range_u(t, 1, 5), 0, got);
    }
    if (sent)
        *sent = 1;
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* GTP-C over UDP 2123: S11 (MME to SGW, GTPv2-C; some over IPv6) and Gn (SGSN to GGSN,
 * GTPv1-C; the roaming SGSN's path has a small MTU, its datagrams are fragmented). */

/* One GTP exchange; @p forced: a scripted Create Session Request of that card (MSISDN and MEI
 * always, the handset and cell t->force says). */
static int gtp_exchange(struct traffic *t, const struct party *forced)
{
    struct party card;
    char imsi[16], imeisv[17];
    if (forced)
        card = *forced;
    else if (!pick_card(t, &card))
        party_card(t, rng_below(t, t->pop->cards), &card);
    card_imsi(t, card.index, imsi);
    card_imeisv(t, card.index, imeisv);
    const struct force *f = forced ? t->force : NULL;
    if (f && f->imeisv)
        memcpy(imeisv, f->imeisv, 17);
    double u = forced ? 0.0 : rng_unit(t);
    int v1 = u >= 0.75, mbr = u >= 0.5 && u < 0.75;
    struct cw_enc_gtp g;
    memset(&g, 0, sizeof g);
    g.seq = (uint32_t)rng_below(t, v1 ? 65536 : 1u << 23);
    g.imsi = imsi;
    g.msisdn = card.num;
    g.imeisv = chance(t, mbr ? 0.15 : 0.8) || forced ? imeisv : NULL;
    g.apn = apns[rng_below(t, 4)];
    memcpy(g.plmn, home_plmn, 3);
    card_cell(t, card.index, (unsigned)rng_below(t, 3), &g.tac, &g.eci); /* the ULI's cell */
    if (f && f->cell) {
        g.tac = f->tac;
        g.eci = f->eci;
    }
    /* GTPv1: the same sites' 2G/3G cells, the province in the LAC's first byte (so the CGI
     * "46000-<LAC>-<CI>" begins as the E-UTRAN cells of the province do) */
    g.lac = (uint16_t)((g.eci >> 20) << 8 | (g.tac & 0xff));
    g.rac = (uint8_t)rng_below(t, 256);
    g.ci = (uint16_t)g.eci;
    g.teid_c = (uint32_t)cw_rng_next(&t->rng) | 1u;
    g.teid_u = (uint32_t)cw_rng_next(&t->rng) | 1u;
    g.ebi = 5;
    g.rat = v1 ? 1 : 6;
    struct cw_pkt_addr a;
    memset(&a, 0, sizeof a);
    int ipv6 = !v1 && !t->o->plain && chance(t, 0.2);
    int roaming = v1 && chance(t, 0.4);
    if (ipv6) {
        addr_v6(&a, 0x80, 1 + (unsigned)rng_below(t, 2), 0x81, 1);
    } else {
        uint8_t s[4] = {10, (uint8_t)(v1 ? (roaming ? 82 : 81) : 80), 0,
                        (uint8_t)(1 + rng_below(t, 2))};
        uint8_t d[4] = {10, (uint8_t)(v1 ? 81 : 80), 1, 1};
        addr_v4(&a, s, d);
    }
    memcpy(g.addr_c, a.ipver == 4 ? a.src : a.src + 12, 4);
    memcpy(g.addr_u, a.ipver == 4 ? a.dst : a.dst + 12, 4);
    a.sport = 2123;
    a.dport = 2123;
    addr_macs(&a);
    if (roaming && !t->o->plain)
        a.vlan = 800;
    int frag = chance(t, roaming ? 3 * t->r.frag : t->r.frag / 2);
    size_t n;
    if (v1) {
        n = cw_enc_gtpv1_cpdp(&g, t->msg[0], sizeof t->msg[0]);
    } else if (mbr) {
        g.teid = (uint32_t)cw_rng_next(&t->rng) | 1u;
        n = cw_enc_gtpv2_mbr(&g, t->msg[0], sizeof t->msg[0]);
    } else {
        n = cw_enc_gtpv2_csr(&g, t->msg[0], sizeof t->msg[0]);
    }
    if (!n)
        return CW_EFULL;
    count_msgs(t, P_GTP, 1, 0);
    int rc = send_udp(t, P_GTP, &a, t->msg[0], n, frag);
    if (chance(t, 0.95)) {
        struct cw_enc_gtp r = g;
        r.teid = g.teid_c;
        r.teid_c = (uint32_t)cw_rng_next(&t->rng) | 1u;
        r.teid_u = (uint32_t)cw_rng_next(&t->rng) | 1u;
        memcpy(r.addr_c, g.addr_u, 4);
        r.ue_ip[0] = 100;
        r.ue_ip[1] = (uint8_t)(64 + rng_below(t, 64));
        r.ue_ip[2] = (uint8_t)rng_below(t, 256);
        r.ue_ip[3] = (uint8_t)(1 + rng_below(t, 254));
        size_t rn = v1    ? cw_enc_gtpv1_cpdp_rsp(&r, t->msg[1], sizeof t->msg[1])
                    : mbr ? cw_enc_gtpv2_mbrsp(&r, t->msg[1], sizeof t->msg[1])
                          : cw_enc_gtpv2_csrsp(&r, t->msg[1], sizeof t->msg[1]);
        struct cw_pkt_addr back;
        addr_reverse(&a, &back);
        if (rn)
            queue_udp(t, P_GTP, &back, t->msg[1], rn, rng_range_u(t, 1, 5), 1);
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* RADIUS accounting on UDP 1813, from the PGW/GGSN to the AAA server. */

static int radius_exchange(struct traffic *t)
{
    struct party card;
    char imsi[16], imeisv[17], session[24];
    if (!pick_card(t, &card))
        party_card(t, rng_below(t, t->pop->cards), &card);
    card_imsi(t, card.index, imsi);
    card_imeisv(t, card.index, imeisv);
    struct cw_enc_radius r;
    memset(&r, 0, sizeof r);
    double u = rng_unit(t);
    r.id = (uint8_t)rng_below(t, 256);
    r.status = u < 0.4 ? 1 : u < 0.8 ? 3 : 2;
    r.calling = card.num;
    r.called = apns[rng_below(t, 4)];
    r.imsi = chance(t, 0.9) ? imsi : NULL;
    r.imeisv = chance(t, 0.8) ? imeisv : NULL;
    snprintf(session, sizeof session, "%08X", (unsigned)cw_rng_next(&t->rng));
    r.session = session;
    r.framed_ip[0] = 100;
    r.framed_ip[1] = (uint8_t)(64 + rng_below(t, 64));
    r.framed_ip[2] = (uint8_t)rng_below(t, 256);
    r.framed_ip[3] = (uint8_t)(1 + rng_below(t, 254));
    uint8_t nas[4] = {10, 90, 0, 1}, sgsn[4] = {10, 80, 1, 1};
    memcpy(r.nas_ip, nas, 4);
    memcpy(r.sgsn_ip, sgsn, 4);
    r.charging_id = (uint32_t)cw_rng_next(&t->rng);
    r.session_time = (uint32_t)rng_below(t, 7200);
    r.in_octets = (uint32_t)rng_below(t, 50000000);
    r.out_octets = (uint32_t)rng_below(t, 5000000);
    uint64_t h = cw_rng_next(&t->rng), h2 = cw_rng_next(&t->rng);
    for (int i = 0; i < 8; i++) {
        r.auth[i] = (uint8_t)(h >> (8 * i));
        r.auth[8 + i] = (uint8_t)(h2 >> (8 * i));
    }
    size_t n = cw_enc_radius_acct(&r, t->msg[0], sizeof t->msg[0]);
    if (!n)
        return CW_EFULL;
    struct cw_pkt_addr a;
    memset(&a, 0, sizeof a);
    uint8_t s[4] = {10, 90, 0, (uint8_t)(1 + rng_below(t, 2))}, d[4] = {10, 90, 1, 1};
    addr_v4(&a, s, d);
    a.sport = (uint16_t)(32768 + rng_below(t, 16384));
    a.dport = 1813;
    addr_macs(&a);
    count_msgs(t, P_RADIUS, 1, 0);
    int rc = send_udp(t, P_RADIUS, &a, t->msg[0], n, 0);
    if (chance(t, 0.98)) {
        size_t rn = cw_enc_radius_acct_rsp(&r, t->msg[1], sizeof t->msg[1]);
        struct cw_pkt_addr back;
        addr_reverse(&a, &back);
        queue_udp(t, P_RADIUS, &back, t->msg[1], rn, rng_range_u(t, 1, 4), 1);
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Scripted actors (docs/synth.md, "Scripted actors"): the cards synth.c planted as spam,
 * fraud_content, simbox, ... and the normal people that look a little like them, plus SMPP
 * businesses' bursts and foreign visitors sending many SMS. Each actor has one to three
 * streams of steps; step k of a stream is due at packet start + k * span / n (plus a jitter of
 * up to a third of the gap), a pure function of the actor, so a CANCEL can be due a second or
 * two after its INVITE, and a reply a few minutes after a greeting. A heap of the streams by
 * their next step's packet; at most one scripted request per packet (a step that finds its
 * link being set up tries again at the next packet). Each step draws from its own generator,
 * seeded from (actor, stream, step): a CANCEL rebuilds its INVITE exactly. Memory grows with
 * the number of actors (one record per stream), never with the traffic. */

#define PPM 19355.0 /* packets per minute: one every 3.1 ms on average */

enum { K_BURST = CW_SYNTH_NACT, K_ROAMER };

/* What a hash of an actor is for. */
enum {
    W_JIT = 1,
    W_SEQ,
    W_OFF,
    W_RNG,
    W_N,
    W_START,
    W_SPAN,
    W_TEXT,
    W_DEV,
    W_CELL,
    W_PROTO,
    W_REPLY,
    W_DELAY,
    W_CANCEL,
    W_STEP
};

struct stream {
    uint64_t due;         /* nominal packet of the next step */
    uint64_t card;        /* the actor's card; a burst's or a roamer's number */
    uint64_t group;       /* its box, batch or family */
    uint64_t start, span; /* the steps of stream 0 (and of the streams that follow it) */
    uint64_t cursor;      /* recipients: the next candidate of the actor's sequence */
    uint16_t n, n0, step; /* steps of this stream; of stream 0 */
    uint8_t kind, sub;    /* category (or K_*), which stream of the actor */
    char away[3];         /* agent_far, traveller, new_traveller: the province they go to */
};

struct script {
    struct stream *s;
    uint32_t *heap;
    size_t n, nheap;
    uint64_t lo, hi; /* the packets the scripts use */
    double scale;    /* minutes of a small capture shrink to fit */
    uint64_t step;   /* recipients' sequence step, coprime with the number of cards */
};

static uint64_t xh(const struct traffic *t, const struct stream *s, unsigned what, uint64_t k)
{
    uint64_t key = s->kind >= K_BURST ? (uint64_t)s->kind << 56 | s->card : s->card;
    return cw_hash3(t->pop->seed, TAG_SCRIPT,
                    cw_mix64(key) ^ (uint64_t)what << 40 ^ k * 0x9e3779b97f4a7c15ull);
}

static double xu(const struct traffic *t, const struct stream *s, unsigned what, uint64_t k)
{
    return cw_hash_unit(xh(t, s, what, k));
}

/* Step k of a stream of n steps over the actor's span: its nominal packet. */
static uint64_t step_due(const struct traffic *t, const struct stream *s, unsigned sub, unsigned n,
                         unsigned k)
{
    uint64_t gap = s->span / (n ? n : 1);
    return s->start + (uint64_t)k * gap + xh(t, s, W_JIT + 16 * sub, k) % (gap / 3 + 1);
}

/* caller: the calls (of stream 0) cancelled, in order: *n0 1 or 2 of them. */
static void caller_cancels(const struct traffic *t, const struct stream *s, unsigned c[2])
{
    c[0] = (unsigned)(xh(t, s, W_CANCEL, 0) % s->n0);
    c[1] = (unsigned)((c[0] + 1 + xh(t, s, W_CANCEL, 1) % (s->n0 - 1u)) % s->n0);
    if (c[1] < c[0]) {
        unsigned x = c[0];
        c[0] = c[1];
        c[1] = x;
    }
}

/* A second or two after call k (at most a third of the gap to the next one). */
static uint64_t cancel_delay(const struct traffic *t, const struct stream *s, unsigned k)
{
    uint64_t d = (uint64_t)((1.0 + 2.0 * xu(t, s, W_DELAY, k)) * PPM / 60.0);
    uint64_t cap = s->span / s->n0 / 3 + 1;
    return d < cap ? d : cap;
}

static uint64_t stream_due(const struct traffic *t, const struct stream *s)
{
    unsigned k = s->step;
    if (s->sub == 0)
        return step_due(t, s, 0, s->n, k);
    switch (s->kind) {
    case CW_SYNTH_A_WANGIRI: return step_due(t, s, 0, s->n0, k) + cancel_delay(t, s, k);
    case CW_SYNTH_A_NEWYEAR: {
        /* replies come half a minute to four minutes after the greeting */
        uint64_t d = (uint64_t)((0.5 + 3.5 * xu(t, s, W_DELAY, k)) * PPM);
        uint64_t cap = s->span / 2 + 1;
        return step_due(t, s, 0, s->n0, k) + (d < cap ? d : cap);
    }
    case CW_SYNTH_A_CALLER:
        if (s->sub == 1) {
            unsigned c[2];
            caller_cancels(t, s, c);
            unsigned call = s->n == 1 ? c[0] : c[k];
            return step_due(t, s, 0, s->n0, call) + cancel_delay(t, s, call);
        }
        return step_due(t, s, 2, s->n, k);
    default: return step_due(t, s, s->sub, s->n, k);
    }
}

/* The next card of the actor's sequence of recipients (distinct cards, ordinary ones, not the
 * actor): 0 when there is none. */
static int next_home(struct traffic *t, struct stream *s, struct party *pa)
{
    const struct cw_synth_pop *p = t->pop;
    uint64_t base = xh(t, s, W_SEQ, 0) % (p->cards ? p->cards : 1);
    for (int tries = 0; tries < 64 && p->cards > 1 && s->cursor < p->cards; tries++) {
        uint64_t idx = (base + (s->cursor++ % p->cards) * t->script->step) % p->cards;
        if (idx == s->card || !card_ordinary(p, idx))
            continue;
        party_card(t, idx, pa);
        return 1;
    }
    return 0;
}

/* Recipient k of a stream: another operator's number (a share @p offnet of them; distinct for
 * distinct k), else the next card of the sequence. */
static void recipient(struct traffic *t, struct stream *s, unsigned k, double offnet,
                      struct party *pa)
{
    if (xu(t, s, W_OFF, k) >= offnet && next_home(t, s, pa))
        return;
    uint64_t h = xh(t, s, W_OFF, 1u << 20);
    int unicom = h & 1;
    const char *seg = unicom ? unicom_segments[(h >> 8) % 7] : telecom_segments[(h >> 8) % 5];
    memset(pa, 0, sizeof *pa);
    snprintf(pa->num, sizeof pa->num, "86%s%08llu", seg,
             (unsigned long long)(((h >> 16) + (uint64_t)k * 7919u) % 100000000ull));
    pa->kind = PK_OFFNET;
    pa->op = unicom ? 1 : 2;
    pa->node = (uint8_t)(h >> 60 & 1);
    pa->index = UINT64_MAX;
}

/* caller: relative i (of 3 to 5): the first cards of the actor's sequence. */
static void relative(struct traffic *t, const struct stream *s, unsigned i, struct party *pa)
{
    struct stream tmp = *s;
    tmp.cursor = 0;
    for (unsigned k = 0; k <= i; k++)
        if (!next_home(t, &tmp, pa))
            recipient(t, &tmp, i, 1.0, pa);
}

static void fmt_text(char *out, size_t cap, const char *tmpl, uint64_t h)
{
    unsigned a = (unsigned)(2 + h % 58);
    int n = snprintf(out, cap, tmpl, a, a * 7919u);
    if (n < 0 || (size_t)n >= cap)
        out[0] = 0;
}

enum { ST_WAIT, ST_SENT, ST_NOOP }; /* what a step did */

static int script_sms(struct traffic *t, const struct party *from, const struct party *to,
                      const char *text, int smpp, struct force *f, int *rc)
{
    f->to = to;
    f->text = text;
    t->force = f;
    int sent = 0;
    if (smpp && (t->protos >> P_SMPP & 1)) {
        *rc = smpp_exchange(t, from, &sent);
    } else {
        *rc = sip_exchange(t, from);
        sent = 1;
    }
    t->force = NULL;
    return sent ? ST_SENT : ST_WAIT;
}

static int script_call(struct traffic *t, const struct party *from, const struct party *to,
                       int answer, struct force *f, int *rc)
{
    f->to = to;
    f->invite = 1;
    f->answer = answer;
    t->force = f;
    *rc = sip_exchange(t, from);
    t->force = NULL;
    return ST_SENT;
}

/* The CANCEL of the call the step of stream 0 numbered @p call made. */
static int script_cancel(struct traffic *t, const struct stream *s, unsigned call,
                         const struct party *from, const struct party *to, struct force *f, int *rc)
{
    struct txn x;
    f->to = to;
    f->invite = 1;
    t->force = f;
    cw_rng_seed(&t->rng, xh(t, s, W_RNG, call)); /* the INVITE's generator */
    sip_txn(t, from, 1, &x);
    *rc = sip_cancel(t, &x);
    t->force = NULL;
    return ST_SENT;
}

static int script_csr(struct traffic *t, const struct party *card, struct force *f, int *rc)
{
    if (!(t->protos >> P_GTP & 1))
        return ST_NOOP;
    t->force = f;
    *rc = gtp_exchange(t, card);
    t->force = NULL;
    return ST_SENT;
}

/* A SIM box's handset (half of them a gateway's TAC) and its one cell, in the province of the
 * box's cards (@p prov). */
static void box_device(struct traffic *t, uint64_t box, const char *prov, char sv[17],
                       struct force *f)
{
    uint64_t h = cw_hash3(t->pop->seed, TAG_SCRIPT, cw_mix64(box) ^ 0xb0c5ull << 48);
    hash_imeisv(h, (box & 1) == 0, sv);
    f->imeisv = sv;
    f->cell = 1;
    f->tac = (uint16_t)(0x1000 + (h >> 20) % 0x1000);
    f->eci = CW_SYNTH_ECI(cw_synth_prov_num(prov), cw_mix64(h));
}

/* phone_change: a hash for hash_imeisv whose TAC is not the one of the card's own handset. */
static uint64_t new_phone_hash(const struct traffic *t, const struct stream *s)
{
    uint64_t own = cw_hash3(t->pop->seed, TAG_IMEI, s->card) % N_TACS;
    uint64_t h = xh(t, s, W_DEV, 0);
    return h - h % N_TACS + (own + 1 + h / N_TACS % (N_TACS - 1)) % N_TACS;
}

/* The steps of an actor that go away from home: a0 .. a0 + na - 1. agent_far: all of them;
 * traveller: 3-6 after 1-5 at home (2-5 at home in all); new_traveller: 1 to half of them, not
 * the first nor the last. */
static void travel_plan(const struct traffic *t, const struct stream *s, unsigned *a0, unsigned *na)
{
    uint64_t h = xh(t, s, W_N, 0);
    if (s->kind == CW_SYNTH_A_AGENT_FAR) {
        *a0 = 0;
        *na = s->n;
    } else if (s->kind == CW_SYNTH_A_TRAVELLER) {
        unsigned home = 2 + (unsigned)(h % 4);
        *na = 3 + (unsigned)((h >> 8) % 4);
        *a0 = 1 + (unsigned)((h >> 16) % home);
    } else {
        *na = 1 + (unsigned)((h >> 8) % (s->n / 2u));
        *a0 = 1 + (unsigned)((h >> 16) % (s->n - *na - 1u));
    }
}

/* agent_far, traveller, new_traveller step @p k: an SMS or a call from a cell at home or away
 * (one or two cells there), a Create Session first when it arrives away. */
static int travel_step(struct traffic *t, struct stream *s, const struct party *me, int *rc)
{
    unsigned k = s->step, a0, na;
    struct force f;
    struct party to;
    char text[512];
    memset(&f, 0, sizeof f);
    travel_plan(t, s, &a0, &na);
    f.cell = 1;
    if (k >= a0 && k < a0 + na)
        away_cell(t, s->card, s->away, (unsigned)(xh(t, s, W_CELL, k) % (1 + (s->card & 1))),
                  &f.tac, &f.eci);
    else
        card_cell(t, s->card, (unsigned)(xh(t, s, W_CELL, k) % 3), &f.tac, &f.eci);
    if (k == a0) {
        int r = script_csr(t, me, &f, rc);
        if (r != ST_NOOP)
            return r;
    }
    recipient(t, s, k, 0.2, &to);
    if (xu(t, s, W_PROTO, k) < 0.3)
        return script_call(t, me, &to, xu(t, s, W_REPLY, k) < 0.7, &f, rc);
    fmt_text(text, sizeof text, normal_texts[xh(t, s, W_TEXT, k) % N_NORMAL_TEXTS], k);
    return script_sms(t, me, &to, text, 0, &f, rc);
}

static int script_step(struct traffic *t, struct stream *s, int *rc)
{
    unsigned k = s->step;
    struct party me, to;
    struct force f;
    char sv[17], text[512];
    memset(&f, 0, sizeof f);
    if (s->kind < CW_SYNTH_NACT)
        party_card(t, s->card, &me);
    switch (s->kind) {
    case CW_SYNTH_A_SPAM:
        recipient(t, s, k, 0.15, &to);
        fmt_text(text, sizeof text, ad_texts[xh(t, s, W_TEXT, k) % N_AD_TEXTS], k);
        return script_sms(t, &me, &to, text, xu(t, s, W_PROTO, k) < 0.15, &f, rc);
    case CW_SYNTH_A_FRAUD_CONTENT:
        recipient(t, s, k, 0.1, &to);
        fmt_text(text, sizeof text, fraud_texts[xh(t, s, W_TEXT, k) % N_FRAUD_TEXTS],
                 xh(t, s, W_TEXT, k) >> 8);
        return script_sms(t, &me, &to, text, xu(t, s, W_PROTO, k) < 0.2, &f, rc);
    case CW_SYNTH_A_SIMBOX: {
        char prov[3];
        cw_synth_card_province(t->pop, s->card, prov);
        box_device(t, s->group, prov, sv, &f);
        if (k == 0)
            return script_csr(t, &me, &f, rc);
        recipient(t, s, k, 0.3, &to);
        return script_call(t, &me, &to, xu(t, s, W_REPLY, k) < 0.7, &f, rc);
    }
    case CW_SYNTH_A_IMEI_HOPPING: {
        /* handset k / 2: attach with it, then (60%) an SMS from it */
        hash_imeisv(xh(t, s, W_DEV, k / 2), 0, sv);
        f.imeisv = sv;
        if (k % 2 == 0 && (t->protos >> P_GTP & 1))
            return script_csr(t, &me, &f, rc);
        if (k % 2 == 1 && k > 1 && xu(t, s, W_STEP, k) >= 0.6)
            return ST_NOOP; /* (the first handset always sends one) */
        recipient(t, s, k, 0.1, &to);
        fmt_text(text, sizeof text, normal_texts[xh(t, s, W_TEXT, k) % N_NORMAL_TEXTS], k);
        return script_sms(t, &me, &to, text, 0, &f, rc);
    }
    case CW_SYNTH_A_AGENT_BATCH: {
        uint64_t hb = cw_synth_act_hash(t->pop, A_AGENT_REG, s->group);
        recipient(t, s, k, 0.2, &to);
        fmt_text(text, sizeof text, batch_texts[(hb >> 24) % N_BATCH_TEXTS], hb >> 40);
        return script_sms(t, &me, &to, text, 0, &f, rc);
    }
    case CW_SYNTH_A_AGENT_FAR:
    case CW_SYNTH_A_TRAVELLER:
    case CW_SYNTH_A_NEW_TRAVELLER: return travel_step(t, s, &me, rc);
    case CW_SYNTH_A_WANGIRI:
        recipient(t, s, k, 0.25, &to);
        if (s->sub == 0)
            return script_call(t, &me, &to, 0, &f, rc);
        return script_cancel(t, s, k, &me, &to, &f, rc);
    case CW_SYNTH_A_NEWYEAR:
        recipient(t, s, k, 0.0, &to);
        if (s->sub == 0) {
            fmt_text(text, sizeof text, newyear_texts[xh(t, s, W_TEXT, k) % N_NEWYEAR_TEXTS], k);
            return script_sms(t, &me, &to, text, 0, &f, rc);
        }
        if (to.kind != PK_HOME || xu(t, s, W_REPLY, k) >= 0.7)
            return ST_NOOP; /* not every friend answers */
        fmt_text(text, sizeof text, reply_texts[xh(t, s, W_TEXT + 16, k) % N_REPLY_TEXTS], k);
        return script_sms(t, &to, &me, text, 0, &f, rc);
    case CW_SYNTH_A_FAMILY_DEVICE:
    case CW_SYNTH_A_PHONE_CHANGE: {
        int family = s->kind == CW_SYNTH_A_FAMILY_DEVICE;
        unsigned half = s->n / 2;
        if (family)
            hash_imeisv(cw_hash3(t->pop->seed, TAG_SCRIPT, cw_mix64(s->group) ^ 0xfa11ull << 48), 0,
                        sv);
        else if (k < half)
            card_imeisv(t, s->card, sv);
        else /* the new phone: another maker's */
            hash_imeisv(new_phone_hash(t, s), 0, sv);
        f.imeisv = sv;
        if (k == 0 || (!family && k == half)) {
            int r = script_csr(t, &me, &f, rc);
            if (r != ST_NOOP)
                return r;
        }
        if (!pick_normal(t, s->card, &to.index))
            return ST_NOOP;
        party_card(t, to.index, &to);
        if (chance(t, 0.3))
            return script_call(t, &me, &to, chance(t, 0.8), &f, rc);
        fmt_text(text, sizeof text, normal_texts[xh(t, s, W_TEXT, k) % N_NORMAL_TEXTS], k);
        return script_sms(t, &me, &to, text, 0, &f, rc);
    }
    case CW_SYNTH_A_CALLER: {
        unsigned m = 3 + (unsigned)(xh(t, s, W_N, 9) % 3), c[2];
        caller_cancels(t, s, c);
        unsigned ncancel = s->sub == 1 ? s->n : 1 + (unsigned)(xh(t, s, W_N, 8) % 2);
        if (s->sub == 2) { /* a relative calls */
            relative(t, s, k % m, &to);
            if (to.kind != PK_HOME)
                return ST_NOOP;
            return script_call(t, &to, &me, 1, &f, rc);
        }
        unsigned call = s->sub == 1 ? (ncancel == 1 ? c[0] : c[k]) : k;
        relative(t, s, call % m, &to);
        if (s->sub == 1)
            return script_cancel(t, s, call, &me, &to, &f, rc);
        int cancelled = call == c[0] || (ncancel == 2 && call == c[1]);
        return script_call(t, &me, &to, !cancelled, &f, rc);
    }
    case K_BURST: {
        struct party biz;
        memset(&biz, 0, sizeof biz);
        snprintf(biz.num, sizeof biz.num, "%s", business_names[s->card % N_BUSINESS]);
        biz.kind = PK_NAME;
        biz.index = UINT64_MAX;
        if (!next_home(t, s, &to))
            return ST_NOOP;
        fmt_text(text, sizeof text, business_texts[2 + xh(t, s, W_TEXT, 0) % 5], k);
        return script_sms(t, &biz, &to, text, 1, &f, rc);
    }
    default: { /* K_ROAMER */
        struct party fo;
        uint64_t h = xh(t, s, W_OFF, 0);
        memset(&fo, 0, sizeof fo);
        snprintf(fo.num, sizeof fo.num, "%s%03u", foreign_prefixes[h % 2],
                 (unsigned)((h >> 8) % 1000));
        fo.kind = PK_FOREIGN;
        fo.op = 3;
        fo.index = UINT64_MAX;
        if (!next_home(t, s, &to))
            return ST_NOOP;
        fmt_text(text, sizeof text, normal_texts[xh(t, s, W_TEXT, k) % N_NORMAL_TEXTS], k);
        return script_sms(t, &fo, &to, text, 0, &f, rc);
    }
    }
}

static int stream_before(const struct script *sc, uint32_t a, uint32_t b)
{
    const struct stream *x = &sc->s[a], *y = &sc->s[b];
    return x->due != y->due ? x->due < y->due : a < b;
}

static void sift_down(struct script *sc, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= sc->nheap)
            break;
        if (c + 1 < sc->nheap && stream_before(sc, sc->heap[c + 1], sc->heap[c]))
            c++;
        if (!stream_before(sc, sc->heap[c], sc->heap[i]))
            break;
        uint32_t x = sc->heap[i];
        sc->heap[i] = sc->heap[c];
        sc->heap[c] = x;
        i = c;
    }
}

/* The due scripted step, if any: at most one request this packet (t->written tells). */
static int script_run(struct traffic *t)
{
    struct script *sc = t->script;
    int rc = 0;
    for (int loops = 0; loops < 16 && sc->nheap; loops++) {
        struct stream *s = &sc->s[sc->heap[0]];
        if (s->due > t->pkt)
            break;
        struct cw_rng keep = t->rng;
        cw_rng_seed(&t->rng, xh(t, s, W_RNG + 16 * s->sub, s->step));
        uint64_t before = t->written;
        int r = script_step(t, s, &rc);
        t->rng = keep;
        if (r == ST_WAIT)
            return rc;
        if (r == ST_SENT)
            t->st->scripted_requests++;
        if (++s->step >= s->n) {
            sc->heap[0] = sc->heap[--sc->nheap];
        } else {
            s->due = stream_due(t, s);
        }
        sift_down(sc, 0);
        if (rc || t->written > before)
            return rc;
    }
    return rc;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/* A stream's place: @p minutes long (shrunk in a small capture), somewhere in the scripts'
 * packets; whole: all of them. */
static void place(struct traffic *t, struct stream *s, double minutes, int whole)
{
    struct script *sc = t->script;
    uint64_t room = sc->hi - sc->lo;
    uint64_t w = whole ? room : (uint64_t)(minutes * PPM * sc->scale);
    if (w > room)
        w = room;
    if (w < s->n)
        w = s->n;
    s->span = w;
    s->start = sc->lo + (room > w ? xh(t, s, W_START, 0) % (room - w + 1) : 0);
}

static struct stream *add_stream(struct script *sc, unsigned kind, unsigned sub, uint64_t card,
                                 uint64_t group)
{
    struct stream *s = &sc->s[sc->n++];
    memset(s, 0, sizeof *s);
    s->kind = (uint8_t)kind;
    s->sub = (uint8_t)sub;
    s->card = card;
    s->group = group;
    return s;
}

/* Every actor's streams. Returns 0 or CW_ENOMEM. */
static int script_init(struct traffic *t)
{
    const struct cw_synth_pop *p = t->pop;
    uint64_t packets = t->o->packets;
    uint64_t bursts = (t->protos >> P_SMPP & 1) ? packets / 100000 : 0;
    uint64_t roamers = (t->protos >> P_SIP & 1) ? packets / 125000 : 0;
    uint64_t actors = p->act_first[CW_SYNTH_NACT] - p->act_first[0];
    uint64_t max = 3 * actors + bursts + roamers;
    if (!max)
        return 0;
    struct script *sc = calloc(1, sizeof *sc);
    if (!sc)
        return CW_ENOMEM;
    t->script = sc;
    sc->s = calloc(max, sizeof *sc->s);
    sc->heap = calloc(max, sizeof *sc->heap);
    if (!sc->s || !sc->heap)
        return CW_ENOMEM;
    sc->lo = packets / 20;
    sc->hi = packets * 17 / 20;
    double room_min = (double)(sc->hi - sc->lo) / PPM;
    sc->scale = room_min < 20.0 ? room_min / 20.0 : 1.0;
    sc->step = 1;
    if (p->cards > 1) {
        sc->step = cw_hash3(p->seed, TAG_SCRIPT, 0) % p->cards;
        while (sc->step == 0 || gcd64(sc->step, p->cards) != 1)
            sc->step = (sc->step + 1) % p->cards;
    }
    for (unsigned a = 0; a < CW_SYNTH_NACT; a++) {
        uint64_t batch_start = 0, batch = UINT64_MAX;
        for (uint64_t off = 0; off < p->act[a]; off++) {
            uint64_t g;
            unsigned j, size;
            cw_synth_act_group(p, a, off, &g, &j, &size);
            uint64_t card = cw_synth_act_card(p, a, off);
            struct stream *s = add_stream(sc, a, 0, card, g);
            uint64_t h = xh(t, s, W_N, 0);
            double u = xu(t, s, W_SPAN, 0);
            switch (a) {
            case CW_SYNTH_A_SPAM: {
                s->n = (uint16_t)(60 + h % 91);
                double dmax = s->n / 9.0 < 10.0 ? s->n / 9.0 : 10.0;
                place(t, s, 5.0 + u * (dmax - 5.0), 0);
                break;
            }
            case CW_SYNTH_A_FRAUD_CONTENT:
                s->n = (uint16_t)(3 + h % 6);
                place(t, s, 0, 1);
                break;
            case CW_SYNTH_A_SIMBOX:
                s->n = (uint16_t)(1 + 20 + h % 21);
                place(t, s, (sc->hi - sc->lo) * (0.7 + 0.3 * u) / PPM / sc->scale, 0);
                break;
            case CW_SYNTH_A_IMEI_HOPPING:
                s->n = (uint16_t)(2 * (5 + h % 6));
                place(t, s, 10.0 + 10.0 * u, 0);
                break;
            case CW_SYNTH_A_AGENT_BATCH: {
                /* the batch's cards start within a few minutes of each other */
                s->n = (uint16_t)(3 + h % 4);
                if (g != batch) {
                    struct stream first = *s;
                    first.card = g;
                    first.kind = K_ROAMER + 1; /* a key of the batch */
                    uint64_t room = sc->hi - sc->lo, need = (uint64_t)(25 * PPM * sc->scale);
                    batch = g;
                    batch_start =
                        sc->lo + (room > need ? xh(t, &first, W_START, 0) % (room - need) : 0);
                }
                s->start = batch_start + (uint64_t)(j * (0.3 + 0.5 * u) * PPM * sc->scale);
                s->span = (uint64_t)(s->n * (1.0 + 2.0 * xu(t, s, W_SPAN, 1)) * PPM * sc->scale);
                if (s->span < s->n)
                    s->span = s->n;
                if (s->start + s->span > sc->hi)
                    s->start = sc->hi > s->span ? sc->hi - s->span : 0;
                break;
            }
            case CW_SYNTH_A_WANGIRI:
                s->n = (uint16_t)(30 + h % 31);
                place(t, s, 5.0 + 10.0 * u, 0);
                break;
            case CW_SYNTH_A_NEWYEAR: {
                s->n = (uint16_t)(15 + h % 21);
                place(t, s, s->n / 2.2, 0);
                /* a person types at most about 2.2 a minute: in a capture too short for all
                 * the greetings, fewer are sent (at least 3) */
                uint64_t most = (uint64_t)(2.2 * (double)s->span / PPM);
                if (most < 3)
                    most = 3;
                if (s->n > most)
                    s->n = (uint16_t)most;
                break;
            }
            case CW_SYNTH_A_FAMILY_DEVICE:
                s->n = (uint16_t)(1 + 3 + h % 4);
                place(t, s, 0, 1);
                break;
            case CW_SYNTH_A_PHONE_CHANGE:
                s->n = (uint16_t)(6 + h % 5);
                place(t, s, 0, 1);
                break;
            case CW_SYNTH_A_AGENT_FAR:
            case CW_SYNTH_A_NEW_TRAVELLER:
                s->n = (uint16_t)(4 + h % 5);
                place(t, s, 0, 1);
                cw_synth_act_away(p, a, off, s->away);
                break;
            case CW_SYNTH_A_TRAVELLER:
                s->n = (uint16_t)(2 + h % 4 + 3 + (h >> 8) % 4);
                place(t, s, 0, 1);
                cw_synth_act_away(p, a, off, s->away);
                break;
            default: /* caller */
                s->n = (uint16_t)(5 + h % 6);
                place(t, s, 0, 1);
                break;
            }
            s->n0 = s->n;
            unsigned extra = a == CW_SYNTH_A_WANGIRI || a == CW_SYNTH_A_NEWYEAR ? 1
                             : a == CW_SYNTH_A_CALLER                           ? 2
                                                                                : 0;
            for (unsigned e = 1; e <= extra; e++) {
                struct stream *d = add_stream(sc, a, e, card, g);
                *d = *s;
                d->sub = (uint8_t)e;
                if (a == CW_SYNTH_A_CALLER && e == 1)
                    d->n = (uint16_t)(1 + xh(t, s, W_N, 8) % 2);
                if (a == CW_SYNTH_A_CALLER && e == 2) {
                    d->n = (uint16_t)(2 + xh(t, s, W_N, 7) % 3);
                    d->start = sc->lo;
                    d->span = sc->hi - sc->lo;
                }
            }
        }
    }
    for (uint64_t b = 0; b < bursts + roamers; b++) {
        struct stream *s = add_stream(sc, b < bursts ? K_BURST : K_ROAMER, 0, b, 0);
        uint64_t h = xh(t, s, W_N, 0);
        double u = xu(t, s, W_SPAN, 0);
        if (b < bursts) {
            s->n = (uint16_t)(40 + h % 81);
            place(t, s, 2.0 + 2.0 * u, 0);
            t->st->business_bursts++;
        } else {
            s->n = (uint16_t)(20 + h % 21);
            place(t, s, 10.0 + 10.0 * u, 0);
            t->st->roamer_bursts++;
        }
        s->n0 = s->n;
    }
    for (size_t i = 0; i < sc->n; i++) {
        sc->s[i].due = stream_due(t, &sc->s[i]);
        sc->heap[sc->nheap++] = (uint32_t)i;
    }
    for (size_t i = sc->nheap / 2 + 1; i-- > 0;)
        sift_down(sc, i);
    return 0;
}

static void script_free(struct script *sc)
{
    if (!sc)
        return;
    free(sc->s);
    free(sc->heap);
    free(sc);
}

/* ------------------------------------------------------------------------------------------ */
/* The capture. */

/* A new exchange of a protocol drawn from the mix; returns its status (it may send nothing
 * when the links it needs are being set up: t->written tells). */
static int new_exchange(struct traffic *t)
{
    double u = rng_unit(t) * t->cum[CW_SYNTH_NPROTO - 1];
    unsigned p = 0;
    while (p + 1 < CW_SYNTH_NPROTO && u >= t->cum[p])
        p++;
    switch (p) {
    case P_SIP: return sip_exchange(t, NULL);
    case P_SMPP: return smpp_exchange(t, NULL, NULL);
    case P_MAP: return map_exchange(t, NULL, NULL);
    case P_DIA: return dia_exchange(t, NULL, NULL);
    case P_GTP: return gtp_exchange(t, NULL);
    default: return radius_exchange(t);
    }
}

/* The first SMS or call of the card of black rank t->next_black (a black card, or an
 * over-quota card: not black, so an ordinary text), in the protocol chosen for them. */
static int black_first(struct traffic *t, int *sent)
{
    struct party pa;
    party_card(t, black_card_index(t->pop, t->next_black), &pa);
    *sent = 0;
    switch (t->black_proto) {
    case P_SIP: *sent = 1; return sip_exchange(t, &pa);
    case P_SMPP: return smpp_exchange(t, &pa, sent);
    case P_DIA: return dia_exchange(t, &pa, sent);
    default: return map_exchange(t, &pa, sent);
    }
}

static void black_advance(struct traffic *t)
{
    t->next_black++;
    t->bacc += t->br;
    t->next_black_pkt += t->bq;
    if (t->bacc >= t->senders) {
        t->bacc -= t->senders;
        t->next_black_pkt++;
    }
}

static void traffic_init(struct traffic *t, const struct cw_synth_pop *p,
                         const struct cw_synth_opts *o, struct cw_synth_stats *st)
{
    t->pop = p;
    t->o = o;
    t->st = st;
    t->protos = cw_synth_protocols(o);
    if (o->plain)
        memset(&t->r, 0, sizeof t->r);
    else
        t->r = default_rates;
    t->r.sip_3gpp = default_rates.sip_3gpp; /* a body type, not a transport oddity */
    double acc = 0;
    for (unsigned i = 0; i < CW_SYNTH_NPROTO; i++) {
        if (t->protos >> i & 1)
            acc += proto_weight[i];
        t->cum[i] = acc;
    }
    static const int order[4] = {P_SIP, P_SMPP, P_DIA, P_MAP};
    t->black_proto = P_SIP;
    for (int i = 0; i < 4; i++)
        if (t->protos >> order[i] & 1) {
            t->black_proto = order[i];
            break;
        }
    cw_rng_seed(&t->rng, cw_hash3(p->seed, TAG_TRAFFIC, 0));
    t->ts_us = CW_SYNTH_T0 * 1000000ull;
    t->senders = cw_synth_senders(p);
    if (t->senders) {
        uint64_t window = o->packets / 4; /* >= 2.5 * senders: distinct packet numbers */
        t->bq = window / t->senders;
        t->br = window % t->senders;
    }
    /* A black card sends about ten times as much as a normal one, up to a quarter of all. */
    uint64_t normal = p->cards - p->black;
    t->p_black = 0;
    if (p->black)
        t->p_black = normal ? 0.86 * 10.0 * (double)p->black / (double)p->cards : 0.86;
    if (t->p_black > 0.25 && normal)
        t->p_black = 0.25;
    for (unsigned i = 0; i < JOB_CAP; i++)
        t->free_list[i] = (uint16_t)(JOB_CAP - 1 - i);
    t->nfree = JOB_CAP;
    t->ip_id = (uint16_t)cw_rng_next(&t->rng);
    t->frag_id = (uint32_t)cw_rng_next(&t->rng);
    links_init(t, o->plain);
}

/* Exactly one frame for packet number t->pkt. */
static int one_packet(struct traffic *t)
{
    uint64_t before = t->written;
    int rc = 0;
    struct job *h = job_peek(t);
    if (h && h->due <= t->pkt && h->urgent)
        return run_job(t, job_pop(t));
    if (t->next_black < t->senders && t->pkt >= t->next_black_pkt && jobs_free(t) >= JOB_RESERVE) {
        int sent = 0;
        rc = black_first(t, &sent);
        if (sent)
            black_advance(t);
        if (rc || t->written > before)
            return rc;
    }
    if (t->script && jobs_free(t) >= JOB_RESERVE) {
        rc = script_run(t);
        if (rc || t->written > before)
            return rc;
    }
    for (int tries = 0; tries < 4; tries++) {
        h = job_peek(t);
        if (h && (h->due <= t->pkt || jobs_free(t) < JOB_RESERVE))
            return run_job(t, job_pop(t));
        rc = new_exchange(t);
        if (rc || t->written > before)
            return rc;
        if (job_peek(t)) /* the links it needed are being set up: go on with that */
            return run_job(t, job_pop(t));
    }
    return CW_EFULL;
}

int cw_synth_write_traffic(const struct cw_synth_pop *p, const struct cw_synth_opts *o,
                           const char *path, const char *tmp, struct cw_synth_stats *st, char *err,
                           size_t errlen)
{
    struct traffic *t = calloc(1, sizeof *t);
    if (!t) {
        cw_synth_set_err(err, errlen, "out of memory");
        return CW_ENOMEM;
    }
    traffic_init(t, p, o, st);
    int rc = script_init(t);
    if (rc) {
        cw_synth_set_err(err, errlen, "out of memory");
        script_free(t->script);
        free(t);
        return rc;
    }
    rc = cw_pcapw_open(tmp, 1, &t->w);
    if (rc) {
        cw_synth_set_err(err, errlen, "%s: %s", tmp, strerror(errno));
        script_free(t->script);
        free(t);
        return rc;
    }
    st->first_ts_us = t->ts_us;
    for (uint64_t pkt = 0; pkt < o->packets && rc == 0; pkt++) {
        t->pkt = pkt;
        uint64_t before = t->written;
        rc = one_packet(t);
        if (!rc && t->written != before + 1)
            rc = CW_EFULL;
        st->last_ts_us = t->ts_us;
        t->ts_us += rng_range_u(t, 200, 6000);
        if (o->progress && (pkt & 0xffff) == 0xffff)
            o->progress(o->progress_user, "packets", pkt + 1, o->packets);
    }
    if (rc == CW_EFULL)
        cw_synth_set_err(err, errlen, "%s: internal error: a message did not fit its buffer", path);
    else if (rc)
        cw_synth_set_err(err, errlen, "%s: write failed: %s", path, strerror(errno));
    int crc = cw_pcapw_close(t->w);
    if (!rc && crc) {
        rc = crc;
        cw_synth_set_err(err, errlen, "%s: write failed: %s", path, strerror(errno));
    }
    if (!rc && rename(tmp, path) != 0) {
        rc = CW_EIO;
        cw_synth_set_err(err, errlen, "%s: %s", path, strerror(errno));
    }
    if (rc)
        unlink(tmp);
    else if (o->progress)
        o->progress(o->progress_user, "packets", o->packets, o->packets);
    script_free(t->script);
    free(t);
    return rc;
}
