/*
 * bench/store.c - the store against SQLite on one generated data set.
 *
 * Generates COUNT customers from a seeded PRNG (Chinese and Latin names,
 * one to three phones in the spellings people use, an email, a company),
 * loads them through the real store API in batches, then times phone and
 * name-prefix searches. The same records go into SQLite with the same
 * batch size and the indexes the issue names, and the figures are printed
 * side by side. Each side runs in a child process of its own, so the peak
 * RSS reported is that side's alone and a crash in one still reports the
 * other.
 *
 * usage: store [-n COUNT] [-d DIR] [-q QUERIES] [--batch N] [--seed S]
 *              [--cache MIB] [--all] [--keep] [--only tcrm|sqlite]
 *
 *   -n COUNT     customers to load (1000000)
 *   -d DIR       scratch directory (a new one under $TMPDIR); the data
 *                goes in DIR/tcrm and DIR/sqlite, removed after each side
 *   -q QUERIES   lookups of each kind (10000), each run twice: a first
 *                pass right after reopening, then the same queries warm
 *   --batch N    records per transaction on both sides (5000)
 *   --cache MIB  page cache of each side (512, as DESIGN.md asks)
 *   --all        search every searchable entity, as the desk does,
 *                instead of customers alone (SQLite has only those)
 *   --keep       leave the data directories for db_stat and friends
 *   --only SIDE  run one side (tcrm or sqlite)
 *
 * The forms come from $TCRM_FORMS (default ./forms). Exit status 1 means a
 * side failed or a lookup missed the customer it was made from; a missed
 * latency or load target is reported, not an error.
 */
#include "tcrm.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RESULT_LIMIT 20
#define CACHE_MIB 512
#define TARGET_PHONE_P99_US 50.0
#define TARGET_PREFIX_P99_US 200.0
#define PHONE_FORMATS 6
#define SELF_CHECK_RECORDS 2000

struct opts {
	uint32_t n;
	uint32_t batch;
	uint32_t queries;
	uint64_t seed;
	char *dir;
	bool keep;
	long cache_mib;		/* each side's page cache */
	bool all;		/* search every searchable entity, as the desk */
	const char *only;	/* "tcrm" or "sqlite": run one side */
};

/* ---- deterministic data ------------------------------------------------ */

struct rng {
	uint64_t s;
};

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Record i of stream k is reproducible on its own: the loader and the
 * query maker each regenerate it instead of keeping a million in memory. */
static void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream, uint64_t i)
{
	r->s = mix64(seed ^ mix64(stream << 40 ^ i));
}

static uint64_t
rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) ((a)[rng_below((r), (uint32_t)NELEM(a))])

static const char *const cn_surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
	"马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋",
	"唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁",
	"潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
	"任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
	"石", "廖", "贾", "夏", "韦", "方", "白", "邹", "孟", "熊", "秦", "邱",
	"江", "尹", "薛", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾",
	"毛", "郝", "龚", "邵", "万", "钱", "严", "武", "戴", "莫", "孔", "汤"
};
static const char *const cn_double_surnames[] = {
	"欧阳", "司马", "诸葛", "上官", "东方", "慕容", "皇甫", "令狐", "司徒",
	"尉迟", "公孙", "夏侯", "长孙", "宇文", "端木", "独孤"
};
static const char *const cn_given[] = {
	"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳",
	"杰", "娟", "涛", "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华",
	"玉", "兰", "萍", "红", "鹏", "辉", "建", "国", "文", "志", "海", "燕",
	"玲", "飞", "鑫", "波", "宇", "浩", "俊", "晨", "欣", "怡", "婷", "雪",
	"琳", "梅", "斌", "峰", "亮", "健", "博", "轩", "涵", "子", "梓", "诗",
	"雨", "佳", "嘉", "思", "晓", "春", "秋", "冬", "丹", "颖", "慧", "倩",
	"莉", "凯", "宁", "瑞", "成", "德", "永", "新", "龙", "云", "天", "一"
};
static const char *const pinyin[] = {
	"wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu",
	"zhou", "xu", "sun", "ma", "zhu", "hu", "guo", "he", "gao", "lin",
	"luo", "wei", "fang", "na", "min", "jing", "qiang", "lei", "jun",
	"yong", "yan", "jie", "tao", "ming", "chao", "xiu", "xia", "ping",
	"hua", "yu", "hong", "peng", "hui", "guo", "wen", "hai", "fei", "xin"
};
static const char *const latin_first[] = {
	"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael",
	"Linda", "William", "Elizabeth", "David", "Barbara", "Richard", "Susan",
	"Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
	"Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony",
	"Margaret", "Mark", "Sandra", "Donald", "Ashley", "Steven", "Emily",
	"Paul", "Donna", "Andrew", "Michelle", "Kevin", "Amanda", "Brian",
	"Melissa", "George", "Deborah", "Timothy", "Stephanie", "Jean-Luc",
	"Anne-Marie", "José", "Zoë", "Søren", "Chloé", "Ólafur", "François",
	"Ingrid", "Mateo", "Lucía", "Giulia", "Hans", "Fatima", "Priya",
	"Rahul", "Aiko", "Hiroshi", "Olga", "Dmitri", "Noah", "Liam", "Emma",
	"Olivia", "Sophia", "Isabella", "Lucas", "Ethan", "Mia", "Ava"
};
static const char *const latin_last[] = {
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller",
	"Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez",
	"Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
	"Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
	"Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
	"Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
	"Carter", "Roberts", "O'Brien", "Müller", "Schmidt", "Dubois", "Rossi",
	"Tanaka", "Kim", "Singh", "Ivanova", "Novak", "Kowalski", "Larsen",
	"Van der Berg", "De la Cruz", "MacDonald", "Fischer", "Weber", "Bauer"
};
static const char *const cn_cities[] = {
	"北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安",
	"苏州", "天津", "重庆", "厦门", "青岛", "长沙", "郑州"
};
static const char *const cn_brands[] = {
	"华信", "恒通", "中科", "金鼎", "宏达", "鑫源", "博远", "天成", "东方",
	"盛世", "瑞丰", "新纪元", "汇智", "远航", "星辰", "银河", "长城", "海纳"
};
static const char *const cn_trades[] = {
	"科技", "贸易", "物流", "电子", "网络", "医药", "建设", "餐饮", "教育",
	"文化传媒", "信息技术", "食品", "实业", "投资"
};
static const char *const cn_suffixes[] = {
	"有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司"
};
static const char *const latin_trades[] = {
	"Trading", "Logistics", "Systems", "Foods", "Consulting", "Partners",
	"Electronics", "Holdings", "Software", "Textiles", "Imports", "Media"
};
static const char *const latin_suffixes[] = {
	"Ltd", "Inc.", "GmbH", "LLC", "Co., Ltd.", "S.A.", "Pte Ltd", "B.V."
};
static const char *const domains[] = {
	"qq.com", "163.com", "126.com", "sina.com", "gmail.com", "outlook.com",
	"foxmail.com", "yahoo.com", "example.cn", "mail.example.com"
};
static const char *const mobile_prefixes[] = {
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"150", "151", "152", "153", "155", "156", "157", "158", "159", "166",
	"170", "176", "177", "178", "180", "181", "182", "183", "184", "185",
	"186", "187", "188", "189", "191", "198", "199"
};
/* Area codes without the trunk 0; local numbers have eight digits. */
static const char *const area_codes[] = {
	"10", "21", "20", "22", "23", "24", "25", "27", "28", "29", "571",
	"755", "512", "531", "871", "898"
};

struct phone_spec {
	bool landline;
	char area[4];
	char number[12];	/* mobile: 11 digits; landline: 8 */
	unsigned fmt;		/* spelling it is stored in */
};

struct customer {
	char name[96];
	char company[160];
	char email[128];
	char phones[200];	/* '\n' separated, as the phones type stores */
	char phone_text[3][48];
	struct phone_spec phone[3];
	unsigned nphones;
	bool latin;
};

static void
digits(struct rng *r, char *out, size_t n, char first_min)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (char)('0' + rng_below(r, 10));
	if (n > 0 && out[0] < first_min)
		out[0] = first_min;
	out[n] = '\0';
}

/* Every spelling of one number; the store must find each by any other. */
static void
phone_render(const struct phone_spec *p, unsigned fmt, char *out, size_t size)
{
	const char *n = p->number, *a = p->area;

	if (!p->landline) {
		switch (fmt % PHONE_FORMATS) {
		case 0:
			snprintf(out, size, "+86 %.3s-%.4s-%.4s", n, n + 3, n + 7);
			break;
		case 1:
			snprintf(out, size, "%s", n);
			break;
		case 2:
			snprintf(out, size, "0086 %.3s %.4s %.4s", n, n + 3, n + 7);
			break;
		case 3:
			snprintf(out, size, "%.3s %.4s %.4s", n, n + 3, n + 7);
			break;
		case 4:
			snprintf(out, size, "+86%s", n);
			break;
		default:
			snprintf(out, size, "%.3s-%.4s-%.4s", n, n + 3, n + 7);
			break;
		}
		return;
	}
	switch (fmt % PHONE_FORMATS) {
	case 0:
		snprintf(out, size, "0%s-%.4s %.4s", a, n, n + 4);
		break;
	case 1:
		snprintf(out, size, "(0%s) %s", a, n);
		break;
	case 2:
		snprintf(out, size, "+86 %s %.4s %.4s", a, n, n + 4);
		break;
	case 3:
		snprintf(out, size, "0%s%s", a, n);
		break;
	case 4:
		snprintf(out, size, "+86-%s-%s", a, n);
		break;
	default:
		snprintf(out, size, "0086 %s %s", a, n);
		break;
	}
}

static void
gen_phone(struct rng *r, struct phone_spec *p)
{
	memset(p, 0, sizeof *p);
	p->landline = rng_below(r, 100) < 15;
	if (p->landline) {
		snprintf(p->area, sizeof p->area, "%s", PICK(r, area_codes));
		digits(r, p->number, 8, '2');
	} else {
		memcpy(p->number, PICK(r, mobile_prefixes), 3);
		digits(r, p->number + 3, 8, '0');
	}
	p->fmt = rng_below(r, PHONE_FORMATS);
}

/* Lower-case ASCII letters of s, for an email's local part. */
static void
ascii_handle(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			out[n++] = (char)(c - 'A' + 'a');
		else if (c >= 'a' && c <= 'z')
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

static void
gen_person(struct rng *r, struct customer *c, uint32_t i)
{
	char first[32], last[32];
	const char *f, *l;

	c->latin = rng_below(r, 100) < 30;
	if (c->latin) {
		f = PICK(r, latin_first);
		l = PICK(r, latin_last);
		snprintf(c->name, sizeof c->name, "%s %s", f, l);
		ascii_handle(f, first, sizeof first);
		ascii_handle(l, last, sizeof last);
		snprintf(c->email, sizeof c->email, "%s.%s.%" PRIu32 "@%s",
		    first, last, i, PICK(r, domains));
		return;
	}
	f = rng_below(r, 100) < 4 ? PICK(r, cn_double_surnames) :
	    PICK(r, cn_surnames);
	l = PICK(r, cn_given);
	if (rng_below(r, 100) < 65)
		snprintf(c->name, sizeof c->name, "%s%s%s", f, l,
		    PICK(r, cn_given));
	else
		snprintf(c->name, sizeof c->name, "%s%s", f, l);
	snprintf(c->email, sizeof c->email, "%s%s%" PRIu32 "@%s",
	    PICK(r, pinyin), PICK(r, pinyin), i, PICK(r, domains));
}

static void
gen_company(struct rng *r, struct customer *c)
{
	if (rng_below(r, 100) < 60)
		snprintf(c->company, sizeof c->company, "%s%s%s%s",
		    PICK(r, cn_cities), PICK(r, cn_brands), PICK(r, cn_trades),
		    PICK(r, cn_suffixes));
	else
		snprintf(c->company, sizeof c->company, "%s %s %s",
		    PICK(r, latin_last), PICK(r, latin_trades),
		    PICK(r, latin_suffixes));
}

static void
gen_customer(uint64_t seed, uint32_t i, struct customer *c)
{
	struct rng r;
	unsigned roll;
	size_t len = 0;

	rng_seed(&r, seed, 1, i);
	memset(c, 0, sizeof *c);
	gen_person(&r, c, i);
	gen_company(&r, c);
	roll = rng_below(&r, 100);
	c->nphones = roll < 50 ? 1 : roll < 85 ? 2 : 3;
	for (unsigned k = 0; k < c->nphones; k++) {
		gen_phone(&r, &c->phone[k]);
		phone_render(&c->phone[k], c->phone[k].fmt, c->phone_text[k],
		    sizeof c->phone_text[k]);
		len += (size_t)snprintf(c->phones + len, sizeof c->phones - len,
		    "%s%s", k ? "\n" : "", c->phone_text[k]);
	}
}

/* ---- queries ------------------------------------------------------------ */

struct query {
	char *text;
	uint32_t want;		/* phone: the id that must be among the hits */
};

struct workload {
	struct query *phone;
	struct query *prefix;
	size_t n;
};

/* The first 2 or 3 characters of a name, in another case for Latin
 * names so the folding is part of what is measured. */
static char *
name_prefix(struct rng *r, const struct customer *c)
{
	size_t want = 2 + rng_below(r, 2), chars = 0, end = 0;
	unsigned how = rng_below(r, 3);
	char *q;

	while (c->name[end] != '\0' && chars < want) {
		end++;
		while (((unsigned char)c->name[end] & 0xc0) == 0x80)
			end++;
		chars++;
	}
	q = xstrndup(c->name, end);
	for (char *p = q; c->latin && *p != '\0'; p++) {
		if (how == 1 && *p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (how == 2 && *p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
	return q;
}

static void
workload_make(const struct opts *o, struct workload *w)
{
	struct customer c;
	struct rng r;
	char text[64];

	w->n = o->queries;
	w->phone = xcalloc(w->n, sizeof *w->phone);
	w->prefix = xcalloc(w->n, sizeof *w->prefix);
	for (size_t k = 0; k < w->n; k++) {
		uint32_t j;
		unsigned p, fmt;

		rng_seed(&r, o->seed, 2, k);
		j = rng_below(&r, o->n);
		gen_customer(o->seed, j, &c);
		p = rng_below(&r, c.nphones);
		fmt = (c.phone[p].fmt + 1 + rng_below(&r, PHONE_FORMATS - 1)) %
		    PHONE_FORMATS;
		phone_render(&c.phone[p], fmt, text, sizeof text);
		w->phone[k].text = xstrdup(text);
		w->phone[k].want = j + 1;

		rng_seed(&r, o->seed, 3, k);
		j = rng_below(&r, o->n);
		gen_customer(o->seed, j, &c);
		w->prefix[k].text = name_prefix(&r, &c);
	}
}

static void
workload_free(struct workload *w)
{
	for (size_t k = 0; k < w->n; k++) {
		free(w->phone[k].text);
		free(w->prefix[k].text);
	}
	free(w->phone);
	free(w->prefix);
}

/* ---- measurement -------------------------------------------------------- */

enum { PASS_FIRST, PASS_WARM, PASSES };

struct lat {
	double p50, p99, max;	/* microseconds */
};

/* What one side reports, written by the child into shared memory. */
struct side {
	int state;		/* 0 not run, 1 done, -1 failed */
	char err[512];
	uint32_t loaded;
	double load_s;		/* open, every batch, final sync and close */
	double sync_s;		/* the final checkpoint and close alone */
	unsigned splits;	/* batches halved after running out of locks */
	struct lat phone[PASSES];
	struct lat prefix[PASSES];
	uint32_t phone_missed;
	uint32_t prefix_empty;
	double prefix_hits;
	uint64_t disk;
	long rss_kib;
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentiles. */
static struct lat
lat_summary(int64_t *ns, size_t n)
{
	struct lat l = { 0, 0, 0 };

	if (n == 0)
		return l;
	qsort(ns, n, sizeof *ns, cmp_i64);
	l.p50 = (double)ns[(n * 50 + 99) / 100 - 1] / 1000.0;
	l.p99 = (double)ns[(n * 99 + 99) / 100 - 1] / 1000.0;
	l.max = (double)ns[n - 1] / 1000.0;
	return l;
}

static void
side_fail(struct side *out, const char *fmt, ...) TCRM_ATTR_PRINTF(2, 3);

static void
side_fail(struct side *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->err, sizeof out->err, fmt, ap);
	va_end(ap);
	out->state = -1;
}

static void
progress(const char *side, uint32_t done, uint32_t n, int64_t t0)
{
	double s = (double)(now_ns() - t0) / 1e9;

	fprintf(stderr, "%s: %" PRIu32 "/%" PRIu32 " loaded, %.0f records/s\n",
	    side, done, n, s > 0 ? done / s : 0.0);
}

static bool
progress_due(uint32_t done, uint32_t n, uint32_t batch)
{
	uint32_t step = n / 10 > batch ? n / 10 : batch;

	return done == n || done / step != (done - batch) / step;
}

/* Bytes a directory's files take, leaving out Berkeley DB's region files
 * (the cache and lock table mapped from __db.NNN). */
static uint64_t du_total;

static int
du_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_F && strncmp(path + ftw->base, "__db.", 5) != 0)
		du_total += (uint64_t)st->st_blocks * 512;
	return 0;
}

static uint64_t
dir_bytes(const char *dir)
{
	du_total = 0;
	nftw(dir, du_visit, 16, FTW_PHYS);
	return du_total;
}

static int
rm_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void
rm_tree(const char *dir)
{
	nftw(dir, rm_visit, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- tcrm --------------------------------------------------------------- */

struct tcrm_load {
	const struct entity *e;
	uint64_t seed;
	uint32_t from, to;
};

static int
tcrm_load_txn(struct store *s, struct txn *t, void *arg)
{
	const struct tcrm_load *l = arg;
	struct customer c;
	struct record r;
	int rc = ST_OK;

	for (uint32_t i = l->from; i < l->to && rc == ST_OK; i++) {
		gen_customer(l->seed, i, &c);
		record_init(&r);
		record_set(&r, "name", c.name);
		record_set(&r, "company", c.company);
		record_set(&r, "phones", c.phones);
		record_set(&r, "email", c.email);
		rc = store_create(s, t, l->e, &r);
		record_free(&r);
	}
	return rc;
}

/* A batch that runs out of lock entries is retried as two halves, as
 * DESIGN.md says an importer must; the count shows in the report. */
static int
tcrm_load_range(struct store *s, struct tcrm_load *l, struct side *out)
{
	struct tcrm_load half = *l;
	int rc;

	rc = store_run(s, tcrm_load_txn, l);
	if (rc != ST_NOSPACE || l->to - l->from < 2)
		return rc;
	out->splits++;
	half.to = l->from + (l->to - l->from) / 2;
	if ((rc = tcrm_load_range(s, &half, out)) != ST_OK)
		return rc;
	half.from = half.to;
	half.to = l->to;
	return tcrm_load_range(s, &half, out);
}

/* Written before the environment exists, so the store keeps it instead
 * of installing its default. */
static int
write_db_config(const char *home, long cache_mib)
{
	char *path = xasprintf("%s/DB_CONFIG", home);
	FILE *f = fopen(path, "w");

	free(path);
	if (f == NULL)
		return -1;
	fprintf(f,
	    "# Written by bench/store (--cache). DESIGN.md: at a million\n"
	    "# customers a 512 MiB cache keeps search tails short.\n"
	    "set_cachesize %ld %ld 1\n"
	    "# One batch write-locks a leaf page in each of about ten btrees\n"
	    "# per record; the defaults run out long before a million.\n"
	    "set_lk_max_locks 300000\n"
	    "set_lk_max_objects 300000\n"
	    "set_lk_max_lockers 20000\n"
	    "set_tx_max 1000\n"
	    "set_lk_detect DB_LOCK_DEFAULT\n"
	    "set_lg_max 16777216\n"
	    "set_lg_bsize 1048576\n", cache_mib / 1024,
	    cache_mib % 1024 * 1024 * 1024);
	return fclose(f) == 0 ? 0 : -1;
}

static int
tcrm_forms(struct forms **forms, const struct entity **e, struct side *out)
{
	const char *dir = getenv("TCRM_FORMS");
	const char *need[] = { "name", "company", "phones", "email" };
	struct strv diags;
	int rc;

	if (dir == NULL || *dir == '\0')
		dir = "forms";
	strv_init(&diags);
	rc = forms_load(dir, forms, &diags);
	if (rc != 0) {
		side_fail(out, "%s: %s", dir, diags.n ? diags.v[0] :
		    "cannot load the forms");
		strv_free(&diags);
		return -1;
	}
	strv_free(&diags);
	if ((*e = forms_entity(*forms, "customer")) == NULL) {
		side_fail(out, "%s: no customer entity", dir);
		return -1;
	}
	for (size_t i = 0; i < NELEM(need); i++) {
		if (entity_field(*e, need[i]) == NULL) {
			side_fail(out, "%s: customer has no field %s", dir,
			    need[i]);
			return -1;
		}
	}
	return 0;
}

static int
tcrm_load(const struct opts *o, const char *home, struct forms *forms,
    const struct entity *e, struct side *out)
{
	struct store_opts so = { .home = home, .forms = forms, .user = "bench",
	    .import_id = "bench-store", .nosync = true };
	struct tcrm_load l = { e, o->seed, 0, 0 };
	struct store *s;
	int64_t t0, t1;
	int rc;

	t0 = now_ns();
	if ((rc = store_open(&s, &so)) != ST_OK) {
		side_fail(out, "open %s: %s", home, store_error(s));
		store_close(s);
		return -1;
	}
	for (l.from = 0; l.from < o->n; l.from = l.to) {
		l.to = o->n - l.from > o->batch ? l.from + o->batch : o->n;
		if ((rc = tcrm_load_range(s, &l, out)) != ST_OK) {
			side_fail(out, "load at %" PRIu32 ": %s", l.from,
			    store_error(s));
			store_close(s);
			return -1;
		}
		out->loaded = l.to;
		if (progress_due(l.to, o->n, o->batch))
			progress("tcrm", l.to, o->n, t0);
	}
	t1 = now_ns();
	store_close(s);
	out->sync_s = (double)(now_ns() - t1) / 1e9;
	out->load_s = (double)(now_ns() - t0) / 1e9;
	return 0;
}

static bool
hits_have(const struct hits *h, uint32_t id)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->v[i].id == id)
			return true;
	}
	return false;
}

static int
tcrm_queries(struct store *s, const struct entity *e,
    const struct workload *w, int pass, int64_t *ns, struct side *out)
{
	struct hits hits;
	size_t total = 0;
	int64_t t0;

	for (size_t k = 0; k < w->n; k++) {
		t0 = now_ns();
		if (store_find(s, w->phone[k].text, e, RESULT_LIMIT, &hits) !=
		    ST_OK) {
			side_fail(out, "find %s: %s", w->phone[k].text,
			    store_error(s));
			return -1;
		}
		ns[k] = now_ns() - t0;
		if (pass == PASS_WARM && !hits_have(&hits, w->phone[k].want))
			out->phone_missed++;
		hits_free(&hits);
	}
	out->phone[pass] = lat_summary(ns, w->n);
	for (size_t k = 0; k < w->n; k++) {
		t0 = now_ns();
		if (store_find(s, w->prefix[k].text, e, RESULT_LIMIT, &hits) !=
		    ST_OK) {
			side_fail(out, "find %s: %s", w->prefix[k].text,
			    store_error(s));
			return -1;
		}
		ns[k] = now_ns() - t0;
		if (pass == PASS_WARM) {
			total += hits.n;
			out->prefix_empty += hits.n == 0;
		}
		hits_free(&hits);
	}
	out->prefix[pass] = lat_summary(ns, w->n);
	if (pass == PASS_WARM)
		out->prefix_hits = (double)total / (double)w->n;
	return 0;
}

static void
tcrm_side(const struct opts *o, const struct workload *w, struct side *out)
{
	char *home = xasprintf("%s/tcrm", o->dir);
	struct store_opts so = { .home = home, .user = "bench" };
	const struct entity *e;
	struct forms *forms = NULL;
	struct store *s;
	int64_t *ns = xcalloc(w->n ? w->n : 1, sizeof *ns);

	store_catch_signals();
	if (tcrm_forms(&forms, &e, out) != 0)
		goto out;
	if (mkdir(home, 0700) != 0 || write_db_config(home, o->cache_mib) != 0) {
		side_fail(out, "%s: %s", home, strerror(errno));
		goto out;
	}
	if (tcrm_load(o, home, forms, e, out) != 0)
		goto out;
	out->disk = dir_bytes(home);
	so.forms = forms;
	if (store_open(&s, &so) != ST_OK) {
		side_fail(out, "reopen %s: %s", home, store_error(s));
		store_close(s);
		goto out;
	}
	for (int pass = 0; pass < PASSES; pass++) {
		if (tcrm_queries(s, o->all ? NULL : e, w, pass, ns, out) != 0)
			break;
	}
	store_close(s);
	if (out->state == 0)
		out->state = 1;
out:
	if (forms != NULL)
		forms_free(forms);
	free(ns);
	free(home);
}

/* ---- SQLite ------------------------------------------------------------- */

static const char sqlite_schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " name_folded TEXT NOT NULL, company TEXT, email TEXT UNIQUE);"
    "CREATE TABLE phones(customer_id INTEGER NOT NULL, digits TEXT NOT NULL);"
    "CREATE INDEX phones_digits ON phones(digits);"
    "CREATE INDEX customers_name ON customers(name_folded);";

static const char sqlite_find_phone[] =
    "SELECT c.id, c.name, c.company, c.email FROM phones p"
    " JOIN customers c ON c.id = p.customer_id WHERE p.digits = ?1"
    " LIMIT 20";

static const char sqlite_find_prefix[] =
    "SELECT id, name, company, email FROM customers"
    " WHERE name_folded >= ?1 AND name_folded < ?2"
    " ORDER BY name_folded LIMIT 20";

static int
sqlite_fail(sqlite3 *db, struct side *out, const char *what)
{
	side_fail(out, "sqlite %s: %s", what, db ? sqlite3_errmsg(db) :
	    "out of memory");
	return -1;
}

/* Both sides are given the same memory for their page cache. */
static int
sqlite_open(const char *path, long cache_mib, sqlite3 **db,
    struct side *out)
{
	char *sql;
	int rc;

	if (sqlite3_open(path, db) != SQLITE_OK)
		return sqlite_fail(*db, out, path);
	sql = xasprintf("PRAGMA cache_size=-%ld;", cache_mib * 1024);
	rc = sqlite3_exec(*db, sql, NULL, NULL, NULL);
	free(sql);
	return rc == SQLITE_OK ? 0 : sqlite_fail(*db, out, "cache_size");
}

static int
sqlite_add(sqlite3_stmt *ins_c, sqlite3_stmt *ins_p, uint32_t id,
    const struct customer *c)
{
	char *folded = utf8_fold(c->name);
	char key[PHONE_DIGITS_MAX + PHONE_EXT_MAX + 2];
	struct phone ph;
	int rc;

	sqlite3_bind_int64(ins_c, 1, id);
	sqlite3_bind_text(ins_c, 2, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins_c, 3, folded ? folded : c->name, -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(ins_c, 4, c->company, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins_c, 5, c->email, -1, SQLITE_STATIC);
	rc = sqlite3_step(ins_c);
	sqlite3_reset(ins_c);
	free(folded);
	if (rc != SQLITE_DONE)
		return -1;
	for (unsigned k = 0; k < c->nphones; k++) {
		if (phone_parse(c->phone_text[k], "86", &ph, NULL) != 0)
			continue;
		phone_key(&ph, key, sizeof key);
		sqlite3_bind_int64(ins_p, 1, id);
		sqlite3_bind_text(ins_p, 2, key, -1, SQLITE_STATIC);
		rc = sqlite3_step(ins_p);
		sqlite3_reset(ins_p);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

static int
sqlite_load(const struct opts *o, const char *path, struct side *out)
{
	sqlite3_stmt *ins_c = NULL, *ins_p = NULL;
	struct customer c;
	sqlite3 *db = NULL;
	int64_t t0, t1;
	int ret = -1;

	t0 = now_ns();
	if (sqlite_open(path, o->cache_mib, &db, out) != 0)
		goto out;
	if (sqlite3_exec(db, sqlite_schema, NULL, NULL, NULL) != SQLITE_OK) {
		sqlite_fail(db, out, "schema");
		goto out;
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO customers(id, name, "
	    "name_folded, company, email) VALUES(?1, ?2, ?3, ?4, ?5)", -1,
	    &ins_c, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO phones(customer_id, digits) "
	    "VALUES(?1, ?2)", -1, &ins_p, NULL) != SQLITE_OK) {
		sqlite_fail(db, out, "prepare");
		goto out;
	}
	for (uint32_t from = 0, to; from < o->n; from = to) {
		to = o->n - from > o->batch ? from + o->batch : o->n;
		if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
			sqlite_fail(db, out, "begin");
			goto out;
		}
		for (uint32_t i = from; i < to; i++) {
			gen_customer(o->seed, i, &c);
			if (sqlite_add(ins_c, ins_p, i + 1, &c) != 0) {
				sqlite_fail(db, out, "insert");
				goto out;
			}
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			sqlite_fail(db, out, "commit");
			goto out;
		}
		out->loaded = to;
		if (progress_due(to, o->n, o->batch))
			progress("sqlite", to, o->n, t0);
	}
	sqlite3_finalize(ins_c);
	sqlite3_finalize(ins_p);
	ins_c = ins_p = NULL;
	t1 = now_ns();
	if (sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE);", NULL, NULL,
	    NULL) != SQLITE_OK) {
		sqlite_fail(db, out, "checkpoint");
		goto out;
	}
	ret = sqlite3_close(db) == SQLITE_OK ? 0 : sqlite_fail(db, out, "close");
	db = NULL;
	out->sync_s = (double)(now_ns() - t1) / 1e9;
	out->load_s = (double)(now_ns() - t0) / 1e9;
out:
	sqlite3_finalize(ins_c);
	sqlite3_finalize(ins_p);
	if (db != NULL)
		sqlite3_close(db);
	return ret;
}

/* Rows copied out as the store's hits are, so both sides allocate. */
static int
sqlite_rows(sqlite3_stmt *st, struct hits *h)
{
	int rc;

	memset(h, 0, sizeof *h);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct hit *x;

		if (h->n == h->size) {
			h->size = h->size ? h->size * 2 : 16;
			h->v = xreallocarray(h->v, h->size, sizeof *h->v);
		}
		x = &h->v[h->n++];
		memset(x, 0, sizeof *x);
		x->id = (uint32_t)sqlite3_column_int64(st, 0);
		x->title = xstrdup((const char *)sqlite3_column_text(st, 1));
		x->subtitle = xstrdup(sqlite3_column_text(st, 2) ?
		    (const char *)sqlite3_column_text(st, 2) : "");
		x->email = xstrdup(sqlite3_column_text(st, 3) ?
		    (const char *)sqlite3_column_text(st, 3) : "");
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
sqlite_find_phone_key(sqlite3_stmt *st, const char *q, struct hits *h)
{
	char *key = phone_query_key(q, "86");
	int rc;

	if (key == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite_rows(st, h);
	free(key);
	return rc;
}

static int
sqlite_find_name(sqlite3_stmt *st, const char *q, struct hits *h)
{
	char *lo = utf8_fold(q), *hi;
	size_t len;
	int rc;

	if (lo == NULL || (len = strlen(lo)) == 0) {
		free(lo);
		return -1;
	}
	/* Past every key with this prefix: bump the last byte. */
	hi = xstrdup(lo);
	hi[len - 1] = (char)((unsigned char)hi[len - 1] + 1);
	sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	rc = sqlite_rows(st, h);
	free(lo);
	free(hi);
	return rc;
}

static int
sqlite_queries(sqlite3 *db, sqlite3_stmt *phone, sqlite3_stmt *prefix,
    const struct workload *w, int pass, int64_t *ns, struct side *out)
{
	struct hits hits;
	size_t total = 0;
	int64_t t0;

	for (size_t k = 0; k < w->n; k++) {
		t0 = now_ns();
		if (sqlite_find_phone_key(phone, w->phone[k].text, &hits) != 0)
			return sqlite_fail(db, out, w->phone[k].text);
		ns[k] = now_ns() - t0;
		if (pass == PASS_WARM && !hits_have(&hits, w->phone[k].want))
			out->phone_missed++;
		hits_free(&hits);
	}
	out->phone[pass] = lat_summary(ns, w->n);
	for (size_t k = 0; k < w->n; k++) {
		t0 = now_ns();
		if (sqlite_find_name(prefix, w->prefix[k].text, &hits) != 0)
			return sqlite_fail(db, out, w->prefix[k].text);
		ns[k] = now_ns() - t0;
		if (pass == PASS_WARM) {
			total += hits.n;
			out->prefix_empty += hits.n == 0;
		}
		hits_free(&hits);
	}
	out->prefix[pass] = lat_summary(ns, w->n);
	if (pass == PASS_WARM)
		out->prefix_hits = (double)total / (double)w->n;
	return 0;
}

static void
sqlite_side(const struct opts *o, const struct workload *w, struct side *out)
{
	char *dir = xasprintf("%s/sqlite", o->dir);
	char *path = xasprintf("%s/bench.db", dir);
	sqlite3_stmt *phone = NULL, *prefix = NULL;
	int64_t *ns = xcalloc(w->n ? w->n : 1, sizeof *ns);
	sqlite3 *db = NULL;

	if (mkdir(dir, 0700) != 0) {
		side_fail(out, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (sqlite_load(o, path, out) != 0)
		goto out;
	out->disk = dir_bytes(dir);
	if (sqlite_open(path, o->cache_mib, &db, out) != 0)
		goto out;
	if (sqlite3_prepare_v2(db, sqlite_find_phone, -1, &phone, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(db, sqlite_find_prefix, -1,
	    &prefix, NULL) != SQLITE_OK) {
		sqlite_fail(db, out, "prepare");
		goto out;
	}
	for (int pass = 0; pass < PASSES; pass++) {
		if (sqlite_queries(db, phone, prefix, w, pass, ns, out) != 0)
			break;
	}
	if (out->state == 0)
		out->state = 1;
out:
	sqlite3_finalize(phone);
	sqlite3_finalize(prefix);
	if (db != NULL)
		sqlite3_close(db);
	free(ns);
	free(path);
	free(dir);
}

/* ---- the parent --------------------------------------------------------- */

static volatile sig_atomic_t parent_signal;

static void
on_parent_signal(int sig)
{
	parent_signal = sig;
}

typedef void (*side_fn)(const struct opts *, const struct workload *,
    struct side *);

/* Run one side in a child; forward a signal to it and report how it
 * ended. The side's working directory is removed afterwards. */
static void
run_side(const char *name, side_fn fn, const struct opts *o,
    const struct workload *w, struct side *out)
{
	char *dir = xasprintf("%s/%s", o->dir, name);
	struct rusage ru;
	int status = 0;
	pid_t pid;

	memset(&ru, 0, sizeof ru);
	fflush(NULL);
	if ((pid = fork()) < 0) {
		side_fail(out, "fork: %s", strerror(errno));
		free(dir);
		return;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		fn(o, w, out);
		fflush(NULL);
		_exit(out->state == 1 ? 0 : 1);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			side_fail(out, "wait: %s", strerror(errno));
			break;
		}
		if (parent_signal)
			kill(pid, parent_signal);
	}
	out->rss_kib = ru.ru_maxrss;
	if (WIFSIGNALED(status) && out->state != -1)
		side_fail(out, "killed by signal %d", WTERMSIG(status));
	else if (out->state == 0)
		side_fail(out, "exited with status %d", WEXITSTATUS(status));
	if (!o->keep)
		rm_tree(dir);
	free(dir);
}

/* The generator must only make values the forms accept, and every
 * spelling of a number must give the same index key. */
static int
self_check(const struct opts *o)
{
	struct strv diags;
	struct forms *forms;
	const struct entity *e;
	const char *dir = getenv("TCRM_FORMS");
	const char *names[] = { "name", "company", "phones", "email" };
	uint32_t n = o->n < SELF_CHECK_RECORDS ? o->n : SELF_CHECK_RECORDS;
	int bad = 0;

	strv_init(&diags);
	if (dir == NULL || *dir == '\0')
		dir = "forms";
	if (forms_load(dir, &forms, &diags) != 0 ||
	    (e = forms_entity(forms, "customer")) == NULL) {
		fprintf(stderr, "store: %s: %s\n", dir, diags.n ? diags.v[0] :
		    "no customer entity");
		strv_free(&diags);
		return -1;
	}
	strv_free(&diags);
	for (uint32_t i = 0; i < n && bad < 5; i++) {
		struct customer c;
		const char *vals[4];

		gen_customer(o->seed, i, &c);
		vals[0] = c.name;
		vals[1] = c.company;
		vals[2] = c.phones;
		vals[3] = c.email;
		for (size_t f = 0; f < NELEM(names); f++) {
			const struct field *fd = entity_field(e, names[f]);
			char *v = NULL, *why = NULL;

			if (fd != NULL && field_normalise(fd, vals[f], &v,
			    &why) != 0) {
				fprintf(stderr, "store: generated %s '%s' "
				    "refused: %s\n", names[f], vals[f], why);
				bad++;
			}
			free(v);
			free(why);
		}
		for (unsigned k = 0; k < c.nphones; k++) {
			char first[64] = "", text[64], key[64];
			struct phone ph;

			for (unsigned fmt = 0; fmt < PHONE_FORMATS; fmt++) {
				phone_render(&c.phone[k], fmt, text, sizeof text);
				if (phone_parse(text, "86", &ph, NULL) != 0) {
					fprintf(stderr, "store: '%s' does not "
					    "parse\n", text);
					bad++;
					continue;
				}
				phone_key(&ph, key, sizeof key);
				if (*first == '\0')
					snprintf(first, sizeof first, "%s", key);
				else if (strcmp(first, key) != 0) {
					fprintf(stderr, "store: '%s' gives "
					    "%s, another spelling %s\n", text,
					    key, first);
					bad++;
				}
			}
		}
	}
	forms_free(forms);
	return bad ? -1 : 0;
}

static void
row(const char *metric, int decimals, double a, double b, bool ok_a,
    bool ok_b)
{
	char x[32] = "-", y[32] = "-", z[32] = "-";

	if (ok_a)
		snprintf(x, sizeof x, "%.*f", decimals, a);
	if (ok_b)
		snprintf(y, sizeof y, "%.*f", decimals, b);
	if (ok_a && ok_b && b != 0)
		snprintf(z, sizeof z, "%.2f", a / b);
	printf("%-34s %12s %12s %8s\n", metric, x, y, z);
}

static void
report(const struct opts *o, const struct side *t, const struct side *q)
{
	bool a = t->state == 1, b = q->state == 1;
	const char *pass_name[] = { "first pass", "warm" };

	printf("\nstore bench: %" PRIu32 " customers, batch %" PRIu32
	    ", %" PRIu32 " queries of each kind, limit %d, seed %" PRIu64
	    ",\ncache %ld MiB each, tcrm searching %s\n\n", o->n, o->batch,
	    o->queries, RESULT_LIMIT, o->seed, o->cache_mib, o->all ?
	    "every searchable entity" : "customers");
	printf("%-34s %12s %12s %8s\n", "metric", "tcrm", "sqlite",
	    "ratio");
	row("load rate (records/s)", 0, o->n / t->load_s,
	    o->n / q->load_s, a, b);
	row("load time incl. final sync (s)", 2, t->load_s, q->load_s,
	    a, b);
	row("  final sync and close (s)", 2, t->sync_s, q->sync_s, a, b);
	for (int p = PASSES - 1; p >= 0; p--) {
		char m[64];

		snprintf(m, sizeof m, "phone p50 (us, %s)", pass_name[p]);
		row(m, 1, t->phone[p].p50, q->phone[p].p50, a, b);
		snprintf(m, sizeof m, "phone p99 (us, %s)", pass_name[p]);
		row(m, 1, t->phone[p].p99, q->phone[p].p99, a, b);
		snprintf(m, sizeof m, "phone max (us, %s)", pass_name[p]);
		row(m, 1, t->phone[p].max, q->phone[p].max, a, b);
		snprintf(m, sizeof m, "prefix p50 (us, %s)", pass_name[p]);
		row(m, 1, t->prefix[p].p50, q->prefix[p].p50, a, b);
		snprintf(m, sizeof m, "prefix p99 (us, %s)", pass_name[p]);
		row(m, 1, t->prefix[p].p99, q->prefix[p].p99, a, b);
		snprintf(m, sizeof m, "prefix max (us, %s)", pass_name[p]);
		row(m, 1, t->prefix[p].max, q->prefix[p].max, a, b);
	}
	row("prefix results per query (mean)", 1, t->prefix_hits,
	    q->prefix_hits, a, b);
	row("phone queries missing the owner", 0, t->phone_missed,
	    q->phone_missed, a, b);
	row("disk after load (MiB)", 0, (double)t->disk / 1048576.0,
	    (double)q->disk / 1048576.0, a, b);
	row("peak RSS (MiB)", 0, (double)t->rss_kib / 1024.0,
	    (double)q->rss_kib / 1024.0, t->rss_kib > 0, q->rss_kib > 0);
	printf("(ratio = tcrm / sqlite: above 1 is better for the load rate, "
	    "below 1 for times)\n");
	if (t->splits)
		printf("tcrm: %u batches split after running out of locks\n",
		    t->splits);
	if (t->state == -1)
		printf("tcrm failed after %" PRIu32 " records: %s\n", t->loaded,
		    t->err);
	if (q->state == -1)
		printf("sqlite failed after %" PRIu32 " records: %s\n",
		    q->loaded, q->err);
	if (!a)
		return;
	printf("\ntargets (warm pass):\n");
	printf("  phone p99 <= %.0f us: %.1f %s\n", TARGET_PHONE_P99_US,
	    t->phone[PASS_WARM].p99, t->phone[PASS_WARM].p99 <=
	    TARGET_PHONE_P99_US ? "met" : "MISSED");
	printf("  prefix p99 <= %.0f us: %.1f %s\n", TARGET_PREFIX_P99_US,
	    t->prefix[PASS_WARM].p99, t->prefix[PASS_WARM].p99 <=
	    TARGET_PREFIX_P99_US ? "met" : "MISSED");
	if (b)
		printf("  load rate >= sqlite's: %.0f vs %.0f %s\n",
		    o->n / t->load_s, o->n / q->load_s,
		    t->load_s <= q->load_s ? "met" : "MISSED");
}

static void
usage(void)
{
	fprintf(stderr, "usage: store [-n COUNT] [-d DIR] [-q QUERIES] "
	    "[--batch N] [--seed S] [--cache MIB] [--all]\n"
	    "             [--keep] [--only tcrm|sqlite]\n");
	exit(EX_USAGE);
}

static uint64_t
parse_count(const char *s, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > max)
		usage();
	return v;
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "batch", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "keep", no_argument, NULL, 'k' },
		{ "only", required_argument, NULL, 'o' },
		{ "cache", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	o->n = 1000000;
	o->batch = 5000;
	o->queries = 10000;
	o->seed = 1;
	o->cache_mib = CACHE_MIB;
	while ((ch = getopt_long(argc, argv, "n:d:q:", longs, NULL)) != -1) {
		switch (ch) {
		case 'n':
			o->n = (uint32_t)parse_count(optarg, UINT32_MAX - 1);
			break;
		case 'd':
			o->dir = xstrdup(optarg);
			break;
		case 'q':
			o->queries = (uint32_t)parse_count(optarg, 10000000);
			break;
		case 'b':
			o->batch = (uint32_t)parse_count(optarg, 10000000);
			break;
		case 's':
			o->seed = parse_count(optarg, UINT64_MAX);
			break;
		case 'k':
			o->keep = true;
			break;
		case 'a':
			o->all = true;
			break;
		case 'c':
			o->cache_mib = (long)parse_count(optarg, 1024 * 1024);
			break;
		case 'o':
			if (strcmp(optarg, "tcrm") != 0 &&
			    strcmp(optarg, "sqlite") != 0)
				usage();
			o->only = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct workload w;
	struct side *sides;
	struct sigaction sa;
	bool made_dir = false;
	int status = 0;

	parse_opts(argc, argv, &o);
	if (o.dir == NULL) {
		const char *tmp = getenv("TMPDIR");

		o.dir = xasprintf("%s/tcrm-bench.XXXXXX", tmp && *tmp ? tmp :
		    "/tmp");
		if (mkdtemp(o.dir) == NULL) {
			fprintf(stderr, "store: %s: %s\n", o.dir,
			    strerror(errno));
			return EX_CANTCREAT;
		}
		made_dir = true;
	} else if (mkdir(o.dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "store: %s: %s\n", o.dir, strerror(errno));
		return EX_CANTCREAT;
	}
	if (self_check(&o) != 0) {
		fprintf(stderr, "store: the generator makes values the store "
		    "refuses\n");
		return EX_SOFTWARE;
	}
	workload_make(&o, &w);
	sides = mmap(NULL, 2 * sizeof *sides, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sides == MAP_FAILED) {
		fprintf(stderr, "store: mmap: %s\n", strerror(errno));
		return EX_OSERR;
	}
	memset(sides, 0, 2 * sizeof *sides);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_parent_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (o.only == NULL || strcmp(o.only, "tcrm") == 0)
		run_side("tcrm", tcrm_side, &o, &w, &sides[0]);
	if (!parent_signal && (o.only == NULL || strcmp(o.only, "sqlite") == 0))
		run_side("sqlite", sqlite_side, &o, &w, &sides[1]);
	report(&o, &sides[0], &sides[1]);
	for (int i = 0; i < 2; i++) {
		if (sides[i].state == -1 || sides[i].phone_missed ||
		    sides[i].prefix_empty)
			status = 1;
	}
	if (made_dir && !o.keep)
		rm_tree(o.dir);
	munmap(sides, 2 * sizeof *sides);
	workload_free(&w);
	free(o.dir);
	return status;
}
