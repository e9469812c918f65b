/* idcard.c - resident identity card numbers, GB 11643-1999 (check character ISO 7064 MOD 11-2),
 * region codes checked for plausible GB/T 2260 form, with a table of real county-level codes
 * for names (see idcard.h). */
#include "store/idcard.h"

#include <string.h>

#include "util/error.h"

struct province {
    const char code[3];
    const char *name;
};

/* The 34 provincial-level divisions, by GB/T 2260 code: the 31 of the mainland, then Taiwan,
 * Hong Kong and Macau. */
static const struct province provinces[] = {
    {"11", "Beijing"},   {"12", "Tianjin"},        {"13", "Hebei"},     {"14", "Shanxi"},
    {"15", "Inner Mongolia"}, {"21", "Liaoning"},  {"22", "Jilin"},     {"23", "Heilongjiang"},
    {"31", "Shanghai"},  {"32", "Jiangsu"},        {"33", "Zhejiang"},  {"34", "Anhui"},
    {"35", "Fujian"},    {"36", "Jiangxi"},        {"37", "Shandong"},  {"41", "Henan"},
    {"42", "Hubei"},     {"43", "Hunan"},          {"44", "Guangdong"}, {"45", "Guangxi"},
    {"46", "Hainan"},    {"50", "Chongqing"},      {"51", "Sichuan"},   {"52", "Guizhou"},
    {"53", "Yunnan"},    {"54", "Tibet"},          {"61", "Shaanxi"},   {"62", "Gansu"},
    {"63", "Qinghai"},   {"64", "Ningxia"},        {"65", "Xinjiang"},  {"71", "Taiwan"},
    {"81", "Hong Kong"}, {"82", "Macau"},
};

struct region {
    const char code[7];
    const char *name;
};

/* Real county-level GB/T 2260 codes (districts of provincial capitals and a few other
 * cities), sorted ascending for binary search. Only for names (and the synth generator, which
 * draws ID regions from it): validation does not require a code to be here. */
static const struct region regions[] = {
    {"110101", "Dongcheng"},  {"110102", "Xicheng"},     {"110105", "Chaoyang"},
    {"110106", "Fengtai"},    {"110107", "Shijingshan"}, {"110108", "Haidian"},
    {"120101", "Heping"},     {"120102", "Hedong"},      {"120103", "Hexi"},
    {"120104", "Nankai"},     {"120105", "Hebei"},       {"120106", "Hongqiao"},
    {"130102", "Chang'an"},   {"130104", "Qiaoxi"},      {"130105", "Xinhua"},
    {"130202", "Lunan"},      {"130203", "Lubei"},       {"130602", "Jingxiu"},
    {"140105", "Xiaodian"},   {"140106", "Yingze"},      {"140107", "Xinghualing"},
    {"140108", "Jiancaoping"}, {"150102", "Xincheng"},   {"150103", "Huimin"},
    {"150104", "Yuquan"},     {"150105", "Saihan"},      {"210102", "Heping"},
    {"210103", "Shenhe"},     {"210104", "Dadong"},      {"210202", "Zhongshan"},
    {"210203", "Xigang"},     {"210204", "Shahekou"},    {"220102", "Nanguan"},
    {"220103", "Kuancheng"},  {"220104", "Chaoyang"},    {"220105", "Erdao"},
    {"230102", "Daoli"},      {"230103", "Nangang"},     {"230104", "Daowai"},
    {"310101", "Huangpu"},    {"310104", "Xuhui"},       {"310105", "Changning"},
    {"310106", "Jing'an"},    {"310107", "Putuo"},       {"310110", "Yangpu"},
    {"310115", "Pudong"},     {"320102", "Xuanwu"},      {"320104", "Qinhuai"},
    {"320105", "Jianye"},     {"320106", "Gulou"},       {"320505", "Huqiu"},
    {"320508", "Gusu"},       {"330102", "Shangcheng"},  {"330105", "Gongshu"},
    {"330106", "Xihu"},       {"330108", "Binjiang"},    {"330203", "Haishu"},
    {"330302", "Lucheng"},    {"340102", "Yaohai"},      {"340103", "Luyang"},
    {"340104", "Shushan"},    {"340111", "Baohe"},       {"350102", "Gulou"},
    {"350103", "Taijiang"},   {"350104", "Cangshan"},    {"350203", "Siming"},
    {"350206", "Huli"},       {"360102", "Donghu"},      {"360103", "Xihu"},
    {"360104", "Qingyunpu"},  {"370102", "Lixia"},       {"370103", "Shizhong"},
    {"370104", "Huaiyin"},    {"370202", "Shinan"},      {"370203", "Shibei"},
    {"410102", "Zhongyuan"},  {"410103", "Erqi"},        {"410104", "Guancheng"},
    {"410105", "Jinshui"},    {"420102", "Jiang'an"},    {"420103", "Jianghan"},
    {"420104", "Qiaokou"},    {"420106", "Wuchang"},     {"420111", "Hongshan"},
    {"430102", "Furong"},     {"430103", "Tianxin"},     {"430104", "Yuelu"},
    {"430105", "Kaifu"},      {"440103", "Liwan"},       {"440104", "Yuexiu"},
    {"440105", "Haizhu"},     {"440106", "Tianhe"},      {"440303", "Luohu"},
    {"440304", "Futian"},     {"440305", "Nanshan"},     {"450102", "Xingning"},
    {"450103", "Qingxiu"},    {"450105", "Jiangnan"},    {"460105", "Xiuying"},
    {"460106", "Longhua"},    {"460107", "Qiongshan"},   {"460108", "Meilan"},
    {"500101", "Wanzhou"},    {"500103", "Yuzhong"},     {"500105", "Jiangbei"},
    {"500106", "Shapingba"},  {"500108", "Nan'an"},      {"510104", "Jinjiang"},
    {"510105", "Qingyang"},   {"510106", "Jinniu"},      {"510107", "Wuhou"},
    {"510108", "Chenghua"},   {"520102", "Nanming"},     {"520103", "Yunyan"},
    {"520111", "Huaxi"},      {"530102", "Wuhua"},       {"530103", "Panlong"},
    {"530111", "Guandu"},     {"530112", "Xishan"},      {"540102", "Chengguan"},
    {"540121", "Lhunzhub"},   {"540122", "Damxung"},     {"540124", "Qushui"},
    {"610102", "Xincheng"},   {"610103", "Beilin"},      {"610104", "Lianhu"},
    {"610113", "Yanta"},      {"620102", "Chengguan"},   {"620103", "Qilihe"},
    {"620104", "Xigu"},       {"620105", "Anning"},      {"630102", "Chengdong"},
    {"630103", "Chengzhong"}, {"630104", "Chengxi"},     {"630105", "Chengbei"},
    {"640104", "Xingqing"},   {"640105", "Xixia"},       {"640106", "Jinfeng"},
    {"650102", "Tianshan"},   {"650103", "Saybagh"},     {"650104", "Xinshi"},
    {"650105", "Shuimogou"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

char cw_idcard_check_char(const char *first17)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char map[] = "10X98765432";
    if (!first17)
        return 0;
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!is_digit(first17[i])) /* also stops at a NUL */
            return 0;
        sum += (first17[i] - '0') * w[i];
    }
    return map[sum % 11];
}

static int num(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

static int valid_date(int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < CW_IDCARD_MIN_YEAR || y > CW_IDCARD_MAX_YEAR || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

static const struct region *find_region(const char *code6)
{
    size_t lo = 0, hi = NELEM(regions);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(code6, regions[mid].code, 6);
        if (c == 0)
            return &regions[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* The province of a plausible region code (6 digits), or NULL. The whole GB/T 2260 is not
 * embedded (thousands of codes, revised yearly, and retired codes stay on issued cards), so
 * the form is checked: a mainland province, then prefecture 01..99 and county 00..99; Taiwan,
 * Hong Kong and Macau only as NN0000; and 830000, the residence permit of Taiwan residents. */
static const char *region_province(const char *code6)
{
    if (memcmp(code6, "830000", 6) == 0)
        return "71";
    for (size_t i = 0; i < NELEM(provinces); i++) {
        const char *p = provinces[i].code;
        if (p[0] != code6[0] || p[1] != code6[1])
            continue;
        if (p[0] == '7' || p[0] == '8') /* 71, 81, 82: no subdivisions in use */
            return memcmp(code6 + 2, "0000", 4) == 0 ? p : NULL;
        return num(code6 + 2, 2) >= 1 ? p : NULL;
    }
    return NULL;
}

int cw_idcard_validate(const char *id, size_t len, struct cw_idcard_info *out)
{
    if (!id || len != 18)
        return CW_IDCARD_ELENGTH;
    for (int i = 0; i < 17; i++)
        if (!is_digit(id[i]))
            return CW_IDCARD_ENONDIGIT;
    char last = id[17] == 'x' ? 'X' : id[17];
    if (!is_digit(last) && last != 'X')
        return CW_IDCARD_ENONDIGIT;
    if (cw_idcard_check_char(id) != last)
        return CW_IDCARD_ECHECK;
    int y = num(id + 6, 4), m = num(id + 10, 2), d = num(id + 12, 2);
    if (!valid_date(y, m, d))
        return CW_IDCARD_EBIRTH;
    const char *prov = region_province(id);
    if (!prov)
        return CW_IDCARD_EREGION;
    if (out) {
        const struct region *r = find_region(id);
        memcpy(out->region, id, 6);
        out->region[6] = 0;
        memcpy(out->province, prov, 2);
        out->province[2] = 0;
        out->province_name = cw_province_name(prov);
        out->region_name = r ? r->name : NULL;
        out->birth_year = y;
        out->birth_month = m;
        out->birth_day = d;
        out->sex = (id[16] - '0') % 2 ? 'M' : 'F';
    }
    return CW_IDCARD_OK;
}

const char *cw_idcard_reason(int code)
{
    switch (code) {
    case CW_IDCARD_OK: return "ok";
    case CW_IDCARD_ELENGTH: return "length";
    case CW_IDCARD_ENONDIGIT: return "non-digit";
    case CW_IDCARD_ECHECK: return "check digit";
    case CW_IDCARD_EBIRTH: return "birth date";
    case CW_IDCARD_EREGION: return "region code";
    default: return "unknown";
    }
}

int cw_idcard_mask(const char *id, char out[20])
{
    if (!out)
        return CW_EINVAL;
    out[0] = 0;
    if (!id)
        return CW_EINVAL;
    size_t n = strlen(id);
    if (n < 11) {
        memset(out, '*', n);
        out[n] = 0;
        return CW_EINVAL;
    }
    size_t hidden = n - 10;
    if (hidden > 8)
        hidden = 8;
    memcpy(out, id, 6);
    memset(out + 6, '*', hidden);
    memcpy(out + 6 + hidden, id + n - 4, 4);
    out[6 + hidden + 4] = 0;
    return n == 18 ? 0 : CW_EINVAL;
}

const char *cw_province_name(const char *code2)
{
    if (!code2 || !is_digit(code2[0]) || !is_digit(code2[1]))
        return NULL;
    for (size_t i = 0; i < NELEM(provinces); i++)
        if (provinces[i].code[0] == code2[0] && provinces[i].code[1] == code2[1])
            return provinces[i].name;
    return NULL;
}

size_t cw_province_count(void)
{
    return NELEM(provinces);
}

const char *cw_province_code_at(size_t i)
{
    return i < NELEM(provinces) ? provinces[i].code : NULL;
}

size_t cw_idcard_region_count(void)
{
    return NELEM(regions);
}

const char *cw_idcard_region_code_at(size_t i)
{
    return i < NELEM(regions) ? regions[i].code : NULL;
}

const char *cw_idcard_region_name(const char *code6)
{
    if (!code6)
        return NULL;
    for (int i = 0; i < 6; i++)
        if (!is_digit(code6[i]))
            return NULL;
    const struct region *r = find_region(code6);
    return r ? r->name : NULL;
}
