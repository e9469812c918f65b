/* tshark_expect.h - the differential tests' reading of tshark: what event each message tshark
 * shows should give (per protocol), running tshark with the corpus's field extraction commands
 * (../shared/corpus/MANIFEST.md) on a capture of our own, and comparing `cardwatch decode`'s
 * events with those expectations message for message. Used by the corpus tests and by the
 * tests on synth captures.
 *
 * Expected events from tshark's columns (the mapping the decoders follow):
 *   GTPv2-C  Create Session / Modify Bearer Request (32, 34) with an identity: data_session;
 *            imsi = e212.imsi, calling = e164.msisdn, imei = gtpv2.mei (IMEI with Luhn digit)
 *   GTPv1-C  Create PDP Context Request (0x10): data_session; imsi, calling = e164.msisdn,
 *            imei = gtp.ext_imeisv (Luhn)
 *   RADIUS   Accounting-Request (4): data_session; calling = Calling-Station-Id, called =
 *            Called-Station-Id (digits when a number, else as they are), imsi = 3GPP-IMSI,
 *            imei = 3GPP-IMEISV (Luhn)
 *   Diameter requests: ULR (316) register, AIR (318) auth, CCR (272) data_session, OFR
 *            (8388645) sms_mo, TFR (8388646) sms_mt; imsi = User-Name when it is an IMSI (the
 *            part before '@'), or the END_USER_IMSI Subscription-Id; calling = the
 *            END_USER_E164 Subscription-Id, else MSISDN; imei = diameter.IMEI (Luhn)
 *   SMPP     submit_sm, data_sm: sms_mo; deliver_sm: sms_mt; calling = source_addr, called =
 *            destination_addr, text = message_text
 *   MAP      invokes (gsm_map.old.Component 1) by operation (gsm_old.localValue):
 *            46/44 with an SMS-SUBMIT (tp-mti 1): sms_mo, calling = one of the E.164
 *                  addresses (the sm-RP-OA msisdn), called = tp-da, imsi = e212.imsi, text;
 *            46/44 with an SMS-DELIVER (tp-mti 0): sms_mt, imsi = e212.imsi (sm-RP-DA),
 *                  calling = tp-oa, text;
 *            45 sendRoutingInfoForSM, 22 sendRoutingInfo: lookup, called = the first E.164
 *                  address (the msisdn);
 *            71 anyTimeInterrogation: lookup, imsi = e212.imsi, else called = the first E.164;
 *            2 updateLocation, 23 updateGprsLocation: register, imsi;
 *            56 sendAuthenticationInfo: auth, imsi; 43 checkIMEI: auth, imei;
 *            returnResultLast (2) of 45 with an IMSI: lookup, imsi.
 *            A frame with several components (SCTP bundling) is compared loosely: each event's
 *            identities must be among that frame's values, its text part of it.
 * GTP-C and RADIUS messages of those kinds without any identity give no event; Diameter
 * requests of those kinds always give one (diameter_no_identity is counted when it is empty),
 * except a CCR update or termination (CC-Request-Type 2, 3), which need not name the
 * subscriber.
 * An IMEI is compared with its check digit recomputed from the first 14 digits (TS 23.003
 * 6.2.1).
 */
#ifndef CW_TEST_TSHARK_EXPECT_H
#define CW_TEST_TSHARK_EXPECT_H

#include <stddef.h>
#include <stdint.h>

#include "corpus.h"

/* One expected event. With @loose set, calling/called/imsi/imei hold comma-separated lists
 * (ours must be one of them, or empty when the list is) and ours must be part of @text. */
struct want {
    const char *kind;
    int loose;
    int optional; /* may give no event (a bundled CCR update: which has an identity is unknown) */
    char calling[512], called[512], imsi[256], imei[256], text[2048];
};

/* What a row of tshark's TSV makes us expect: up to @p max wants filled, their number. */
typedef int (*expect_fn)(const struct tsv *t, int r, struct want *w, int max);

int expect_gtpv2(const struct tsv *t, int r, struct want *w, int max);
int expect_gtpv1(const struct tsv *t, int r, struct want *w, int max);
int expect_radius(const struct tsv *t, int r, struct want *w, int max);
int expect_diameter(const struct tsv *t, int r, struct want *w, int max);
int expect_smpp(const struct tsv *t, int r, struct want *w, int max);
int expect_map(const struct tsv *t, int r, struct want *w, int max);
/* SIP (synth's captures; the corpus's test_corpus_sip.c has its own, with REGISTER):
 * INVITE call, CANCEL call_cancel, MESSAGE sms_mo; imei = the first Contact +sip.instance
 * (sip.contact.parameter) when it is urn:gsma:imei (Luhn digit recomputed); calling = the
 * P-Asserted-Identity user when a number (a tel: URI preferred), else the From user, else the
 * P-Asserted-Identity user; called = the Request-URI user when a number, else the To user; SMS over
 * IP: TP-DA and text. A segment with several requests is compared loosely. */
int expect_sip(const struct tsv *t, int r, struct want *w, int max);

/* A frame whose message we know we do not decode yet (no event compared there), or, with
 * @field set, where we knowingly differ from tshark in that field: ours must be @ours. */
struct known_gap {
    const char *file;
    uint64_t frame;
    const char *why;
    const char *field; /* "calling", "called", "imsi", "imei"; NULL: a missing event */
    const char *ours;
};

struct tx_result {
    int expected, matched; /* messages with identities tshark shows; matched exactly */
    size_t events;         /* events we gave */
};

/* One tshark output of a capture: its command, its expectations, the protocol of the events
 * its rows give (NULL: any; events of other protocols are then not looked at), and whether
 * tshark shows texts past U+FFFF (SMPP's UCS-2 reading has no surrogate pairs: those are
 * compared as one U+FFFD). */
struct tx_source {
    const char *proto; /* tx_tshark's name */
    expect_fn expect;
    const char *events;
    int bmp_only;
};

/** Compare `cardwatch decode PCAP` with several tshark outputs @p tsvpaths of it (one per
 *  source), as tx_compare does with one. */
void tx_compare_sources(const char *label, const char *pcap, const char *const *tsvpaths,
                        const struct tx_source *src, size_t nsrc, const struct known_gap *gaps,
                        size_t ngaps, struct report *rep, struct tx_result *res);

/**
 * Compare `cardwatch decode PCAP` with tshark's @p tsvpath through @p expect. Differences go
 * to @p rep under @p label (gaps of @p label are skipped, printed as "known gap:"; a gap that
 * decodes now is a difference). Prints one line of counts.
 */
void tx_compare(const char *label, const char *pcap, const char *tsvpath, expect_fn expect,
                const struct known_gap *gaps, size_t ngaps, struct report *rep,
                struct tx_result *res);

/**
 * Run tshark on @p pcap with the corpus's field extraction command for @p proto ("smpp",
 * "map", "diameter", "gtpv2", "gtpv1", "radius", "sip") into @p out_tsv, with the columns
 * the MANIFEST's commands leave out (tshark_expect.c says which). Returns 0, 77 when
 * tshark is not installed (the caller skips, saying so), or fails the test.
 */
int tx_tshark(const char *pcap, const char *proto, const char *out_tsv);

/** 1 when tshark can be run. */
int tx_have_tshark(void);

/** The column @p name of @p t, or -1 when it has none. */
int tsv_col_opt(const struct tsv *t, const char *name);

/* SIP URIs as tshark shows them. */
/** The user part as we report it: digits only when it is a number (visual separators
 *  dropped), else as it is (cut to 31 bytes). */
void tx_sip_normalise_user(const char *user, size_t n, char *out, size_t outsz);
/** User part of a sip:, sips: or tel: URI (no "<>"), normalised; "" when there is none. */
void tx_sip_uri_user(const char *uri, size_t len, char *out, size_t outsz);
/** The URI a P-Asserted-Identity value gives (the first tel: one, else the first), or NULL. */
const char *tx_sip_pai_uri(const char *pai, size_t *len);
/** The party of a From/To: the number of a tel: address, else the normalised user. */
void tx_sip_party(const char *addr, const char *user, char *out, size_t outsz);
/** 1 when @p s is digits only (and not empty). */
int tx_is_number(const char *s);

/* Helpers, exposed for their own test. */
void tx_party(char *dst, size_t n, const char *v);           /* digits when a number, else as is */
void tx_imei(char *dst, size_t n, const char *v);            /* 14 digits + Luhn */
void tx_imsi_of_user(char *dst, size_t n, const char *user); /* "IMSI@realm" -> IMSI */

#endif
