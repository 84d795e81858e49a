/* service.c - forms/service.yaml: the service desk's settings, read with
 * libyaml; every problem reported as file:line:column. */
#include "tcrm.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define SERVICE_FILE "service.yaml"

struct sload {
	struct strv *diags;
	const char *path;
	yaml_document_t *doc;
	const struct forms *forms;
	const struct field *priority;	/* ticket.priority, for checks */
	size_t errors;
};

static void TCRM_ATTR_PRINTF(3, 4)
serr(struct sload *l, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (n != NULL)
		strv_pushf(l->diags, "%s:%d:%d: %s", l->path,
		    (int)n->start_mark.line + 1, (int)n->start_mark.column + 1,
		    msg);
	else
		strv_pushf(l->diags, "%s: %s", l->path, msg);
	free(msg);
	l->errors++;
}

static yaml_node_t *
snode(struct sload *l, int i)
{
	return yaml_document_get_node(l->doc, i);
}

static const char *
sscalar(struct sload *l, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		serr(l, n, "'%s' must be a single value", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static bool
smap(struct sload *l, const yaml_node_t *n, const char *what)
{
	if (n->type == YAML_MAPPING_NODE)
		return true;
	serr(l, n, "'%s' must be a mapping", what);
	return false;
}

static bool
slist(struct sload *l, const yaml_node_t *n, const char *what)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return true;
	serr(l, n, "'%s' must be a list", what);
	return false;
}

/* Each key of a mapping through fn; unknown keys are refused by fn. */
typedef void (*spair_fn)(struct sload *, const char *key,
    const yaml_node_t *keynode, const yaml_node_t *value, void *);

static void
seach(struct sload *l, const yaml_node_t *map, spair_fn fn, void *arg)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	    p++) {
		yaml_node_t *k = snode(l, p->key), *v = snode(l, p->value);
		const char *name = sscalar(l, k, "key");

		if (name != NULL)
			fn(l, name, k, v, arg);
	}
}

/* Each mapping of a list through fn; other items are refused. */
typedef void (*sitem_fn)(struct sload *, struct service *,
    const yaml_node_t *item);

static void
seach_mapping(struct sload *l, struct service *sv, const yaml_node_t *n,
    const char *what, sitem_fn fn)
{
	if (!slist(l, n, what))
		return;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		const yaml_node_t *item = snode(l, *it);

		if (smap(l, item, what))
			fn(l, sv, item);
	}
}

long
service_duration(const char *s)
{
	long total = 0, n;
	bool any = false;

	while (*s != '\0') {
		char *end;

		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno != 0 || n > 100000)
			return -1;
		s = end;
		switch (*s) {
		case 'd':
			n *= 86400;
			break;
		case 'h':
			n *= 3600;
			break;
		case 'm':
			n *= 60;
			break;
		case 's':
			break;
		default:
			return -1;
		}
		s++;
		if (strncmp(s - 1, "min", 3) == 0)
			s += 2;
		total += n;
		any = true;
	}
	return any ? total : -1;
}

char *
service_duration_text(long secs)
{
	const char *sign = secs < 0 ? "-" : "";
	long m = (secs < 0 ? -secs : secs) / 60;

	if (m >= 24 * 60)
		return xasprintf("%s%ldd%02ldh%02ldm", sign, m / 1440,
		    m % 1440 / 60, m % 60);
	if (m >= 60)
		return xasprintf("%s%ldh%02ldm", sign, m / 60, m % 60);
	return xasprintf("%s%ldm", sign, m);
}

static long
sduration(struct sload *l, const yaml_node_t *n, const char *what)
{
	const char *s = sscalar(l, n, what);
	long v;

	if (s == NULL)
		return 0;
	if ((v = service_duration(s)) < 0) {
		serr(l, n, "%s: '%s' is not a duration (say 30m, 4h, 1h30m "
		    "or 2d)", what, s);
		return 0;
	}
	return v;
}

/* ---- calendar ---- */

static const char *const day_names[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

static bool
parse_hhmm(const char **p, int *minutes)
{
	int h, m, n = 0;

	if (sscanf(*p, "%2d:%2d%n", &h, &m, &n) != 2 || n == 0 || h > 24 ||
	    m > 59 || (h == 24 && m != 0))
		return false;
	*minutes = h * 60 + m;
	*p += n;
	return true;
}

static void
load_span(struct sload *l, const yaml_node_t *n, struct svc_span *span)
{
	const char *s = sscalar(l, n, "hours"), *p = s;

	if (s == NULL)
		return;
	if (strcmp(s, "closed") == 0 || *s == '\0') {
		span->open = span->close = 0;
		return;
	}
	if (!parse_hhmm(&p, &span->open) || *p++ != '-' ||
	    !parse_hhmm(&p, &span->close) || *p != '\0' ||
	    span->close <= span->open) {
		serr(l, n, "bad hours '%s' (say 09:00-18:00, or closed)", s);
		span->open = span->close = 0;
	}
}

static void
hours_pair(struct sload *l, const char *key, const yaml_node_t *k,
    const yaml_node_t *v, void *arg)
{
	struct calendar *cal = arg;

	for (int i = 0; i < 7; i++) {
		if (strcmp(key, day_names[i]) == 0) {
			load_span(l, v, &cal->week[i]);
			return;
		}
	}
	serr(l, k, "unknown day '%s' (use mon, tue, wed, thu, fri, sat, "
	    "sun)", key);
}

static int
int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static bool
valid_date(int y, int m, int d)
{
	static const int dim[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	return y >= 1970 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
	    d <= dim[m - 1];
}

static void
load_dates(struct sload *l, const yaml_node_t *n, const char *what,
    int **v, size_t *count)
{
	if (!slist(l, n, what))
		return;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		const yaml_node_t *item = snode(l, *it);
		const char *s = sscalar(l, item, what);
		int y, m, d, c = 0;

		if (s == NULL)
			continue;
		if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &c) != 3 ||
		    s[c] != '\0' || !valid_date(y, m, d)) {
			serr(l, item, "%s: '%s' is not a date (YYYY-MM-DD)",
			    what, s);
			continue;
		}
		*v = xreallocarray(*v, *count + 1, sizeof **v);
		(*v)[(*count)++] = y * 10000 + m * 100 + d;
	}
	qsort(*v, *count, sizeof **v, int_cmp);
}

static void
calendar_pair(struct sload *l, const char *key, const yaml_node_t *k,
    const yaml_node_t *v, void *arg)
{
	struct calendar *cal = arg;
	const char *s;

	if (strcmp(key, "timezone") == 0) {
		if ((s = sscalar(l, v, key)) == NULL)
			return;
		if (*s == '\0' || strstr(s, "..") != NULL || *s == '/') {
			serr(l, v, "bad time zone '%s'", s);
			return;
		}
		free(cal->timezone);
		cal->timezone = xstrdup(s);
	} else if (strcmp(key, "hours") == 0) {
		if (smap(l, v, key)) {
			for (int i = 0; i < 7; i++)
				cal->week[i].open = cal->week[i].close = 0;
			seach(l, v, hours_pair, cal);
		}
	} else if (strcmp(key, "holidays") == 0)
		load_dates(l, v, key, &cal->holidays, &cal->nholidays);
	else if (strcmp(key, "workdays") == 0)
		load_dates(l, v, key, &cal->workdays, &cal->nworkdays);
	else
		serr(l, k, "unknown key '%s' in calendar (timezone, hours, "
		    "holidays, workdays)", key);
}

/* ---- targets ---- */

struct targets {
	struct svc_target **v;
	size_t *n;
};

static void
target_pair(struct sload *l, const char *key, const yaml_node_t *k,
    const yaml_node_t *v, void *arg)
{
	struct svc_target *t = arg;

	if (strcmp(key, "response") == 0)
		t->response = sduration(l, v, key);
	else if (strcmp(key, "resolution") == 0)
		t->resolution = sduration(l, v, key);
	else
		serr(l, k, "unknown key '%s' (response, resolution)", key);
}

static void
targets_pair(struct sload *l, const char *key, const yaml_node_t *k,
    const yaml_node_t *v, void *arg)
{
	struct targets *ts = arg;
	struct svc_target *t;

	if (l->priority != NULL && field_enum_value(l->priority, key) == NULL) {
		serr(l, k, "'%s' is not a ticket priority", key);
		return;
	}
	if (!smap(l, v, key))
		return;
	*ts->v = xreallocarray(*ts->v, *ts->n + 1, sizeof **ts->v);
	t = &(*ts->v)[(*ts->n)++];
	memset(t, 0, sizeof *t);
	t->priority = xstrdup(key);
	seach(l, v, target_pair, t);
}

static void
load_targets(struct sload *l, const yaml_node_t *n, struct svc_target **v,
    size_t *count)
{
	struct targets ts = { v, count };

	if (smap(l, n, "targets"))
		seach(l, n, targets_pair, &ts);
}

/* ---- queues ---- */

static bool
valid_word(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return false;
	}
	return true;
}

static void
load_names(struct sload *l, const yaml_node_t *n, const char *what,
    struct strv *out)
{
	if (!slist(l, n, what))
		return;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		const yaml_node_t *item = snode(l, *it);
		const char *s = sscalar(l, item, what);

		if (s != NULL && !valid_word(s))
			serr(l, item, "bad name '%s' in %s", s, what);
		else if (s != NULL)
			strv_push(out, s);
	}
}

static void
label_pair(struct sload *l, const char *key, const yaml_node_t *k,
    const yaml_node_t *v, void *arg)
{
	struct label *lb = arg;
	const char *s = sscalar(l, v, key);

	if (s == NULL)
		return;
	if (strcmp(key, "en") == 0) {
		free(lb->en);
		lb->en = xstrdup(s);
	} else if (strcmp(key, "zh") == 0) {
		free(lb->zh);
		lb->zh = xstrdup(s);
	} else
		serr(l, k, "unknown key '%s' in label (en, zh)", key);
}

static void
queue_pair(struct sload *l, const char *key, const yaml_node_t *k,
    const yaml_node_t *v, void *arg)
{
	struct svc_queue *q = arg;
	const char *s;

	if (strcmp(key, "name") == 0) {
		if ((s = sscalar(l, v, key)) == NULL)
			return;
		if (!valid_word(s))
			serr(l, v, "bad queue name '%s' (letters, digits, _ "
			    "- .)", s);
		else
			q->name = xstrdup(s);
	} else if (strcmp(key, "label") == 0) {
		if (smap(l, v, key))
			seach(l, v, label_pair, &q->label);
	} else if (strcmp(key, "assign") == 0) {
		if ((s = sscalar(l, v, key)) == NULL)
			return;
		if (strcmp(s, "manual") == 0)
			q->assign = ASSIGN_MANUAL;
		else if (strcmp(s, "round_robin") == 0)
			q->assign = ASSIGN_ROUND_ROBIN;
		else if (strcmp(s, "least_loaded") == 0)
			q->assign = ASSIGN_LEAST_LOADED;
		else
			serr(l, v, "bad assign rule '%s' (manual, "
			    "round_robin or least_loaded)", s);
	} else if (strcmp(key, "members") == 0)
		load_names(l, v, key, &q->members);
	else if (strcmp(key, "team") == 0) {
		if ((s = sscalar(l, v, key)) != NULL)
			q->team = xstrdup(s);
	} else if (strcmp(key, "targets") == 0)
		load_targets(l, v, &q->targets, &q->ntargets);
	else if (strcmp(key, "script") == 0) {
		if ((s = sscalar(l, v, key)) != NULL)
			q->script = xstrdup(s);
	} else
		serr(l, k, "unknown key '%s' in a queue (name, label, assign, "
		    "members, team, targets, script)", key);
}

static void
load_queue(struct sload *l, struct service *sv, const yaml_node_t *item)
{
	struct svc_queue *q;

	sv->queues = xreallocarray(sv->queues, sv->nqueues + 1,
	    sizeof *sv->queues);
	q = &sv->queues[sv->nqueues++];
	memset(q, 0, sizeof *q);
	strv_init(&q->members);
	seach(l, item, queue_pair, q);
	if (q->name == NULL) {
		serr(l, item, "a queue needs a name");
		q->name = xstrdup("");
	} else if (service_queue(sv, q->name) != q)
		serr(l, item, "queue '%s' is defined twice", q->name);
}

/* ---- escalation, callbacks, scripts ---- */

static void
esc_pair(struct sload *l, const char *key, const yaml_node_t *k,
    const yaml_node_t *v, void *arg)
{
	struct svc_escalation *e = arg;
	const char *s = sscalar(l, v, key);
	int pct, n = 0;

	if (s == NULL)
		return;
	if (strcmp(key, "at") == 0) {
		if (sscanf(s, "%d%%%n", &pct, &n) != 1 || s[n] != '\0' ||
		    pct <= 0 || pct > 1000)
			serr(l, v, "at: '%s' is not a percentage of the "
			    "resolution time (say 80%%)", s);
		else
			e->percent = pct;
	} else if (strcmp(key, "action") == 0) {
		if (strcmp(s, "notify") == 0)
			e->action = ESC_NOTIFY;
		else if (strcmp(s, "raise_priority") == 0)
			e->action = ESC_RAISE_PRIORITY;
		else if (strcmp(s, "reassign") == 0)
			e->action = ESC_REASSIGN;
		else
			serr(l, v, "bad action '%s' (notify, raise_priority "
			    "or reassign)", s);
	} else if (strcmp(key, "queue") == 0)
		e->queue = xstrdup(s);
	else
		serr(l, k, "unknown key '%s' in escalation (at, action, "
		    "queue)", key);
}

static int
esc_cmp(const void *a, const void *b)
{
	const struct svc_escalation *x = a, *y = b;

	return (x->percent > y->percent) - (x->percent < y->percent);
}

static void
load_escalation(struct sload *l, struct service *sv, const yaml_node_t *item)
{
	struct svc_escalation *e;

	sv->escalations = xreallocarray(sv->escalations, sv->nescalations + 1,
	    sizeof *sv->escalations);
	e = &sv->escalations[sv->nescalations++];
	memset(e, 0, sizeof *e);
	seach(l, item, esc_pair, e);
	e->line = (int)item->start_mark.line + 1;
	e->column = (int)item->start_mark.column + 1;
	if (e->percent == 0)
		serr(l, item, "an escalation needs 'at'");
}

static void
callbacks_pair(struct sload *l, const char *key, const yaml_node_t *k,
    const yaml_node_t *v, void *arg)
{
	struct service *sv = arg;

	if (strcmp(key, "grace") == 0)
		sv->callback_grace = sduration(l, v, key);
	else
		serr(l, k, "unknown key '%s' in callbacks (grace)", key);
}

static void
script_pair(struct sload *l, const char *key, const yaml_node_t *k,
    const yaml_node_t *v, void *arg)
{
	struct svc_script *sc = arg;
	const char *s = sscalar(l, v, key);

	if (s == NULL)
		return;
	if (strcmp(key, "campaign") == 0)
		sc->campaign = xstrdup(s);
	else if (strcmp(key, "text") == 0)
		sc->text = xstrdup(s);
	else
		serr(l, k, "unknown key '%s' in a script (campaign, text)",
		    key);
}

static void
load_script(struct sload *l, struct service *sv, const yaml_node_t *item)
{
	struct svc_script *sc;

	sv->scripts = xreallocarray(sv->scripts, sv->nscripts + 1,
	    sizeof *sv->scripts);
	sc = &sv->scripts[sv->nscripts++];
	memset(sc, 0, sizeof *sc);
	seach(l, item, script_pair, sc);
	if (sc->campaign == NULL || sc->text == NULL)
		serr(l, item, "a script needs 'campaign' and 'text'");
}

/* ---- the file ---- */

static void
top_pair(struct sload *l, const char *key, const yaml_node_t *k,
    const yaml_node_t *v, void *arg)
{
	struct service *sv = arg;

	if (strcmp(key, "calendar") == 0) {
		if (smap(l, v, key))
			seach(l, v, calendar_pair, &sv->cal);
	} else if (strcmp(key, "targets") == 0)
		load_targets(l, v, &sv->targets, &sv->ntargets);
	else if (strcmp(key, "queues") == 0)
		seach_mapping(l, sv, v, key, load_queue);
	else if (strcmp(key, "escalation") == 0) {
		seach_mapping(l, sv, v, key, load_escalation);
		qsort(sv->escalations, sv->nescalations,
		    sizeof *sv->escalations, esc_cmp);
	}
	else if (strcmp(key, "callbacks") == 0) {
		if (smap(l, v, key))
			seach(l, v, callbacks_pair, sv);
	} else if (strcmp(key, "wrap_up") == 0)
		sv->wrap_up = sduration(l, v, key);
	else if (strcmp(key, "scripts") == 0)
		seach_mapping(l, sv, v, key, load_script);
	else
		serr(l, k, "unknown key '%s' (calendar, targets, queues, "
		    "escalation, callbacks, wrap_up, scripts)", key);
}

static void
service_defaults(struct service *sv)
{
	/* No calendar: the clock runs all day, every day. */
	for (int i = 0; i < 7; i++) {
		sv->cal.week[i].open = 0;
		sv->cal.week[i].close = 24 * 60;
	}
	sv->callback_grace = 15 * 60;
	sv->wrap_up = 60;
}

static void
service_check(struct sload *l, struct service *sv, const yaml_node_t *root)
{
	bool open = false;

	for (int i = 0; i < 7; i++)
		open |= sv->cal.week[i].open < sv->cal.week[i].close;
	if (!open)
		serr(l, root, "the calendar has no open hours on any day");
	for (size_t i = 0; i < sv->nescalations; i++) {
		const struct svc_escalation *e = &sv->escalations[i];

		/* Queues may come after the escalation in the file. */
		if (e->action == ESC_REASSIGN && (e->queue == NULL ||
		    service_queue(sv, e->queue) == NULL)) {
			strv_pushf(l->diags, "%s:%d:%d: reassign needs the "
			    "'queue' of a queue defined in queues", l->path,
			    e->line, e->column);
			l->errors++;
		}
		if (i > 0 && sv->escalations[i].percent ==
		    sv->escalations[i - 1].percent)
			serr(l, root, "two escalations at %d%%",
			    sv->escalations[i].percent);
	}
}

static char *
read_whole(const char *path, size_t *len, bool *missing)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[8192];
	size_t n;

	*missing = f == NULL && errno == ENOENT;
	if (f == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return buf_detach(&b);
}

int
service_load(const char *dir, const struct forms *forms,
    struct service **svp, struct strv *diags)
{
	struct sload l = { .diags = diags, .forms = forms };
	struct service *sv = xcalloc(1, sizeof *sv);
	const struct entity *ticket;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	char *path, *text;
	size_t len = 0;
	bool missing;

	*svp = NULL;
	service_defaults(sv);
	path = xasprintf("%s/%s", dir, SERVICE_FILE);
	sv->file = path;
	l.path = path;
	if ((ticket = forms ? forms_entity(forms, "ticket") : NULL) != NULL)
		l.priority = entity_field(ticket, "priority");
	if ((text = read_whole(path, &len, &missing)) == NULL) {
		if (missing) {
			*svp = sv;
			return 0;
		}
		strv_pushf(diags, "%s: %s", path, strerror(errno));
		service_free(sv);
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		strv_pushf(diags, "%s:%zu:%zu: %s", path,
		    parser.problem_mark.line + 1,
		    parser.problem_mark.column + 1,
		    parser.problem ? parser.problem : "bad YAML");
		l.errors++;
	} else {
		l.doc = &doc;
		root = yaml_document_get_root_node(&doc);
		if (root != NULL && smap(&l, root, "the top level")) {
			seach(&l, root, top_pair, sv);
			service_check(&l, sv, root);
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	free(text);
	if (l.errors != 0) {
		service_free(sv);
		return -1;
	}
	if (sv->cal.timezone != NULL) {
		/* The centre's zone is the zone of every date and time tcrm
		 * reads, stores and shows, whatever TZ a process has. */
		setenv("TZ", sv->cal.timezone, 1);
		tzset();
	}
	*svp = sv;
	return 0;
}

static void
targets_free(struct svc_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].priority);
	free(t);
}

void
service_free(struct service *sv)
{
	if (sv == NULL)
		return;
	free(sv->file);
	free(sv->cal.timezone);
	free(sv->cal.holidays);
	free(sv->cal.workdays);
	targets_free(sv->targets, sv->ntargets);
	for (size_t i = 0; i < sv->nqueues; i++) {
		struct svc_queue *q = &sv->queues[i];

		free(q->name);
		free(q->label.en);
		free(q->label.zh);
		strv_free(&q->members);
		free(q->team);
		targets_free(q->targets, q->ntargets);
		free(q->script);
	}
	free(sv->queues);
	for (size_t i = 0; i < sv->nescalations; i++)
		free(sv->escalations[i].queue);
	free(sv->escalations);
	for (size_t i = 0; i < sv->nscripts; i++) {
		free(sv->scripts[i].campaign);
		free(sv->scripts[i].text);
	}
	free(sv->scripts);
	free(sv);
}

const struct svc_queue *
service_queue(const struct service *sv, const char *name)
{
	if (sv == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < sv->nqueues; i++) {
		if (sv->queues[i].name != NULL &&
		    strcmp(sv->queues[i].name, name) == 0)
			return &sv->queues[i];
	}
	return NULL;
}

static const struct svc_target *
target_in(const struct svc_target *v, size_t n, const char *priority)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].priority, priority) == 0)
			return &v[i];
	}
	return NULL;
}

struct svc_target
service_target(const struct service *sv, const char *queue,
    const char *priority)
{
	struct svc_target none = { NULL, 0, 0 };
	const struct svc_queue *q = service_queue(sv, queue);
	const struct svc_target *t = NULL;

	if (sv == NULL)
		return none;
	if (priority == NULL || *priority == '\0')
		priority = "normal";
	if (q != NULL)
		t = target_in(q->targets, q->ntargets, priority);
	if (t == NULL)
		t = target_in(sv->targets, sv->ntargets, priority);
	return t != NULL ? *t : none;
}

bool
service_queue_has(const struct svc_queue *q, const char *user,
    const char *team)
{
	if (q == NULL || user == NULL)
		return false;
	for (size_t i = 0; i < q->members.n; i++) {
		if (strcmp(q->members.v[i], user) == 0)
			return true;
	}
	return q->team != NULL && team != NULL && strcmp(q->team, team) == 0;
}

char *
service_merge(const char *tmpl, const struct entity *e,
    const struct record *rec)
{
	struct buf b;
	const char *p = tmpl, *open, *close;

	buf_init(&b);
	while ((open = strstr(p, "{{")) != NULL &&
	    (close = strstr(open + 2, "}}")) != NULL) {
		char *name = xstrndup(open + 2, (size_t)(close - open - 2));
		char *trimmed = name, *end;
		const struct field *f;
		const char *v;

		while (*trimmed == ' ')
			trimmed++;
		end = trimmed + strlen(trimmed);
		while (end > trimmed && end[-1] == ' ')
			*--end = '\0';
		buf_add(&b, p, (size_t)(open - p));
		v = rec != NULL ? record_get(rec, trimmed) : "";
		f = e != NULL ? entity_field(e, trimmed) : NULL;
		if (f != NULL && *v != '\0') {
			char *shown = field_display(f, v);

			buf_adds(&b, shown);
			free(shown);
		} else
			buf_adds(&b, v);
		free(name);
		p = close + 2;
	}
	buf_adds(&b, p);
	return buf_detach(&b);
}
