/* test_json.c - the JSON writer and event formatting: escaping, UTF-8 repair, nesting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "event/event.h"
#include "util/json_out.h"

static const char *doc(struct cw_json *j)
{
    j->buf[j->len] = 0; /* the writer keeps one spare byte */
    return j->buf;
}

static void test_nesting_and_types(void **state)
{
    (void)state;
    struct cw_json j;
    memset(&j, 0, sizeof j);
    cw_json_reset(&j);
    cw_json_obj_begin(&j, NULL);
    cw_json_str(&j, "a", "x");
    cw_json_obj_begin(&j, "o");
    cw_json_int(&j, "i", -5);
    cw_json_uint(&j, "u", 18446744073709551615ull);
    cw_json_obj_end(&j);
    cw_json_arr_begin(&j, "arr");
    cw_json_bool(&j, NULL, 1);
    cw_json_bool(&j, NULL, 0);
    cw_json_obj_begin(&j, NULL);
    cw_json_obj_end(&j);
    cw_json_arr_end(&j);
    cw_json_double(&j, "d", 0.5);
    cw_json_obj_end(&j);
    assert_string_equal(doc(&j), "{\"a\":\"x\",\"o\":{\"i\":-5,\"u\":18446744073709551615},"
                                 "\"arr\":[true,false,{}],\"d\":0.5}");
    cw_json_release(&j);
}

static void test_escaping_and_utf8(void **state)
{
    (void)state;
    struct cw_json j;
    memset(&j, 0, sizeof j);
    cw_json_reset(&j);
    cw_json_obj_begin(&j, NULL);
    cw_json_strn(&j, "s", "q\"b\\n\n\t\x01\x7f", 9);
    /* valid Chinese text passes, invalid bytes become U+FFFD, overlong and surrogates too */
    cw_json_str(&j, "zh", "\xe4\xb8\xad\xe5\xa5\x96");
    cw_json_strn(&j, "bad", "a\xff" "b\xc0\xaf" "c\xed\xa0\x80", 9);
    cw_json_strn(&j, "cut", "\xe4\xb8", 2);
    cw_json_obj_end(&j);
    assert_string_equal(doc(&j), "{\"s\":\"q\\\"b\\\\n\\n\\t\\u0001\\u007f\","
                                 "\"zh\":\"\xe4\xb8\xad\xe5\xa5\x96\","
                                 "\"bad\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
                                 "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
                                 "\"cut\":\"\xef\xbf\xbd\xef\xbf\xbd\"}");
    cw_json_release(&j);
}

static void test_event_fields(void **state)
{
    (void)state;
    struct cw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.ts_us = 1772323200123456ull; /* 2026-03-01T00:00:00.123456Z */
    ev.frame = 42;
    ev.kind = CW_EV_SMS_MO;
    ev.proto = CW_PROTO_SIP;
    strcpy(ev.calling, "8613800000001");
    ev.text = cw_slice_str("hi");
    struct cw_json j;
    memset(&j, 0, sizeof j);
    cw_json_reset(&j);
    cw_json_obj_begin(&j, NULL);
    cw_event_json_fields(&j, &ev, "t.pcap");
    cw_json_obj_end(&j);
    assert_string_equal(doc(&j), "{\"ts\":\"2026-03-01T00:00:00.123456Z\",\"proto\":\"sip\","
                                 "\"kind\":\"sms_mo\",\"calling\":\"8613800000001\","
                                 "\"text\":\"hi\",\"file\":\"t.pcap\",\"frame\":42}");
    cw_json_release(&j);
    assert_int_equal(cw_event_kind_from_name("call", 4), CW_EV_CALL);
    assert_int_equal(cw_event_kind_from_name("cal", 3), -1);
    assert_int_equal(cw_proto_from_name("sip", 3), CW_PROTO_SIP);
    assert_string_equal(cw_event_kind_name(999), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nesting_and_types),
        cmocka_unit_test(test_escaping_and_utf8),
        cmocka_unit_test(test_event_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
