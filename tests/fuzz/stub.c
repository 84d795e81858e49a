/* stub.c - what the readers under fuzzing need from the rest of tcrm. */
#include "tcrm.h"

#include <string.h>

volatile int store_stop_signal;

/* The readers look up the fuzz form's fields by name. */
struct field *
entity_field(const struct entity *e, const char *name)
{
	size_t i = 0;

	while (i < e->nfields && strcmp(e->fields[i].name, name) != 0)
		i++;
	return i < e->nfields ? &e->fields[i] : NULL;
}
