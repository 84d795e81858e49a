/* fixture.h - a fresh environment per Criterion test. */
#ifndef TCRM_FIXTURE_H
#define TCRM_FIXTURE_H

#include "tcrm.h"

extern struct forms *fx_forms;
extern struct store *fx_store;
extern char fx_home[];

void fx_setup(void);
void fx_teardown(void);
const struct entity *fx_entity(const char *);
/* Create a record from "field", "value" pairs (NULL-terminated);
 * returns its id, or 0 with fx_rc set. */
uint32_t fx_add(const char *entity, ...);
extern int fx_rc;
/* A store handle on the same home: one per process (DB_REGISTER). */
struct store *fx_open(const char *user);

#endif
