/* cmd_decode.c - `cardwatch decode FILE...`: every decoded signalling event as a JSON line. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "capture/dissect.h"
#include "decode/map_json.h"
#include "cli/cli.h"
#include "cli/run_files.h"
#include "output/summary.h"
#include "util/json_out.h"

static const char usage[] =
    "usage: cardwatch decode [--quiet] [--trace] FILE|DIR|-...\n"
    "\n"
    "Decode pcap and pcapng captures and print every signalling event as one JSON object a\n"
    "line on standard output:\n"
    "  ts       packet time, ISO 8601 UTC with microseconds\n"
    "  proto    sip, smpp, map, diameter, gtp, radius\n"
    "  kind     sms_mo, sms_mt, call, register (attach, location update), data_session,\n"
    "           auth (authentication of a card, IMEI check), lookup (the network asked\n"
    "           where a number is: an SMS or call is on its way to it)\n"
    "  calling  calling party, digits only (no '+', no URI); an alphanumeric sender is kept\n"
    "           as it is\n"
    "  called   called party, likewise\n"
    "  imsi, imei, text (UTF-8 SMS text)\n"
    "  account  SMPP: the system_id the sending application (ESME) bound with on that\n"
    "           link: the bulk sender's account at the SMS centre\n"
    "  file     the input file, as named on the command line (DIR/NAME for a directory's)\n"
    "  frame    1-based frame number in that file, as tshark and Wireshark number frames\n"
    "Absent fields are omitted. A summary of the run goes to standard error.\n"
    "\n"
    "Inputs: FILEs; a DIR stands for the capture files directly in it (*.pcap, *.pcapng,\n"
    "*.cap, in any case; in name order; not its subdirectories); - is standard input. The\n"
    "packets of all inputs are read in timestamp order, ties to the input named first:\n"
    "rotated captures (tcpdump -G) one after the other, overlapping captures from several\n"
    "taps interleaved; within a file its own order is kept.\n"
    "\n"
    "options:\n"
    "  -q, --quiet   no summary and no progress on standard error\n"
    "  -t, --trace   also print every message read that gives no event, and the layers\n"
    "                under each that does, as {\"trace\":PROTO,...} lines (MAP: one per\n"
    "                TCAP component, with point codes, global titles, transaction ids,\n"
    "                component, operation or error code, identities and SMS fields)\n"
    "  -h, --help    this text\n"
    "\n"
    "exit status: 0 all files read; 1 a file was unreadable or damaged (the rest was decoded),\n"
    "or an input is missing or a directory holds no capture (nothing decoded); 2 usage error.\n";

struct decode_ctx {
    struct cw_json j;
    char *const *files;
    int io_error;
};

static void print_event(void *user, const struct cw_event *ev)
{
    struct decode_ctx *c = user;
    cw_json_reset(&c->j);
    cw_json_obj_begin(&c->j, NULL);
    cw_event_json_fields(&c->j, ev, c->files[ev->file_idx]);
    cw_json_obj_end(&c->j);
    if (cw_json_write_line(&c->j, stdout) != 0)
        c->io_error = 1;
}

static void print_trace(void *user, unsigned proto, const struct cw_pkt_meta *meta,
                        const void *rec)
{
    struct decode_ctx *c = user;
    if (proto != CW_PROTO_MAP)
        return;
    char ts[32];
    cw_ts_format(meta->ts_us, ts);
    cw_json_reset(&c->j);
    cw_json_obj_begin(&c->j, NULL);
    cw_json_str(&c->j, "trace", cw_proto_name(proto));
    cw_json_str(&c->j, "ts", ts);
    cw_map_rec_json(&c->j, rec);
    cw_json_str(&c->j, "file", c->files[meta->file_idx]);
    cw_json_uint(&c->j, "frame", meta->frame);
    cw_json_obj_end(&c->j);
    if (cw_json_write_line(&c->j, stdout) != 0)
        c->io_error = 1;
}

static void decode_packet(void *user, const struct cw_raw_pkt *pkt, uint32_t file_idx)
{
    cw_dissect_packet(user, pkt, pkt->linktype, file_idx);
}

int cw_cmd_decode(int argc, char **argv)
{
    static const struct option opts[] = {
        {"quiet", no_argument, 0, 'q'},
        {"trace", no_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int quiet = 0, trace = 0, ch;
    while ((ch = getopt_long(argc, argv, "qth", opts, NULL)) != -1) {
        switch (ch) {
        case 'q': quiet = 1; break;
        case 't': trace = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind >= argc) {
        cw_cli_err("decode: no input file given");
        fputs(usage, stderr);
        return 2;
    }
    /* A missing input or a directory without captures is a mistake on the command line:
     * nothing is decoded. A file that is not a capture or is damaged is reported when read
     * and the others are decoded (so no cw_run_check_files here). */
    char **files;
    int nfiles;
    if (cw_run_expand(argv + optind, argc - optind, &files, &nfiles) != 0)
        return 1;
    struct decode_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.files = files;
    struct cw_event_sink sink = {print_event, &ctx, NULL};
    struct cw_dissector *d;
    if (cw_dissect_new(&sink, &d) != 0) {
        cw_cli_err("decode: cannot set up the packet decoder (out of memory?)");
        cw_run_list_free(files, nfiles);
        return 1;
    }
    if (trace)
        cw_dissect_set_trace(d, print_trace, &ctx);
    struct cw_run_result res;
    cw_run_files(files, nfiles, !quiet, decode_packet, d, &res);
    cw_dissect_finish(d);
    if (fflush(stdout) != 0)
        ctx.io_error = 1;
    if (!quiet) {
        struct cw_summary_in in;
        memset(&in, 0, sizeof in);
        const struct cw_dissector *ds[1] = {d};
        in.d = ds;
        in.nd = 1;
        in.run = res;
        cw_summary_print(stderr, &in);
    }
    cw_dissect_free(d);
    cw_json_release(&ctx.j);
    cw_run_list_free(files, nfiles);
    if (ctx.io_error) {
        cw_cli_err("decode: cannot write to standard output");
        return 1;
    }
    return (res.files_damaged || res.files_unreadable) ? 1 : 0;
}
