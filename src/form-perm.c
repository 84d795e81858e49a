/* form-perm.c - roles, and who may read, write and delete what, as the
 * forms say. Field roles already include their entity's (form-load.c), so
 * a field check is the whole check. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	unsigned role;
} roles[] = {
	{ "agent", ROLE_AGENT },
	{ "supervisor", ROLE_SUPERVISOR },
	{ "admin", ROLE_ADMIN },
};

int
role_parse(const char *name, unsigned *role)
{
	for (size_t i = 0; i < sizeof roles / sizeof *roles; i++) {
		if (strcmp(roles[i].name, name) == 0) {
			*role = roles[i].role;
			return 0;
		}
	}
	return -1;
}

/* The highest role in a set: a user holds exactly one, but a command or
 * a field names several. */
const char *
role_name(unsigned role)
{
	for (size_t i = sizeof roles / sizeof *roles; i > 0; i--) {
		if (role & roles[i - 1].role)
			return roles[i - 1].name;
	}
	return "none";
}

bool
entity_readable(const struct entity *e, unsigned role)
{
	return (e->read_roles & role) != 0;
}

bool
entity_writable(const struct entity *e, unsigned role)
{
	return (e->write_roles & role) != 0;
}

bool
entity_deletable(const struct entity *e, unsigned role)
{
	return (e->delete_roles & role) != 0;
}

bool
field_readable(const struct field *f, unsigned role)
{
	return (f->read_roles & role) != 0;
}

bool
field_writable(const struct field *f, unsigned role)
{
	return (f->write_roles & role) != 0;
}

/* Values of a record a role may not read are emptied; unknown fields
 * (kept from an older form) stay, as `show` prints them. */
void
record_hide_unreadable(const struct entity *e, struct record *r,
    unsigned role)
{
	for (size_t i = 0; i < e->nfields; i++) {
		if (!field_readable(&e->fields[i], role))
			record_set(r, e->fields[i].name, "");
	}
}

/* "supervisor or admin", for messages. */
char *
roles_text(unsigned set)
{
	struct strv names;
	char *s;

	strv_init(&names);
	for (size_t i = 0; i < sizeof roles / sizeof *roles; i++) {
		if (set & roles[i].role)
			strv_push(&names, roles[i].name);
	}
	s = names.n ? strv_join(&names, " or ") : xstrdup("nobody");
	strv_free(&names);
	return s;
}

static const struct field *
first_of_type(const struct entity *e, enum field_type a, enum field_type b)
{
	for (size_t i = 0; i < e->nfields; i++) {
		if (e->fields[i].type == a || e->fields[i].type == b)
			return &e->fields[i];
	}
	return NULL;
}

static void
hide(char **slot, const struct entity *e, const struct field *f,
    const char *name, unsigned role)
{
	if (f == NULL && name != NULL)
		f = entity_field(e, name);
	if (f != NULL && !field_readable(f, role)) {
		free(*slot);
		*slot = xstrdup("");
	}
}

/* A search result carries the fields a list shows (store-index.c packs
 * the same ones); empty those the role may not read. */
void
hit_hide_unreadable(struct hit *h, unsigned role)
{
	const struct entity *e = h->entity;

	hide(&h->title, e, NULL, e->title, role);
	hide(&h->subtitle, e, NULL, e->subtitle, role);
	hide(&h->phones, e, first_of_type(e, FT_PHONES, FT_PHONE), NULL, role);
	hide(&h->email, e, first_of_type(e, FT_EMAIL, FT_EMAIL), NULL, role);
}
