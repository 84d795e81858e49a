/* server-config.c - tcrmd's settings: defaults, then the configuration
 * file, then the command line. The file is "key value" lines; '#' starts
 * a comment. */
#include "tcrm.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void
server_config_init(struct server_config *c)
{
	memset(c, 0, sizeof *c);
	c->address = xstrdup("0.0.0.0");
	c->port = xstrdup("2222");
	c->admin_name = xstrdup("admin");
	c->max_sessions = 500;
	c->max_sessions_per_user = 10;
	c->max_auth_tries = 6;
	c->login_grace_time = 30;
	c->idle_timeout = 0;
	c->checkpoint_interval = 300;
	c->sla_interval = 60;
}

void
server_config_free(struct server_config *c)
{
	free(c->home);
	free(c->forms_dir);
	free(c->address);
	free(c->port);
	free(c->host_key);
	free(c->admin_key);
	free(c->admin_name);
	memset(c, 0, sizeof *c);
}

static void
set_string(char **slot, const char *value)
{
	free(*slot);
	*slot = xstrdup(value);
}

static int
set_number(unsigned *slot, const char *value, unsigned min, unsigned max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (*value == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*slot = (unsigned)v;
	return 0;
}

/* One setting by name, from the file or from -o. */
int
server_config_set(struct server_config *c, const char *key,
    const char *value, char **err)
{
	static const struct {
		const char *key;
		size_t offset;
		unsigned min, max;
	} numbers[] = {
		{ "max-sessions", offsetof(struct server_config, max_sessions),
		  1, 100000 },
		{ "max-sessions-per-user", offsetof(struct server_config,
		  max_sessions_per_user), 1, 100000 },
		{ "max-auth-tries", offsetof(struct server_config,
		  max_auth_tries), 1, 100 },
		{ "login-grace-time", offsetof(struct server_config,
		  login_grace_time), 1, 3600 },
		{ "idle-timeout", offsetof(struct server_config, idle_timeout),
		  0, 86400 * 7 },
		{ "checkpoint-interval", offsetof(struct server_config,
		  checkpoint_interval), 1, 86400 },
		{ "sla-interval", offsetof(struct server_config,
		  sla_interval), 1, 86400 },
	};
	static const struct {
		const char *key;
		size_t offset;
	} strings[] = {
		{ "home", offsetof(struct server_config, home) },
		{ "forms", offsetof(struct server_config, forms_dir) },
		{ "listen", offsetof(struct server_config, address) },
		{ "port", offsetof(struct server_config, port) },
		{ "host-key", offsetof(struct server_config, host_key) },
		{ "admin-key", offsetof(struct server_config, admin_key) },
		{ "admin-name", offsetof(struct server_config, admin_name) },
	};

	for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
		if (strcmp(key, strings[i].key) == 0) {
			set_string((char **)((char *)c + strings[i].offset),
			    value);
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
		if (strcmp(key, numbers[i].key) != 0)
			continue;
		if (set_number((unsigned *)((char *)c + numbers[i].offset),
		    value, numbers[i].min, numbers[i].max) == 0)
			return 0;
		*err = xasprintf("%s wants a number from %u to %u, not '%s'",
		    key, numbers[i].min, numbers[i].max, value);
		return -1;
	}
	*err = xasprintf("unknown setting '%s'", key);
	return -1;
}

static char *
trim_line(char *line)
{
	char *end;

	if ((end = strchr(line, '#')) != NULL)
		*end = '\0';
	while (isspace((unsigned char)*line))
		line++;
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return line;
}

/* Every error of the file at once, as "file:line: message". A missing
 * file is an error only when it was asked for by name. */
int
server_config_load(struct server_config *c, const char *path, bool must,
    struct strv *errors)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *p, *err;
	size_t size = 0, n = 0;
	int rc = 0;

	if (fp == NULL) {
		if (!must && errno == ENOENT)
			return 0;
		strv_pushf(errors, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &size, fp) != -1) {
		char *key, *value;

		n++;
		p = trim_line(line);
		if (*p == '\0')
			continue;
		key = p;
		value = p + strcspn(p, " \t");
		if (*value != '\0')
			*value++ = '\0';
		while (isspace((unsigned char)*value))
			value++;
		if (*value == '\0') {
			strv_pushf(errors, "%s:%zu: '%s' wants a value", path, n,
			    key);
			rc = -1;
		} else if (server_config_set(c, key, value, &err) != 0) {
			strv_pushf(errors, "%s:%zu: %s", path, n, err);
			free(err);
			rc = -1;
		}
	}
	free(line);
	fclose(fp);
	return rc;
}
