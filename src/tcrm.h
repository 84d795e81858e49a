/*
 * tcrm.h - the one internal header: shared types and, grouped per source
 * file, each file's public functions.
 */
#ifndef TCRM_H
#define TCRM_H

#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sysexits.h>
#include <time.h>

#ifdef ENABLE_NLS
#include <libintl.h>
#define _(s) gettext(s)
#else
#define _(s) (s)
#define ngettext(one, many, n) ((n) == 1 ? (one) : (many))
#endif
#define N_(s) (s)

#define TCRM_ATTR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TCRM_ATTR_NORETURN __attribute__((noreturn))

/* xmalloc.c: allocation that cannot fail usefully dies here, once. */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) TCRM_ATTR_PRINTF(1, 2);
char *xvasprintf(const char *, va_list) TCRM_ATTR_PRINTF(1, 0);

/* buf.c: a growable byte buffer, always NUL-terminated. */
struct buf {
	char *data;
	size_t len;
	size_t size;
};
void buf_init(struct buf *);
void buf_free(struct buf *);
void buf_reset(struct buf *);
void buf_add(struct buf *, const void *, size_t);
void buf_adds(struct buf *, const char *);
void buf_addc(struct buf *, char);
void buf_printf(struct buf *, const char *, ...) TCRM_ATTR_PRINTF(2, 3);
char *buf_detach(struct buf *);

/* strv: a NULL-terminated vector of owned strings (buf.c). */
struct strv {
	char **v;
	size_t n;
	size_t size;
};
void strv_init(struct strv *);
void strv_free(struct strv *);
void strv_push(struct strv *, const char *);
void strv_pushf(struct strv *, const char *, ...) TCRM_ATTR_PRINTF(2, 3);
/* Split s at every byte in seps; empty items are dropped. */
void strv_split(struct strv *, const char *s, const char *seps);
char *strv_join(const struct strv *, const char *sep);

/* utf8.c: text by display column, folding, sanitising for the screen. */
/* Display width of a UTF-8 string in terminal columns (invalid bytes: 1). */
size_t utf8_width(const char *s);
/* Width of one code point: 0 for combining marks, 2 for wide/CJK. */
int utf8_cpwidth(int32_t cp);
/* What to draw for cp: controls, escapes and bidi overrides become
 * visible placeholders. */
int32_t utf8_safe_cp(int32_t cp);
/* Decode one code point at s (len bytes available); returns bytes used
 * (1 for an invalid byte, with *cp = -1). */
size_t utf8_decode(const char *s, size_t len, int32_t *cp);
/* True when s[0..len) is valid UTF-8; else *bad is the first bad offset. */
bool utf8_valid(const char *s, size_t len, size_t *bad);
/* NFKC case fold for index keys: "ＡＢＣ", "abc", "ABC" give one key.
 * Returns NULL when s is not valid UTF-8. */
char *utf8_fold(const char *s);
/* Copy of s safe to draw: control characters, escape sequences and bidi
 * overrides become visible placeholders; invalid bytes become U+FFFD. */
char *utf8_sanitize(const char *s);
/* Bytes of s that fit in width columns, never splitting a character. */
size_t utf8_clip(const char *s, size_t width);
/* s clipped and padded with spaces to exactly width columns. */
char *utf8_pad(const char *s, size_t width);
/* Trim ASCII and Unicode white space at both ends, in a new string. */
char *utf8_trim(const char *s);

/* phone.c: phone numbers normalised so every spelling of one number
 * meets in the index. */
#define PHONE_DIGITS_MAX 20
#define PHONE_EXT_MAX 10
struct phone {
	char digits[PHONE_DIGITS_MAX + 1];	/* country code + number */
	char ext[PHONE_EXT_MAX + 1];		/* extension, "" if none */
};
/* Parse a number as people write it. Numbers without an international
 * prefix take default_cc ("86" when NULL). Returns 0, or -1 with *why
 * set to a static English reason. */
int phone_parse(const char *text, const char *default_cc, struct phone *,
    const char **why);
/* Index key: digits, or digits "#" ext. Writes at most size bytes. */
void phone_key(const struct phone *, char *out, size_t size);
/* Key of a query (may be partial); NULL if the text is not phone-like. */
char *phone_query_key(const char *text, const char *default_cc);
/* True when text looks like a phone number rather than a name. */
bool phone_like(const char *text);

/* form.c, form-load.c, form-field.c: entities from forms/NAME.yaml. */
enum field_type {
	FT_TEXT,
	FT_LONGTEXT,
	FT_INT,
	FT_MONEY,
	FT_DATE,
	FT_DATETIME,
	FT_BOOL,
	FT_ENUM,
	FT_PHONE,
	FT_PHONES,
	FT_EMAIL,
	FT_URL,
	FT_REF
};
enum index_kind {
	IX_NONE,
	IX_EXACT,	/* folded whole value */
	IX_PREFIX,	/* folded, every word start, for prefix search */
	IX_PHONE,	/* normalised digits, one key per phone */
	IX_REF		/* reverse index of a reference */
};
enum ref_policy {
	REF_RESTRICT,
	REF_CASCADE,
	REF_SET_EMPTY
};
#define ROLE_AGENT 0x1u
#define ROLE_SUPERVISOR 0x2u
#define ROLE_ADMIN 0x4u
#define ROLE_ALL (ROLE_AGENT | ROLE_SUPERVISOR | ROLE_ADMIN)

struct label {
	char *en;
	char *zh;
};
struct enum_value {
	char *value;
	struct label label;
	char *key;	/* hotkey, may be NULL */
	struct strv requires;	/* fields that must be set with this value */
	struct strv next;	/* values it may change to (flow) */
	bool has_next;		/* a flow is declared: others are refused */
	int requires_line, requires_column;
	int next_line, next_column;
};
struct entity;
struct field {
	char *name;
	enum field_type type;
	struct label label;
	bool required;
	bool unique;
	enum index_kind index;
	size_t max;	/* maximum length in characters, 0 = none */
	struct enum_value *values;
	size_t nvalues;
	char *def;	/* default value or NULL */
	struct strv aliases;
	char *ref;	/* referenced entity name (FT_REF) */
	struct entity *ref_entity;
	enum ref_policy on_delete;
	char *currency;	/* FT_MONEY default currency */
	unsigned read_roles;
	unsigned write_roles;
	int line;
	int column;
};
struct entity {
	char *name;
	struct label label;
	char *file;
	struct field *fields;
	size_t nfields;
	char *title;		/* field that names a record */
	char *subtitle;		/* field shown beside it (company...) */
	bool searchable;	/* part of `tcrm find` */
	struct strv list;	/* fields shown in result lists */
	struct strv *layout;	/* rows of field names for screens */
	size_t nlayout;
	unsigned read_roles;
	unsigned write_roles;
	unsigned delete_roles;
	int line;
	int column;
};
struct service;
struct forms {
	char *dir;
	struct entity *entities;
	size_t n;
	struct service *service;	/* service.yaml (service.c) */
};
/* Load every *.yaml in dir; every problem is appended to diags as
 * "file:line:column: message". Returns 0 when there was none. */
int forms_load(const char *dir, struct forms **, struct strv *diags);
void forms_free(struct forms *);
struct entity *forms_entity(const struct forms *, const char *name);
/* Field by name, then by import alias (case and spacing ignored). */
struct field *entity_field(const struct entity *, const char *name);
struct field *entity_field_by_alias(const struct entity *, const char *);
const char *field_type_name(enum field_type);
const char *label_get(const struct label *, const char *lang);
/* "zh" or "en": the language of the messages, for the labels with them. */
const char *labels_lang(void);
const char *entity_word(const struct entity *);
const char *field_word(const struct field *);
/* An enum value the same way: "active", or 活跃 in Chinese. */
const char *enum_word(const struct field *, const char *value);
/* Validate and normalise a user's text for a field. Returns 0 with
 * *out (owned), or -1 with *why (owned, English, names the rule).
 * An empty input gives an empty *out (required is checked elsewhere). */
int field_normalise(const struct field *, const char *in, char **out,
    char **why);
/* Human form of a stored value ("12345 CNY" -> "123.45 CNY"). */
char *field_display(const struct field *, const char *stored);
/* Type by its name in a form ("phones"); -1 if there is none. */
int field_type_parse(const char *, enum field_type *);
/* Key under which import headers and aliases meet: case and width
 * folded; spaces, '_', '-', '.', ':' and '*' dropped ("Phone 1" ->
 * "phone1"). */
char *field_match_key(const char *);
/* The enum value entry of a stored value, for its labels; or NULL. */
const struct enum_value *field_enum_value(const struct field *,
    const char *value);

/* source.c: an input byte stream: reads a file descriptor (a pipe is
 * fine: no seeking), converts from another encoding with iconv, refuses
 * invalid UTF-8 with the line and byte offset, counts lines. */
struct source {
	int fd;
	char *name;		/* for messages: the file name or "-" */
	void *cd;		/* iconv_t, or NULL for UTF-8 input */
	unsigned char raw[65536];
	size_t rlen;		/* bytes in raw */
	size_t rpos;
	unsigned char out[65536 * 4];
	size_t olen;
	size_t opos;
	uint64_t raw_offset;	/* bytes of input consumed before raw */
	uint64_t offset;	/* bytes delivered so far (UTF-8 side) */
	size_t line;		/* 1-based line of the next byte */
	int utf8_need;		/* continuation bytes still expected */
	unsigned char utf8_lo;	/* range of the next one: no overlongs, */
	unsigned char utf8_hi;	/* no surrogates, nothing past U+10FFFF */
	bool eof;
	bool started;
	int last;		/* previous byte, for CRLF line counting */
	char *err;		/* set when source_getc returns -2 */
	int pushed;		/* a byte given back, or -1 */
	/* When set, input is awaited in slices and the read gives up
	 * once this says so (the import's reading thread, whose writer
	 * stopped, on a pipe that stays silent). */
	bool (*give_up)(void *);
	void *give_up_arg;
};
/* encoding NULL: UTF-8 (a UTF-8 or UTF-16 byte order mark is honoured).
 * Returns 0, or -1 with *err for an unknown encoding. */
int source_open(struct source *, int fd, const char *name,
    const char *encoding, char **err);
void source_close(struct source *);
/* Next byte (0-255), -1 at the end, -2 on bad input (src->err). */
int source_getc(struct source *);
/* Copy up to size bytes of what source_getc will give next, decoded,
 * without taking them; reads the input if nothing is waiting. */
size_t source_peek(struct source *, char *buf, size_t size);
/* Give back the byte just read (one at most). */
void source_ungetc(struct source *, int);

/* csv.c: RFC 4180 with the files people really have: quotes, escaped
 * quotes, newlines inside quotes, CRLF/LF/CR, blank lines, a missing
 * final newline, any one-byte delimiter. */
struct csv {
	struct source *src;
	int delim;
	size_t line;		/* line where the last record started */
	struct strv cells;
	struct buf cell;
	char *err;
	/* A record of more than max_bytes (0: no limit) is read to its end
	 * but keeps only the cells before the one that crossed it, that
	 * one empty: a hostile file's one huge cell must not take all
	 * memory. */
	size_t max_bytes;
	size_t bytes;		/* of the last record, when limited */
	bool over;
	size_t over_cell;	/* the cell that crossed max_bytes */
};
void csv_init(struct csv *, struct source *, int delim);
void csv_free(struct csv *);
/* 1: a record in csv->cells; 0: end of input; -1: error (csv->err). */
int csv_read(struct csv *);
/* Write one cell, quoted when needed; neutralise prefixes cells starting
 * with = + - @ or ' with a ' so spreadsheets do not run them. */
void csv_write_cell(FILE *, const char *, int delim, bool neutralise);
/* Undo that prefix on import. */
const char *csv_unneutralise(const char *);

/* import-read.c: rows from CSV, TSV, JSON Lines, YAML or vCard, each as
 * (column, value) pairs with the line it started on. */
enum import_format {
	FMT_CSV,
	FMT_TSV,
	FMT_JSONL,
	FMT_YAML,
	FMT_VCARD
};
struct row {
	size_t line;
	struct strv cols;
	struct strv vals;
	char *raw;		/* the row as read, for reject files (not CSV) */
	char *error;		/* why the row itself cannot be read, or NULL */
};
struct reader;
int import_format_parse(const char *, enum import_format *);
/* By the file name's extension: false when it says nothing. */
bool import_format_by_name(const char *name, enum import_format *);
/* By the first bytes of the input, for standard input and names that
 * say nothing: CSV unless they look like another format. */
enum import_format import_format_sniff(const char *head, size_t len);
const char *import_format_name(enum import_format);
struct reader *reader_open(struct source *, enum import_format, int delim,
    const struct entity *);
void reader_close(struct reader *);
/* 1: a row; 0: the end; -1: the input cannot be read on (message). */
int reader_next(struct reader *, struct row *);
const char *reader_error(const struct reader *);
/* The CSV header, once the first row was read (NULL for other formats). */
const struct strv *reader_header(const struct reader *);
void row_free(struct row *);

/* record.c: the compact record codec. Values are strings; a list value
 * (phones) holds its items separated by '\n'. Unknown fields are kept. */
struct kv {
	char *name;
	char *value;
};
struct record {
	uint32_t id;
	uint32_t version;
	int64_t created;	/* microseconds since the epoch */
	int64_t updated;
	char *created_by;
	char *updated_by;
	struct kv *fields;
	size_t n;
	size_t size;
};
void record_init(struct record *);
void record_free(struct record *);
void record_copy(struct record *dst, const struct record *src);
const char *record_get(const struct record *, const char *name);
/* Setting an empty value removes the field. */
void record_set(struct record *, const char *name, const char *value);
void record_encode(const struct record *, struct buf *);
/* The codec's pieces: varints and length-prefixed strings. */
struct codec {
	const unsigned char *p;
	const unsigned char *end;
};
void codec_put_varint(struct buf *, uint64_t);
void codec_put_string(struct buf *, const char *);
int codec_get_varint(struct codec *, uint64_t *);
int codec_get_string(struct codec *, char **);
int record_decode(const void *, size_t, struct record *);
int record_peek(const void *, size_t, const char *name, const char **value,
    size_t *len);

/* store-*.c: the Berkeley DB environment. No printing: each call returns
 * one of these and leaves a message in store_error(). */
enum store_rc {
	ST_OK = 0,
	ST_NOTFOUND,	/* no such record */
	ST_EXISTS,	/* unique value held by another record */
	ST_CONFLICT,	/* stale version */
	ST_RESTRICT,	/* delete refused: referenced */
	ST_INVALID,	/* bad value or reference */
	ST_BUSY,	/* lock timeout, retries exhausted */
	ST_NOSPACE,	/* lock table or disk full */
	ST_IO,		/* system error */
	ST_INTERRUPTED,	/* SIGHUP, SIGTERM or SIGINT arrived */
	ST_AGAIN	/* internal: deadlock or recovery; retried */
};
/* Set by the signal handler; store_run stops before the next transaction
 * so the environment is closed cleanly and never needs recovery. */
extern volatile int store_stop_signal;
void store_catch_signals(void);
struct store;
struct txn;
struct store_opts {
	const char *home;
	const struct forms *forms;
	const char *user;	/* written into records and audit */
	const char *import_id;	/* written into audit, may be NULL */
	bool nosync;		/* DB_TXN_WRITE_NOSYNC: batch imports */
	/* Called, at the first open only, before waiting on another
	 * process opening the environment; stopped: it is stopped (Ctrl-Z)
	 * and will not go on by itself. */
	void (*waiting)(pid_t holder, bool stopped);
};
int store_open(struct store **, const struct store_opts *);
void store_close(struct store *);
const char *store_error(const struct store *);
/* Notices from open (e.g. an index built); NULL-terminated. */
char **store_notices(const struct store *);
const struct forms *store_forms(const struct store *);
const char *store_home(const struct store *);
/* Run fn in a transaction; retried on deadlock and after recovery. The
 * function must be repeatable: it sees the store as at its start. */
typedef int (*store_txn_fn)(struct store *, struct txn *, void *);
int store_run(struct store *, store_txn_fn, void *);
int store_get(struct store *, struct txn *, const struct entity *,
    uint32_t id, struct record *);
/* The same with write locks at once, for a record the transaction goes on
 * to change: two writers queue instead of both reading, both asking to
 * write and one dying in a deadlock. */
int store_get_for_update(struct store *, struct txn *, const struct entity *,
    uint32_t id, struct record *);
/* Validated by the form (required, unique, references); assigns id (or
 * keeps a preset one if free), version 1, times and user; writes the
 * audit record. */
int store_create(struct store *, struct txn *, const struct entity *,
    struct record *);
/* Writes rec if its version is still current (if_version 0: take the
 * stored version); bumps the version; audits changed fields. */
int store_update(struct store *, struct txn *, const struct entity *,
    struct record *, uint32_t if_version);
int store_delete(struct store *, struct txn *, const struct entity *,
    uint32_t id, uint32_t if_version);
/* Walk every record of an entity; stop when fn returns non-zero. */
typedef int (*store_each_fn)(const struct record *, void *);
int store_each(struct store *, struct txn *, const struct entity *,
    store_each_fn, void *);
size_t store_count(struct store *, const struct entity *);
/* Up to max records with ids from `from` on; *next is where to go on
 * (0 at the end). Lets a long walk use many short transactions. */
int store_scan(struct store *, struct txn *, const struct entity *,
    uint32_t from, size_t max, store_each_fn, void *, uint32_t *next);

struct hit {
	const struct entity *entity;
	uint32_t id;
	char *title;
	char *subtitle;
	char *phones;	/* '\n' separated */
	char *email;
};
struct hits {
	struct hit *v;
	size_t n;
	size_t size;
};
void hits_free(struct hits *);
/* Phone in any format, email, name/company prefix over searchable
 * entities (or only one). */
int store_find(struct store *, const char *query, const struct entity *only,
    size_t limit, struct hits *);
/* The keys a prefix index files value under: the folded value from each
 * word start on, legal forms (Ltd, 有限公司) left out. */
void store_word_keys(const char *value, struct strv *words);
/* Ids of records whose indexed field holds exactly this value (a phone
 * in any spelling, an email in any case); at most max. */
int store_lookup(struct store *, struct txn *, const struct field *,
    const char *value, uint32_t *ids, size_t max, size_t *n);
/* True when f's index files a and b under a common key: the same phone
 * number in any spelling, among a list's. */
bool store_values_meet(struct store *, const struct field *, const char *a,
    const char *b);
/* Hashes of the index keys store_lookup would look for value under; at
 * most max, how many. */
size_t store_key_hashes(struct store *, const struct field *,
    const char *value, uint64_t *out, size_t max);
int store_lookup_for_update(struct store *, struct txn *,
    const struct field *, const char *value, uint32_t *ids, size_t max,
    size_t *n);
/* Batch mode: commits reach the log but are not each flushed to disk;
 * store_sync makes everything so far durable. A killed process loses
 * nothing either way; only a machine crash can lose unsynced commits. */
void store_set_nosync(struct store *, bool);
int store_sync(struct store *);
/* A checkpoint once enough log was written, then remove the log files
 * no longer needed: long writers call it now and then. */
void store_trim_logs(struct store *);
/* Later changes are audited as part of this import (NULL: none). */
void store_set_import(struct store *, const char *import_id);
/* Small named values beside the data (import journals), in a txn. */
int store_meta_get(struct store *, struct txn *, const char *key,
    struct buf *);
int store_meta_put(struct store *, struct txn *, const char *key,
    const char *value);
int store_meta_del(struct store *, struct txn *, const char *key);
/* Every meta key starting with prefix, in order. */
int store_meta_each(struct store *, struct txn *, const char *prefix,
    int (*)(const char *key, const char *value, void *), void *);
/* Ids of records of `from` whose reference field points at id. */
int store_referrers(struct store *, struct txn *, const struct field *,
    uint32_t id, uint32_t **ids, size_t *n);

struct change {
	char *field;
	char *old;
	char *new;
};
struct audit {
	uint64_t seq;
	int64_t time;
	char *user;
	char *action;	/* create, update, delete, refused */
	char *entity;
	uint32_t id;
	uint32_t version;
	char *import_id;
	struct change *changes;
	size_t nchanges;
	uint32_t last;	/* an import's creates of ids id..last; else 0 */
};
void audit_free(struct audit *);
typedef int (*store_audit_fn)(const struct audit *, void *);
/* The audit records of one import, newest first. A create's values are
 * left out (a revert needs none). */
int store_import_audit(struct store *, struct txn *, const char *import_id,
    store_audit_fn, void *);
/* History of one record (entity and id), oldest first, or of everything
 * when entity is NULL, newest first (stop when you have enough: each
 * create's values are worked out from its record's history). */
int store_history(struct store *, const char *entity, uint32_t id,
    store_audit_fn, void *);

/* store-admin.c */
struct verify_report {
	struct strv problems;
	size_t checked;
};
int store_verify(struct store *, struct verify_report *);
int store_checkpoint(struct store *, size_t *removed_logs);
int store_backup(struct store *, const char *dir);
int store_restore(const char *backup, const char *home, char **err);
int store_reindex(struct store *, const char *entity);
int store_stat(struct store *, struct buf *);

/* form-perm.c: roles, and who may read, write and delete what, as the
 * forms say. A field's roles already include its entity's. */
int role_parse(const char *, unsigned *role);
const char *role_name(unsigned role);
/* "supervisor or admin" */
char *roles_text(unsigned roles);
bool entity_readable(const struct entity *, unsigned role);
bool entity_writable(const struct entity *, unsigned role);
bool entity_deletable(const struct entity *, unsigned role);
bool field_readable(const struct field *, unsigned role);
bool field_writable(const struct field *, unsigned role);
/* Empty every value of r the role may not read. */
void record_hide_unreadable(const struct entity *, struct record *,
    unsigned role);
void hit_hide_unreadable(struct hit *, unsigned role);

/* store-user.c: the people who sign in, records of the "user" entity
 * (forms/user.yaml), and audit records of refusals. */
#define USER_ENTITY "user"
struct user {
	uint32_t id;
	uint32_t version;
	char *name;
	char *team;
	unsigned role;
	bool disabled;
	struct strv keys;	/* OpenSSH public key lines */
};
/* The user entity, or NULL with store_error() saying it is missing. */
const struct entity *store_user_entity(struct store *);
/* The user of exactly this login name; ST_NOTFOUND if none. */
int store_user_get(struct store *, const char *name, struct user *);
/* The same inside a transaction, as the record. */
int store_user_find(struct store *, struct txn *, const char *name,
    struct record *);
void user_from_record(const struct record *, struct user *);
void user_free(struct user *);
/* Who later records and audit entries are written as. */
void store_set_user(struct store *, const char *user);
/* Audit a refusal: a field of a record (e, id, field) or a command (e
 * NULL, field the command's name); what = what was asked. */
int store_audit_refusal(struct store *, const struct entity *, uint32_t id,
    const char *field, const char *what);

/* server-key.c: OpenSSH public key lines ("ssh-ed25519 AAAA... comment"). */
struct pubkey {
	char *type;
	char *base64;
	char *comment;
	char *fingerprint;	/* "SHA256:..." as ssh-keygen -l shows it */
};
/* 0, or -1 with *why (owned) saying what is wrong with the line. */
int pubkey_parse(const char *line, struct pubkey *, char **why);
void pubkey_free(struct pubkey *);
char *pubkey_line(const struct pubkey *);
/* Fingerprint of a libssh key (ssh_key). */
char *pubkey_fingerprint(const void *key);

/* output.c: results as an aligned table, TSV or JSON. */
enum out_format {
	OUT_TABLE,
	OUT_TSV,
	OUT_JSON
};
struct table {
	struct strv header;
	struct strv *rows;
	size_t nrows;
};
int out_format_parse(const char *, enum out_format *);
void table_init(struct table *, const char *const *header);
void table_row(struct table *, const char *const *cells);
void table_free(struct table *);
void table_print(FILE *, const struct table *, enum out_format);
/* One line with every control character made visible. */
void out_safe(FILE *, const char *);

/* Exit status for a store result. */
int store_rc_exit(int rc);

/* clock.c: the time tcrm works with. TCRM_NOW (seconds since the epoch)
 * fixes it, for tests of service levels and callbacks. */
time_t clock_now(void);
int64_t clock_now_us(void);
int64_t clock_mono_ms(void);

/* service.c: forms/service.yaml, the service desk's settings: the working
 * calendar, service-level targets per priority (and per queue), queues
 * with their members and assignment rule, escalation steps, callback
 * grace, wrap-up time and call scripts. Durations are seconds; working
 * durations count only the calendar's open hours. */
struct svc_span {
	int open;		/* minutes after midnight */
	int close;		/* open == close: closed all day */
};
struct calendar {
	char *timezone;		/* TZ name, NULL for the process's zone */
	struct svc_span week[7];	/* 0 = Sunday */
	int *holidays;		/* yyyymmdd, sorted: closed */
	size_t nholidays;
	int *workdays;		/* yyyymmdd, sorted: open as a weekday */
	size_t nworkdays;	/* (make-up days, 调休) */
};
struct svc_target {
	char *priority;
	long response;		/* working seconds; 0 = no target */
	long resolution;
};
enum svc_assign {
	ASSIGN_MANUAL,
	ASSIGN_ROUND_ROBIN,	/* the next ready member in turn */
	ASSIGN_LEAST_LOADED	/* the ready member with fewest open tickets */
};
struct svc_queue {
	char *name;
	struct label label;
	enum svc_assign assign;
	struct strv members;	/* login names */
	char *team;		/* and every user of this team, or NULL */
	struct svc_target *targets;	/* overrides per priority */
	size_t ntargets;
	char *script;		/* call script, {{field}} merged; or NULL */
};
enum svc_action {
	ESC_NOTIFY,		/* mark the ticket; supervisors see it */
	ESC_RAISE_PRIORITY,	/* one priority up */
	ESC_REASSIGN		/* to another queue (and its rule) */
};
struct svc_escalation {
	int percent;		/* of the resolution target used */
	enum svc_action action;
	char *queue;		/* ESC_REASSIGN's target */
	int line, column;	/* in service.yaml, for messages */
};
struct svc_script {
	char *campaign;		/* campaign code or name */
	char *text;
};
struct service {
	char *file;
	struct calendar cal;
	struct svc_target *targets;	/* per priority */
	size_t ntargets;
	struct svc_queue *queues;
	size_t nqueues;
	struct svc_escalation *escalations;	/* by percent */
	size_t nescalations;
	struct svc_script *scripts;
	size_t nscripts;
	long callback_grace;	/* a pending callback this late is missed */
	long wrap_up;		/* seconds of wrap-up after a call */
};
/* Load dir/service.yaml (a missing file gives the defaults); problems go
 * to diags as "file:line:column: message". 0, or -1 on any problem. */
int service_load(const char *dir, const struct forms *, struct service **,
    struct strv *diags);
void service_free(struct service *);
const struct svc_queue *service_queue(const struct service *,
    const char *name);
/* Targets for a ticket of this queue (may be empty) and priority. */
struct svc_target service_target(const struct service *, const char *queue,
    const char *priority);
/* Is user (of team) a member of the queue? */
bool service_queue_has(const struct svc_queue *, const char *user,
    const char *team);
/* Script text with {{field}} replaced from rec (display form; unknown
 * fields empty). Owned. */
char *service_merge(const char *tmpl, const struct entity *,
    const struct record *);
/* "30m", "4h", "1h30m", "90s", "2d" (d = 24 h) -> seconds; -1 if bad. */
long service_duration(const char *);
/* "-1h05m", "2d 3h", "45m" for a number of seconds (rounded to minutes). */
char *service_duration_text(long secs);

/* sla.c: working time on a calendar. */
bool cal_is_open_day(const struct calendar *, int yyyymmdd, int wday,
    struct svc_span *);
/* The time `work` working seconds after start. */
time_t cal_add(const struct calendar *, time_t start, long work);
/* Working seconds between a and b (negative when b < a). */
long cal_between(const struct calendar *, time_t a, time_t b);
/* Stored datetime ("2026-11-23T09:00:00", local) <-> time_t. */
int datetime_parse(const char *, time_t *);
char *datetime_format(time_t);

/* store-service.c: the service desk's rules, kept by the store on every
 * write of a ticket (any path: command line, desk, import): a number
 * when none is given, service-level due times from service.yaml, the
 * clock stopped while pending, first response and resolution times, the
 * status flow; and agents, assignment and the sweep. */
struct sla_state {
	long response_left;	/* working seconds, negative after breach */
	long resolution_left;
	bool has_response;	/* a target applies and is still running */
	bool has_resolution;
	bool paused;
	bool response_breached;
	bool resolution_breached;
};
/* Timers of a ticket now. */
void sla_state_of(const struct service *, const struct record *ticket,
    time_t now, struct sla_state *);
/* The service settings the store uses (from the forms' directory). */
const struct service *store_service(struct store *);
/* An agent's record by login name: svc_agent_find only looks (looking
 * is not signing on), svc_agent_get creates it as offline when missing. */
int svc_agent_find(struct store *, struct txn *, const char *user,
    struct record *);
int svc_agent_get(struct store *, struct txn *, const char *user,
    struct record *);
/* Change an agent's state (reason for paused; call_id/caller for
 * on_call), stamping since; each change is audited with its time. */
int svc_agent_set_state(struct store *, struct txn *, const char *user,
    const char *state, const char *reason, const char *call_id,
    const char *caller);
/* Take an unassigned ticket for user: exactly one of two racing agents
 * wins; the other gets ST_CONFLICT naming who holds it. */
int svc_ticket_take(struct store *, struct txn *, uint32_t id,
    const char *user);
/* Pick the agent for a ticket in queue by the queue's rule, among its
 * ready members; *user owned, NULL when nobody is ready. */
int svc_pick_agent(struct store *, struct txn *, const char *queue,
    char **user);
/* Open tickets (not resolved or closed) assigned to user. */
int svc_open_load(struct store *, struct txn *, const char *user,
    size_t *n);
struct sweep_escalation {
	char *number;		/* the ticket's */
	char *subject;
	char *queue;		/* after the step */
	char *assignee;
	int level;		/* the step taken, from 1 */
	int percent;		/* its share of the resolution time */
	enum svc_action action;
};
struct sweep_report {
	size_t breached;	/* tickets newly marked */
	size_t escalated;
	size_t missed;		/* callbacks newly flagged */
	size_t signed_off;	/* agents whose every desk had died */
	struct sweep_escalation *steps;	/* each step taken, to tell */
	size_t nsteps;
};
/* Frees the steps; the counts stay. */
void sweep_report_free(struct sweep_report *);
/* A customer's record for a call script, with what scripts also ask
 * for: last_order (number, date, total of the latest order) and
 * last_call (time and subject of the latest interaction). */
int svc_script_fields(struct store *, struct txn *, uint32_t customer,
    struct record *);
/* A callback still pending past its time and the grace, or flagged. */
bool svc_callback_missed(const struct service *, const struct record *,
    time_t now);
/* Mark breaches, run escalations and flag missed callbacks as of now;
 * tcrmd runs it on a timer, `tcrm sla run` by hand or from cron. */
int svc_sweep(struct store *, time_t now, struct sweep_report *);

/* cmd.c: the one table of commands, shared by the command line, SSH exec
 * requests and the desk's palette. */
struct cmd_ctx {
	const char *home;
	const char *forms_dir;
	const char *user;
	unsigned role;
	struct forms *forms;
	struct store *store;
	const char *name;	/* full command name, for messages */
};
#define CMD_FORMS 0x1u		/* needs the forms loaded */
#define CMD_STORE 0x2u		/* needs the store open (implies forms) */
struct cmd_entry {
	const char *name;	/* "find", "db verify" */
	const char *alias;
	const char *usage;	/* arguments after the name */
	const char *summary;
	unsigned roles;		/* who may run it */
	unsigned flags;
	int (*exec)(struct cmd_ctx *, int, char **);
};
extern const struct cmd_entry cmd_table[];
const struct cmd_entry *cmd_lookup(int argc, char **argv, int *used);
/* Run argv (the command and its arguments) as ctx->user. */
int cmd_run(struct cmd_ctx *, int argc, char **argv);
/* Load the forms and open the store now (messages on stderr). */
int cmd_open(struct cmd_ctx *);
void cmd_usage(FILE *, const struct cmd_entry *);
/* Messages at the edge: "tcrm: find: ..." on stderr. */
void cmd_error(const struct cmd_ctx *, const char *, ...) TCRM_ATTR_PRINTF(2, 3);
int cmd_store_error(const struct cmd_ctx *, int rc);
/* A refusal by a form's permissions: the message, an audit record of it
 * (entity, id, field as for store_audit_refusal) and EX_NOPERM. */
int cmd_refuse(struct cmd_ctx *, const struct entity *, uint32_t id,
    const char *field, const char *fmt, ...) TCRM_ATTR_PRINTF(5, 6);
const struct entity *cmd_entity(struct cmd_ctx *, const char *name);
bool cmd_parse_id(const char *, uint32_t *);
/* Where the forms come from: --forms, TCRM_FORMS, HOME/forms, installed. */
char *cmd_forms_dir(const struct cmd_ctx *);
int cmd_format_option(struct cmd_ctx *, const char *, enum out_format *);
int cmd_limit_option(struct cmd_ctx *, const char *, long most, size_t *);

/* import.c: the import engine behind `tcrm import`. */
enum on_duplicate {
	DUP_UPDATE,
	DUP_SKIP,
	DUP_FAIL
};
struct import_opts {
	const char *file;	/* a path, or "-" for standard input */
	enum import_format format;
	bool sniff;		/* no --format, a name that says nothing */
	const char *encoding;
	int delimiter;
	struct strv maps;	/* "Column=field", "A+B=field" */
	struct strv ignores;
	struct strv keys;	/* field names; "id" for record ids */
	struct strv links;	/* "customer.email=Customer Email" */
	struct strv defaults;	/* "field=value" for the records created */
	enum on_duplicate on_dup;
	bool keep_unknown;
	bool dry_run;
	bool partial;
	bool again;		/* a finished import's rows once more */
	const char *reject_path;
	size_t batch;
	bool progress;
	char *options_text;	/* the flags, for recognising a re-run */
};
struct import_stats {
	char id[24];
	size_t read;
	size_t created;
	size_t updated;
	size_t unchanged;
	size_t skipped;
	size_t rejected;
	size_t resumed_at;
	size_t committed;	/* rows up to the last committed batch */
	bool rolled_back;
};
int import_run(struct cmd_ctx *, const struct entity *, struct import_opts *,
    struct import_stats *);
/* Undo an import: delete what it created, restore what it updated;
 * records changed since by others are listed and kept unless force. */
int import_revert(struct cmd_ctx *, const char *id, bool force);
int import_list(struct cmd_ctx *, enum out_format);

/* cmd-*.c: the commands. */
int cmd_find_exec(struct cmd_ctx *, int, char **);
int cmd_show_exec(struct cmd_ctx *, int, char **);
int cmd_add_exec(struct cmd_ctx *, int, char **);
int cmd_set_exec(struct cmd_ctx *, int, char **);
int cmd_delete_exec(struct cmd_ctx *, int, char **);
int cmd_history_exec(struct cmd_ctx *, int, char **);
int cmd_forms_check_exec(struct cmd_ctx *, int, char **);
int cmd_db_verify_exec(struct cmd_ctx *, int, char **);
int cmd_db_stat_exec(struct cmd_ctx *, int, char **);
int cmd_db_checkpoint_exec(struct cmd_ctx *, int, char **);
int cmd_db_backup_exec(struct cmd_ctx *, int, char **);
int cmd_db_restore_exec(struct cmd_ctx *, int, char **);
int cmd_db_reindex_exec(struct cmd_ctx *, int, char **);
int cmd_help_exec(struct cmd_ctx *, int, char **);
/* cmd-pop.c */
int cmd_pop_exec(struct cmd_ctx *, int, char **);
int cmd_agi_exec(struct cmd_ctx *, int, char **);

/* store-draft.c: forms in progress, kept per user in draft.db so work
 * lost with a session (hang-up, crash) is offered back at the next. */
struct draft {
	char *user;
	char *key;		/* one per open form: "customer/42", "ticket/new/…" */
	char *entity;
	uint32_t id;		/* 0: a new record */
	int64_t saved;		/* microseconds since the epoch */
	char *focus;		/* field that had the cursor */
	struct record base;	/* the record as the form opened it */
	struct record edit;	/* the form's text, field by field */
};
void draft_init(struct draft *);
void draft_free(struct draft *);
int store_draft_put(struct store *, const struct draft *);
int store_draft_del(struct store *, const char *user, const char *key);
/* Every draft of user, newest first. */
int store_draft_list(struct store *, const char *user, struct draft **,
    size_t *n);

/* notify.c: each running desk listens on a Unix stream socket,
 * HOME/run/desk.USER.PID; a message either way is one line. */
#define NOTIFY_LINE_MAX 4096
struct notify_listener {
	int fd;
	int dirfd;		/* HOME/run, for paths too long for bind */
	char *name;		/* desk.USER.PID */
	char *path;
	long pid;		/* who made it: only it removes the socket */
};
struct notify_conn {
	int fd;
	struct buf in;
	int64_t opened_ms;
};
char *notify_dir(const char *home);
/* 0, or -1 with *why (owned). */
int notify_listen(const char *home, const char *user,
    struct notify_listener *, char **why);
void notify_unlisten(struct notify_listener *);
/* Socket names of user's desks, sorted; -1 if the directory is unreadable. */
int notify_desks(const char *home, const char *user, struct strv *names);
/* 0 with *fd (non-blocking), or an errno; *stale when nobody listened and
 * the socket was removed. */
int notify_connect(const char *home, const char *name, int *fd,
    bool *stale);
void notify_conn_init(struct notify_conn *, int fd);
void notify_conn_close(struct notify_conn *);
/* 1: *line (owned); 0: not yet; -1: closed, error or a bad line. */
int notify_read_line(struct notify_conn *, char **line);
int notify_write_line(int fd, const char *line, int timeout_ms);

/* pop.c: the screen pop: who is calling, the messages between tcrm pop
 * and a desk, and their delivery. */
#define POP_TEXT_MAX 64		/* bytes of a number or call id */
#define POP_MATCHES_MAX 20
struct pop_event {
	char *caller;		/* the number as the phone system gave it */
	char *called;
	char *call_id;
	char *from;		/* who ran tcrm pop */
	/* The sender's one match, if it found exactly one: a hint the desk
	 * checks against the record instead of searching again. */
	uint32_t customer;
	uint32_t contact;	/* 0: the customer's own phone */
};
struct pop_ack {
	int64_t us;		/* event read -> screen updated, in the desk */
	int64_t lookup_us;	/* of which: finding the caller */
	int64_t open_us;	/* opening the screens (reading the card) */
	size_t matches;
	const char *screen;	/* "card", "chooser", "form" (static) */
};
struct pop_match {
	uint32_t customer;
	uint32_t contact;	/* 0: the customer's own phone */
	char *name;
	char *company;
	char *phones;
	char *contact_name;
	char *tier;
	char *status;
};
struct pop_matches {
	struct pop_match *v;
	size_t n;
};
enum pop_state {
	POP_FAILED,
	POP_SENT,		/* no answer in time */
	POP_DRAWN
};
struct pop_delivery {
	char *name;		/* the socket */
	long pid;
	enum pop_state state;
	struct pop_ack ack;
	char *error;
};
bool pop_text_ok(const char *, size_t max);
void pop_event_init(struct pop_event *);
void pop_event_free(struct pop_event *);
char *pop_event_encode(const struct pop_event *);
int pop_event_decode(const char *line, struct pop_event *, char **why);
/* An escalation step as a notice for supervisors' desks, and back. */
char *pop_notice_encode(const struct sweep_escalation *);
int pop_notice_decode(const char *line, struct sweep_escalation *,
    char **why);
void pop_notice_free(struct sweep_escalation *);
/* Send the report's escalation steps to every desk of every enabled
 * supervisor and admin; returns how many desks took them. */
size_t pop_tell_overseers(struct store *, const struct sweep_report *);
char *pop_ack_encode(const struct pop_ack *);
int pop_ack_decode(const char *line, struct pop_ack *, char **why);
/* Customers whose phones, or whose contacts' phones, are the number
 * (any spelling); fields the role may not read are empty. */
int pop_lookup(struct store *, const char *number, unsigned role,
    struct pop_matches *);
/* The same, given the sender's one match (customer 0: none): when the
 * record still has the number in a field the role may read, that match
 * without a search; otherwise pop_lookup. */
int pop_lookup_hinted(struct store *, const char *number, unsigned role,
    uint32_t customer, uint32_t contact, struct pop_matches *);
void pop_matches_free(struct pop_matches *);
/* Read ahead what a card of the customer reads, into the shared cache. */
void pop_warm(struct store *, uint32_t customer);
/* Send ev to every desk user has open and wait up to timeout_ms for each
 * to say it drew it. -1 when the run directory cannot be read. */
int pop_deliver(const char *home, const char *user, const struct pop_event *,
    int timeout_ms, struct pop_delivery **, size_t *n, size_t *stale);
void pop_deliveries_free(struct pop_delivery *, size_t);

/* desk-field.c: the desk's input field, measured in grapheme clusters so
 * CJK, combining marks and emoji move, delete and clip as one. */
struct dfield {
	struct buf text;
	size_t *off;	/* byte offset of each cluster; n + 1 entries */
	size_t *col;	/* display column of each cluster; n + 1 entries */
	size_t n;	/* clusters */
	size_t cur;	/* cursor: a cluster index, 0..n */
	size_t scroll;	/* first display column shown (one line) */
	size_t top;	/* first row shown (several lines) */
	bool multiline;
};
enum dfield_op {
	DF_LEFT,
	DF_RIGHT,
	DF_HOME,
	DF_END,
	DF_WORD_LEFT,
	DF_WORD_RIGHT,
	DF_BACKSPACE,
	DF_DELETE,
	DF_KILL_END,
	DF_KILL_START,
	DF_KILL_WORD
};
/* What a one-line field shows: bytes [start, end) drawn after lead blank
 * columns; used columns in all; the cursor's column in the field. */
struct dfield_view {
	size_t start;
	size_t end;
	size_t lead;
	size_t used;
	size_t cursor_x;
	bool more_left;
	bool more_right;
};
struct dfield_row {
	size_t start;
	size_t end;
};
void dfield_init(struct dfield *, const char *text, bool multiline);
void dfield_free(struct dfield *);
void dfield_set(struct dfield *, const char *text);
const char *dfield_text(const struct dfield *);
size_t dfield_cursor(const struct dfield *);	/* byte offset */
size_t dfield_cursor_column(const struct dfield *);
size_t dfield_width(const struct dfield *);
void dfield_insert(struct dfield *, const char *);
void dfield_insert_cp(struct dfield *, int32_t);
/* False when the key changed nothing (at an edge). */
bool dfield_edit(struct dfield *, enum dfield_op);
bool dfield_vertical(struct dfield *, size_t width, int dir);
void dfield_view(struct dfield *, size_t width, struct dfield_view *);
size_t dfield_view_rows(struct dfield *, size_t width, size_t height,
    struct dfield_row *, size_t *cursor_row, size_t *cursor_x);

/* desk-*.c: the curses desk. */
/* Open the desk on ctx's store (opened here if need be), on a record
 * when open_entity is given. Returns an exit status. */
int desk_run(struct cmd_ctx *, const struct entity *open_entity,
    uint32_t open_id);
int cmd_desk_exec(struct cmd_ctx *, int, char **);
/* Make the locale UTF-8 or say how; 0 when the desk can run. */
int desk_locale(char **why);
/* Keep the language of a UTF-8 locale that is not installed (LANGUAGE). */
void locale_keep_language(void);

#ifdef TCRM_DESK_INTERNAL
/* Desk internals, shared by desk-*.c only. */
#include <curses.h>

/* A key: a character as its code point, or a curses KEY_* code. */
#define DK_NONE (-1)
#define DK_FN 0x40000000
#define DK(k) (DK_FN | (k))
#define DK_CTRL(c) ((c) & 0x1f)
#define DK_ENTER '\r'
#define DK_ESC 27
#define DK_TAB '\t'
#define DK_BACKSPACE DK(KEY_BACKSPACE)
#define DK_RESIZE DK(KEY_RESIZE)

struct desk;
struct desk_screen;
typedef void (*desk_action_fn)(struct desk *, struct desk_screen *);
/* Key bindings are data: a key names an action, an action names its
 * function; the key bar, the help screen and the man page check all read
 * the same tables. */
struct desk_action {
	const char *name;
	const char *label;	/* on the key bar, N_() */
	const char *help;	/* on the help screen, N_() */
	desk_action_fn fn;
};
struct desk_binding {
	int key;
	const char *action;
	bool bar;
};
struct desk_keymap {
	const char *name;
	const char *title;	/* N_() */
	const struct desk_action *actions;
	const struct desk_binding *bindings;
};
#define DESK_KEYMAPS_MAX 6
struct desk_keychain {
	const struct desk_keymap *v[DESK_KEYMAPS_MAX];
	size_t n;
};
enum desk_attr {
	DA_NORMAL,
	DA_BAR,
	DA_KEY,
	DA_SELECT,
	DA_LABEL,
	DA_ERROR,
	DA_DIM,
	DA_FIELD,
	DA_FOCUS,
	DA_TITLE,
	DA_HEADER,
	DA_OK,
	DA_COUNT
};
struct desk_screen_ops {
	const char *name;
	bool overlay;		/* a pop-up: the screen below shows too */
	/* Key tables in the order they are tried (the global one last). */
	void (*keys)(struct desk_screen *, struct desk_keychain *);
	void (*draw)(struct desk *, struct desk_screen *);
	/* A key no table binds (typed text); true if used. */
	bool (*text)(struct desk *, struct desk_screen *, int key);
	/* The field the editing keys act on, or NULL. */
	struct dfield *(*field)(struct desk_screen *);
	/* Input drained: run what the typing asked for (a search). */
	void (*settle)(struct desk *, struct desk_screen *);
	/* On top again after the screen above closed. */
	void (*resume)(struct desk *, struct desk_screen *);
	/* Unsaved work: keep it as a draft now (idle, hang-up). */
	void (*keep)(struct desk *, struct desk_screen *, bool force);
	bool (*dirty)(struct desk_screen *);
	void (*free)(struct desk *, struct desk_screen *);
	/* About twice a second while on top: read again what others may
	 * have changed (My work, the board), in short transactions. */
	void (*tick)(struct desk *, struct desk_screen *);
};
struct desk_screen {
	const struct desk_screen_ops *ops;
	void *data;
	struct desk_screen *below;
};
struct desk {
	struct cmd_ctx *ctx;
	struct store *store;
	const struct forms *forms;
	const char *lang;
	struct desk_screen *top;
	char *msg;
	bool msg_error;
	unsigned msg_seq;	/* counts messages set: has one come? */
	bool quit;
	attr_t attrs[DA_COUNT];
	int cursor_y;		/* where the terminal cursor goes; -1 hidden */
	int cursor_x;
	int key;		/* the key being handled */
	int64_t last_key_us;
	struct desk_svc *svc;	/* agent state, callbacks seen (desk-state.c) */
	time_t clock_minute;
	char clock[32];
	struct desk_pop *pop;	/* calls pushed by tcrm pop (desk-pop.c) */
};
#define DESK_MIN_COLS 80
#define DESK_MIN_ROWS 24
/* desk.c */
void desk_push(struct desk *, const struct desk_screen_ops *, void *);
void desk_pop(struct desk *);
void desk_unwind_clean(struct desk *);
void desk_message(struct desk *, const char *, ...) TCRM_ATTR_PRINTF(2, 3);
void desk_error(struct desk *, const char *, ...) TCRM_ATTR_PRINTF(2, 3);
/* A store call failed: say so in the user's language where we can. */
void desk_store_error(struct desk *, int rc);
typedef void (*desk_answer_fn)(struct desk *, void *, int answer);
/* Ask a question; answer is the key of the chosen choice, or DK_ESC. */
void desk_ask(struct desk *, const char *question, const char *keys,
    desk_answer_fn, void *);
void desk_handle_key(struct desk *, int key);
void desk_settle(struct desk *);
void desk_draw(struct desk *);
int desk_body_top(void);
int desk_body_rows(void);
/* Leave curses to run a command on the plain terminal, then come back. */
int desk_run_outside(struct desk *, int argc, char **argv);
/* Every form on the stack keeps its draft (force: even if kept lately). */
void desk_keep_drafts(struct desk *, bool force);
struct desk *desk_new(struct cmd_ctx *);
void desk_free(struct desk *);
void desk_colors(struct desk *);
/* desk-draw.c: the one place that puts text on the screen. */
int desk_put(struct desk *, int y, int x, int width, const char *,
    enum desk_attr);
void desk_put_pad(struct desk *, int y, int x, int width, const char *,
    enum desk_attr);
void desk_fill(struct desk *, int y, int x, int width, enum desk_attr);
void desk_box(struct desk *, int y, int x, int h, int w, const char *title);
void desk_draw_field(struct desk *, struct dfield *, int y, int x,
    int width, bool focus, enum desk_attr);
void desk_draw_area(struct desk *, struct dfield *, int y, int x,
    int width, int height, bool focus);
char *desk_time(int64_t us, bool with_date);
/* A stored value as a screen shows it: enum labels, yes/no, money. */
char *desk_value(struct desk *, const struct field *, const char *stored);
const char *desk_label(struct desk *, const struct label *);
/* desk-keys.c */
extern const struct desk_keymap desk_global_keys;
extern const struct desk_keymap desk_browse_keys;
extern const struct desk_keymap desk_edit_keys;
void desk_keychain_add(struct desk_keychain *, const struct desk_keymap *);
/* Run the action bound to key; false when nothing is. */
bool desk_keys_dispatch(struct desk *, struct desk_screen *, int key);
char *desk_key_name(int key);
void desk_keys_bar(struct desk *, struct desk_screen *, int y);
/* Every key table, for help and `tcrm desk --keys`. */
extern const struct desk_keymap *const desk_keymaps[];
extern const struct desk_keymap desk_search_keys, desk_results_keys,
    desk_card_keys, desk_form_keys, desk_form_text_keys,
    desk_form_area_keys, desk_form_choice_keys, desk_form_ref_keys,
    desk_pick_keys, desk_merge_keys, desk_palette_keys, desk_help_keys;
/* The help screen's lines for a screen: its tables, titled. */
void desk_keys_help(struct desk_screen *, struct strv *);
int desk_print_keys(FILE *);
int desk_normal_key(int key);
bool desk_printable(int key);
/* desk-search.c */
void desk_search_open(struct desk *, const char *query);
/* desk-card.c */
void desk_card_open(struct desk *, const struct entity *, uint32_t id);
/* Read the card on top again if it shows this record. */
void desk_card_refresh(struct desk *, const struct entity *, uint32_t id);
/* A new record of e for the card on top, if there is one it belongs to. */
bool desk_card_new_here(struct desk *, const struct entity *);
/* desk-form.c */
typedef void (*desk_form_saved_fn)(struct desk *, void *,
    const struct record *);
struct desk_form_opts {
	const struct record *preset;	/* values for a new record */
	bool log_call;			/* focus the outcome, then the note */
	desk_form_saved_fn saved;	/* after a save, with the record */
	void *saved_arg;
	bool focus_required;		/* start on the first required field
					 * still empty (a caller's new card) */
};
void desk_form_new(struct desk *, const struct entity *,
    const struct desk_form_opts *);
void desk_form_edit(struct desk *, const struct entity *, uint32_t id);
/* Edit a logged call as `c` on a card logs one: outcome, then note. */
void desk_form_log_call(struct desk *, const struct entity *, uint32_t id);
void desk_form_restore(struct desk *, struct draft *);
/* Offer the drafts a lost session left. */
void desk_drafts_offer(struct desk *);
/* desk-pick.c: a pop-up list with type-to-filter. */
struct desk_pick_item {
	char *label;
	char *value;
	char *key;	/* hotkey shown beside it, may be NULL */
};
typedef void (*desk_pick_fill_fn)(struct desk *, void *, const char *filter,
    struct desk_pick_item **, size_t *);
typedef void (*desk_pick_done_fn)(struct desk *, void *, const char *value);
void desk_pick_open(struct desk *, const char *title,
    struct desk_pick_item *, size_t, const char *filter,
    desk_pick_done_fn, void *);
/* Items come from fill at every change of the filter (searches). */
void desk_pick_open_live(struct desk *, const char *title,
    desk_pick_fill_fn, desk_pick_done_fn, void *, const char *filter);
void desk_pick_items_free(struct desk_pick_item *, size_t);
/* desk-merge.c: both versions of every field two agents changed. */
struct desk_merge_field {
	const struct field *field;
	char *mine;
	char *theirs;
	int pick;	/* 0 none yet, 1 mine, 2 theirs */
};
typedef void (*desk_merge_done_fn)(struct desk *, void *,
    struct desk_merge_field *, size_t, bool saved);
/* Three-way merge: fields changed on one side only are taken from that
 * side into *out; the overlapping ones are returned for the agent. */
void desk_merge_records(const struct entity *, const struct record *base,
    const struct record *mine, const struct record *theirs,
    struct record *out, struct desk_merge_field **, size_t *);
void desk_merge_open(struct desk *, const struct entity *, uint32_t id,
    const char *who, struct desk_merge_field *, size_t,
    desk_merge_done_fn, void *);
/* desk-palette.c */
void desk_palette_open(struct desk *);
/* desk-help.c */
void desk_help_open(struct desk *, struct desk_screen *);
/* desk-state.c: the agent's state on the top line and its keys, wrap-up
 * after a call, callbacks from a disposition, due callbacks announced. */
extern const struct desk_keymap desk_agent_keys;
void desk_svc_init(struct desk *);
void desk_svc_free(struct desk *);
/* "Ready 0:05" for the top line, owned; NULL when there is nothing. */
char *desk_state_text(struct desk *);
/* "4:05" or "1:02:03" for a number of seconds (negative as 0), owned. */
char *desk_elapsed_text(long secs);
/* Every time round the loop: ticks the screen on top, reads the state;
 * true when the whole screen must be drawn again. */
bool desk_poll(struct desk *);
/* How long the loop may wait for a key before the next poll is due. */
int desk_poll_wait(struct desk *, int max_ms);
/* A call was logged (the saved interaction): wrap-up, and a callback
 * when its outcome asks for one. */
void desk_call_logged(struct desk *, const struct record *);
/* The agent's presence: ready when a desk opens on an offline agent,
 * on_call when a call pops up, offline when their last desk closes
 * (users of the store only). */
void desk_sign_on(struct desk *);
void desk_sign_off(struct desk *);
void desk_call_started(struct desk *, const char *call_id,
    const char *caller);
/* The queues the user belongs to, by service.yaml; NULL-terminated,
 * owned by the desk. */
const struct svc_queue **desk_my_queues(struct desk *);
/* desk-script.c: the call script panel below a card or a call's form. */
void desk_script_toggle(struct desk *);
void desk_script_layout(struct desk *);
void desk_script_draw(struct desk *);
int desk_script_rows(void);
/* desk-work.c: My work, the agent's tickets and callbacks. */
extern const struct desk_keymap desk_work_keys;
void desk_work_open(struct desk *);
typedef void (*desk_due_fn)(struct desk *, uint32_t id, const char *what,
    void *);
/* Each pending callback of mine (or my queues') due by now. */
int desk_work_each_due(struct desk *, time_t now, desk_due_fn, void *);
/* Records already read and not worth reading again every poll (closed
 * tickets, calls of another day), each with a number: a long history
 * then costs an index walk, not a read of every record. */
struct desk_idmap {
	struct desk_idmap_entry {
		uint32_t id;
		int32_t v;
	} *e;
	size_t n;
	size_t size;
};
bool desk_idmap_get(const struct desk_idmap *, uint32_t id, int32_t *v);
void desk_idmap_put(struct desk_idmap *, uint32_t id, int32_t v);
void desk_idmap_clear(struct desk_idmap *);
/* desk-board.c: the supervisor's board. */
extern const struct desk_keymap desk_board_keys;
void desk_board_open(struct desk *);
/* desk-kb.c: knowledge base articles into a form's note. */
void desk_kb_open(struct desk *, struct desk_screen *form);
/* desk-form.c: what other screens read and write of an open form. */
const char *desk_form_text(struct desk_screen *, const char *field,
    const struct entity **);
bool desk_form_insert(struct desk_screen *, const char *field,
    const char *text);
/* desk-card.c: the record a card shows (NULL: s is no loaded card). */
const struct record *desk_card_record(struct desk_screen *,
    const struct entity **);
/* desk-pop.c: calls pushed into the desk by tcrm pop. */
#define DK_EVENT DK(0x3fff)	/* not a key: a call was taken in */
void desk_pop_start(struct desk *);
void desk_pop_stop(struct desk *);
/* Wait up to ms for the keyboard or a call; true when a call came. */
bool desk_pop_wait(struct desk *, int ms);
/* The screen is up to date: tell tcrm pop, then record the call. */
void desk_pop_drawn(struct desk *);
/* The interaction the last call of this customer made, or 0. */
uint32_t desk_pop_interaction(struct desk *, uint32_t customer);
#endif
int cmd_import_exec(struct cmd_ctx *, int, char **);
int cmd_export_exec(struct cmd_ctx *, int, char **);

/* cmd-user.c: tcrm user, and who runs a local tcrm. */
int cmd_user_add_exec(struct cmd_ctx *, int, char **);
int cmd_user_set_exec(struct cmd_ctx *, int, char **);
int cmd_user_key_exec(struct cmd_ctx *, int, char **);
int cmd_user_disable_exec(struct cmd_ctx *, int, char **);
int cmd_user_enable_exec(struct cmd_ctx *, int, char **);
int cmd_user_list_exec(struct cmd_ctx *, int, char **);
/* Sets ctx->user and ctx->role for a local run, or refuses (EX_NOPERM). */
int cmd_identify(struct cmd_ctx *, const char *login, const char *as);

/* cmd-ticket.c, cmd-callback.c, cmd-agent.c, cmd-sla.c: the service
 * desk's commands; cmd-service.c: what they share. */
int cmd_ticket_new_exec(struct cmd_ctx *, int, char **);
int cmd_ticket_show_exec(struct cmd_ctx *, int, char **);
int cmd_ticket_list_exec(struct cmd_ctx *, int, char **);
int cmd_ticket_assign_exec(struct cmd_ctx *, int, char **);
int cmd_ticket_take_exec(struct cmd_ctx *, int, char **);
int cmd_ticket_status_exec(struct cmd_ctx *, int, char **);
int cmd_ticket_note_exec(struct cmd_ctx *, int, char **);
int cmd_callback_add_exec(struct cmd_ctx *, int, char **);
int cmd_callback_list_exec(struct cmd_ctx *, int, char **);
int cmd_callback_done_exec(struct cmd_ctx *, int, char **);
int cmd_agent_state_exec(struct cmd_ctx *, int, char **);
int cmd_agent_list_exec(struct cmd_ctx *, int, char **);
int cmd_sla_run_exec(struct cmd_ctx *, int, char **);
int cmd_sla_show_exec(struct cmd_ctx *, int, char **);
/* Unknown option: point at --help; EX_USAGE. */
int cmd_bad_option(struct cmd_ctx *);
/* A customer by id, phone, email or name; a ticket by number or id.
 * Each says what is wrong and returns an exit status. */
int cmd_find_customer(struct cmd_ctx *, const char *, uint32_t *id);
int cmd_find_ticket(struct cmd_ctx *, const char *, uint32_t *id);
/* 0 for an enabled user of the store, else EX_NOUSER with a message. */
int cmd_check_user(struct cmd_ctx *, const char *name);
int cmd_check_queue(struct cmd_ctx *, const char *queue);
/* Set a field of r from the user's text, normalised by the form. */
int cmd_field_value(struct cmd_ctx *, const struct entity *,
    const char *field, const char *in, struct record *r);
/* The role may write every field of r (refusals audited). */
int cmd_check_fields(struct cmd_ctx *, const struct entity *, uint32_t id,
    const struct record *r);
/* A stored datetime as "2026-11-23 09:00"; age of one until now. */
char *cmd_time_text(const char *stored);
char *cmd_age_text(const char *stored, time_t now);
char *cmd_now_text(void);
/* A text argument; "-" reads standard input. */
char *cmd_text_arg(const char *);

/* server-split.c: an SSH command line split as a shell would quote it,
 * without a shell. -1 with *why (owned) for what a shell would expand. */
int split_command(const char *line, struct strv *argv, char **why);
/* 1 if argv starts with the program's own name ("tcrm"), else 0. */
size_t split_skip_program(const struct strv *argv);

/* server-*.c, tcrmd.c: tcrmd, the SSH server. */
struct server_config {
	char *home;		/* the environment directory */
	char *forms_dir;	/* NULL: as tcrm finds them */
	char *address;
	char *port;
	char *host_key;		/* NULL: HOME/ssh_host_ed25519_key */
	char *admin_key;	/* a first admin's public key file */
	char *admin_name;
	unsigned max_sessions;
	unsigned max_sessions_per_user;
	unsigned max_auth_tries;
	unsigned login_grace_time;	/* seconds */
	unsigned idle_timeout;		/* seconds; 0: none */
	unsigned checkpoint_interval;	/* seconds */
	unsigned sla_interval;		/* seconds between service sweeps */
	bool foreground;
};
void server_config_init(struct server_config *);
void server_config_free(struct server_config *);
/* One "key value" setting; -1 with *err (owned) when it is wrong. */
int server_config_set(struct server_config *, const char *key,
    const char *value, char **err);
/* A file of settings; every problem is appended to errors. */
int server_config_load(struct server_config *, const char *path, bool must,
    struct strv *errors);
/* syslog, or stderr in the foreground; priorities as syslog's. */
void server_log_open(bool foreground);
void server_log(int priority, const char *, ...) TCRM_ATTR_PRINTF(2, 3);
/* Accept connections until SIGTERM; a process per connection. */
int server_listen(const struct server_config *, struct forms **);
/* Make name an admin with the key in file, unless (only_first) an enabled
 * admin exists already. Returns an exit status. */
int server_first_admin(const struct server_config *, struct forms *,
    const char *name, const char *file, bool only_first);
/* Open the store in a child, sweep service levels (svc_sweep) and, when
 * asked, checkpoint; returns the child. */
int server_checkpoint(const struct server_config *, struct forms *,
    bool checkpoint);

#ifdef TCRM_STORE_INTERNAL
/* Store internals, shared by store-*.c only. */
#include <db.h>

struct txn {
	DB_TXN *tid;
};
struct store_entity;
struct store_index {
	char *name;			/* "customer.phones" */
	const struct field *field;
	struct store_entity *owner;
	enum index_kind kind;
	bool unique;
	DB *db;				/* associated secondary */
	DB *raw;			/* same file, read directly */
	bool stale;			/* built by another layout or definition */
};
struct store_entity {
	const struct entity *entity;
	struct store *store;
	DB *primary;
	struct store_index *indexes;
	size_t nindexes;
	uint32_t seq_next;		/* the id sequence, within one txn */
	bool seq_loaded;
	bool seq_dirty;
};
struct store {
	DB_ENV *env;
	char *home;
	int mode;			/* of files made: 0600, 0660 if shared */
	const struct forms *forms;
	char *user;
	char *import_id;
	bool nosync;
	bool need_reopen;
	void (*waiting)(pid_t, bool);
	struct store_entity *entities;
	size_t nentities;
	DB *meta;			/* sequences and catalogue */
	DB *audit;
	DB *audit_by_record;
	DB *audit_by_import;
	DB *drafts;			/* forms in progress (store-draft.c) */
	char *err;
	struct strv notices;
	uint32_t audit_counter;
	pid_t pid;			/* in audit keys; read once */
	double last_trim;		/* bulk mode: the last checkpoint */
	/* The first and last audit keys this transaction wrote for an
	 * import, filed under it at commit (store-audit.c). */
	char *span_import;
	unsigned char span_lo[16], span_hi[16];
	/* An import's creates of fresh ids in this transaction: one audit
	 * record for ids first..last, its key taken at the first of them. */
	DB *audit_creates;		/* audit-create.idx: entity, first id */
	char *creates_entity;
	char *creates_import;
	uint32_t creates_first, creates_last;
	int64_t creates_time;
	unsigned char creates_key[16];
};
/* store-service.c: a ticket's number, due times, pause, first response,
 * resolution and assignment, before it is written. */
int st_ticket_prepare(struct store *, struct txn *, const struct record *old,
    struct record *);
/* store-env.c */
/*
 * Page size of a new primary or index file (files made before keep
 * theirs). Against 4 KiB, 16 KiB pages took a 100k-row import 6 % less
 * time (fewer levels and splits per put) and left phone and prefix
 * lookups no slower, even from a 32 MiB cache.
 */
#define ST_PAGE_SIZE 16384
int st_dberr(struct store *, int ret, const char *what);
int st_fail(struct store *, int rc, const char *fmt, ...) TCRM_ATTR_PRINTF(3, 4);
struct store_entity *st_entity(struct store *, const struct entity *);
DB_TXN *st_tid(struct txn *);
void st_key_u32(unsigned char out[4], uint32_t);
uint32_t st_u32_key(const void *);
/* store-record.c */
void st_seq_reset(struct store *);
int st_seq_flush(struct store *, DB_TXN *);
/* store-index.c */
int st_open_indexes(struct store *, struct store_entity *, DB_TXN *);
int st_rebuild_stale_indexes(struct store *);
void st_close_indexes(struct store_entity *);
struct keyset {
	struct buf *v;
	size_t n;
};
void keyset_free(struct keyset *);
/* Every secondary key a record gives in an index (deduplicated). */
void st_index_putting(const struct record *, const void *, size_t);
void st_index_keys(const struct store_index *, const struct record *,
    struct keyset *);
/* The fields a result list shows, packed into prefix-index keys so a
 * search needs no primary read. */
int st_hit_from_bytes(const struct store_entity *, uint32_t id,
    const void *, size_t, struct hit *);
int st_meta_get(struct store *, DB_TXN *, const char *key, struct buf *val,
    u_int32_t flags);
int st_meta_put(struct store *, DB_TXN *, const char *key, const void *,
    size_t);
/* store-audit.c */
int st_audit_write(struct store *, DB_TXN *, const char *action,
    const struct entity *, const struct record *old,
    const struct record *new);
/* An import's create of an id the sequence gave: one audit record for
 * the transaction's run of them, written by st_audit_flush. */
int st_audit_import_create(struct store *, DB_TXN *, const struct entity *,
    uint32_t id);
int st_audit_open(struct store *, DB_TXN *);
void st_audit_begin(struct store *);
int st_audit_flush(struct store *, DB_TXN *);
/* The audit's three indexes against its records (db verify). */
void st_audit_verify(struct store *, struct verify_report *);
/* store-draft.c */
int st_draft_open(struct store *, DB_TXN *);
/* Fields of entity/id changed after version `since`, and by whom. */
int st_changed_since(struct store *, DB_TXN *, const struct entity *,
    uint32_t id, uint32_t since, struct strv *fields, struct strv *users);
#endif

#ifdef TCRM_SERVER_INTERNAL
/* Server internals, shared by server-*.c only. */
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <syslog.h>

enum session_request {
	REQ_NONE,
	REQ_SHELL,
	REQ_EXEC
};
/* The half of a session that talks to the client once the command runs:
 * channel data to the worker's stdin, its stdout and stderr back. */
struct bridge {
	pid_t worker;
	int in_fd;		/* the worker's stdin (the PTY master) */
	int out_fd;		/* its stdout (the PTY master) */
	int err_fd;		/* its stderr; -1 on a PTY */
	int status_fd;		/* its exit status arrives here */
	bool pty;
	short watched[4];	/* events registered for in, out, err, status */
	struct buf held;	/* taken from libssh, not yet written */
	size_t held_off;
	bool in_waiting;	/* libssh holds client data for in_fd */
	bool in_closed;
	bool client_eof;
	bool out_eof;
	bool err_eof;
	int status;		/* -1: unknown yet; -2: the worker died */
	bool finished;		/* exit status, EOF and close sent */
	bool client_gone;
	int64_t last_activity;	/* milliseconds, monotonic */
	int64_t linger_until;
};
struct session {
	const struct server_config *cfg;
	struct forms *forms;
	char peer[80];
	int64_t started;	/* milliseconds, monotonic */
	ssh_session ssh;
	ssh_event event;
	ssh_channel channel;
	struct ssh_server_callbacks_struct server_cb;
	struct ssh_channel_callbacks_struct channel_cb;
	struct store *store;	/* opened for the first key offered */
	unsigned auth_tries;
	bool authenticated;
	bool give_up;
	char *asked;		/* the user name the client gave */
	struct user user;	/* that user, if the store knows them */
	bool user_known;
	char *fingerprint;	/* of the key that signed in */
	int slot_fd;
	bool pty;
	char *term;
	struct winsize ws;
	int pty_master;
	int pty_slave;
	struct strv env;	/* LANG and LC_* as the client sent them */
	enum session_request request;
	char *command;
	bool bridging;		/* in the bridge process */
	struct bridge br;
};
int64_t server_now_ms(void);
void quick_ack(int fd);
/* server-session.c */
void session_run(const struct server_config *, struct forms *, ssh_bind,
    int fd, const char *peer) TCRM_ATTR_NORETURN;
void session_exit(struct session *, int status) TCRM_ATTR_NORETURN;
/* server-auth.c */
int auth_pubkey(ssh_session, const char *user, struct ssh_key_struct *,
    char state, void *);
/* Claim a session slot for the user (limits in total and per user);
 * -1 with *why (owned) when over a limit. */
int slot_claim(struct session *, char **why);
void slot_release(struct session *);
/* server-bridge.c */
void bridge_run(struct session *) TCRM_ATTR_NORETURN;
int bridge_data(struct session *, void *, uint32_t, int is_stderr);
void bridge_client_eof(struct session *);
/* server-worker.c */
void worker_run(struct session *, int status_fd) TCRM_ATTR_NORETURN;
#endif

#endif /* TCRM_H */
