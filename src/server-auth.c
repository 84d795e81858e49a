/* server-auth.c - who may sign in: an enabled user in the store offering
 * one of their public keys; and session slots, the files that carry the
 * limits on sessions in total and per user across every tcrmd process. */
#define TCRM_SERVER_INTERNAL
#include "tcrm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The session's store, opened for the first key offered and kept for the
 * work that follows. An open can meet another process's recovery (after
 * a crash) and fail with DB_RUNRECOVERY: try again a few times. */
static int
auth_open_store(struct session *s)
{
	struct store_opts o;
	int rc = ST_OK;

	if (s->store != NULL)
		return 0;
	memset(&o, 0, sizeof o);
	o.home = s->cfg->home;
	o.forms = s->forms;
	o.user = "tcrmd";
	for (int tries = 0; tries < 5; tries++) {
		if (tries > 0)
			usleep(100000);
		if ((rc = store_open(&s->store, &o)) == ST_OK)
			return 0;
		server_log(LOG_ERR, "%s: store: %s", s->peer,
		    store_error(s->store));
		store_close(s->store);
		s->store = NULL;
	}
	return -1;
}

/* Look the user up once per name the client tries. */
static int
auth_lookup(struct session *s, const char *name)
{
	int rc;

	if (s->asked != NULL && strcmp(s->asked, name) == 0)
		return 0;
	free(s->asked);
	s->asked = xstrdup(name);
	user_free(&s->user);
	s->user_known = false;
	if (auth_open_store(s) != 0)
		return -1;
	rc = store_user_get(s->store, name, &s->user);
	if (rc == ST_OK)
		s->user_known = true;
	else if (rc != ST_NOTFOUND) {
		server_log(LOG_ERR, "%s: user %s: %s", s->peer, name,
		    store_error(s->store));
		return -1;
	}
	return 0;
}

static bool
key_listed(const struct user *u, ssh_key offered)
{
	for (size_t i = 0; i < u->keys.n; i++) {
		const char *line = u->keys.v[i];
		size_t tlen = strcspn(line, " \t");
		char *type = xstrndup(line, tlen), *b64;
		const char *p = line + tlen;
		ssh_key key = NULL;
		bool same;

		p += strspn(p, " \t");
		b64 = xstrndup(p, strcspn(p, " \t"));
		same = ssh_pki_import_pubkey_base64(b64,
		    ssh_key_type_from_name(type), &key) == SSH_OK &&
		    ssh_key_cmp(key, offered, SSH_KEY_CMP_PUBLIC) == 0;
		ssh_key_free(key);
		free(type);
		free(b64);
		if (same)
			return true;
	}
	return false;
}

static int
auth_deny(struct session *s, const char *name, const char *type,
    const char *fp, const char *why)
{
	server_log(LOG_NOTICE, "%s: refused %s key %s for %s: %s", s->peer,
	    type, fp, name, why);
	if (++s->auth_tries >= s->cfg->max_auth_tries)
		s->give_up = true;
	return SSH_AUTH_DENIED;
}

/* A probe (no signature yet) gets "this key would do" only for a listed
 * key; the user is taken only once the signature is valid. */
int
auth_pubkey(ssh_session ssh, const char *name, struct ssh_key_struct *key,
    char state, void *arg)
{
	struct session *s = arg;
	const char *type = ssh_key_type_to_char(ssh_key_type(key));
	char *fp = pubkey_fingerprint(key);
	const char *why = NULL;
	int rc;

	if (s->authenticated || s->give_up)
		why = "authentication is over";
	else if (state != SSH_PUBLICKEY_STATE_NONE &&
	    state != SSH_PUBLICKEY_STATE_VALID)
		why = "bad signature";
	else if (auth_lookup(s, name) != 0)
		why = "the store is unavailable";
	else if (!s->user_known)
		why = "unknown user";
	else if (s->user.disabled)
		why = "user disabled";
	else if (!key_listed(&s->user, key))
		why = "unknown key";
	if (why != NULL) {
		rc = auth_deny(s, name, type ? type : "?", fp, why);
		free(fp);
		return rc;
	}
	if (state == SSH_PUBLICKEY_STATE_VALID) {
		s->authenticated = true;
		s->fingerprint = fp;
		server_log(LOG_INFO, "%s: accepted %s key %s for %s (%s)",
		    s->peer, type ? type : "?", fp, name,
		    role_name(s->user.role));
		return SSH_AUTH_SUCCESS;
	}
	free(fp);
	return SSH_AUTH_SUCCESS;
}

static char *
slot_dir(const struct session *s)
{
	return xasprintf("%s/sessions", s->cfg->home);
}

/* A slot file whose lock can be taken belongs to a session that is gone
 * (killed, even with -9): it is removed. */
static void
slot_count(const char *dir, const char *user, unsigned *total,
    unsigned *mine)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	*total = *mine = 0;
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *path, owner[80];
		ssize_t n;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			if (flock(fd, LOCK_SH | LOCK_NB) == 0)
				unlink(path);
			else if ((n = read(fd, owner, sizeof owner - 1)) >= 0) {
				owner[n] = '\0';
				(*total)++;
				if (strcmp(owner, user) == 0)
					(*mine)++;
			}
			close(fd);
		}
		free(path);
	}
	closedir(d);
}

static int
slot_create(struct session *s, const char *dir)
{
	char *path = xasprintf("%s/%ld", dir, (long)getpid());
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd >= 0 && (flock(fd, LOCK_EX) != 0 ||
	    write(fd, s->user.name, strlen(s->user.name)) < 0)) {
		close(fd);
		fd = -1;
	}
	free(path);
	s->slot_fd = fd;
	return fd >= 0 ? 0 : -1;
}

int
slot_claim(struct session *s, char **why)
{
	char *dir = slot_dir(s), *lock = xasprintf("%s/.lock", dir);
	unsigned total, mine;
	int lfd, rc = 0;

	*why = NULL;
	mkdir(dir, 0700);
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    flock(lfd, LOCK_EX) != 0) {
		server_log(LOG_ERR, "%s: %s: %s", s->peer, lock,
		    strerror(errno));
		goto out;
	}
	slot_count(dir, s->user.name, &total, &mine);
	if (total >= s->cfg->max_sessions) {
		*why = xasprintf("the server has its limit of %u sessions "
		    "open; try again later", s->cfg->max_sessions);
		rc = -1;
	} else if (mine >= s->cfg->max_sessions_per_user) {
		*why = xasprintf("%s has %u sessions open already (the limit)",
		    s->user.name, mine);
		rc = -1;
	} else if (slot_create(s, dir) != 0)
		server_log(LOG_ERR, "%s: %s: session slot: %s", s->peer, dir,
		    strerror(errno));
out:
	if (lfd >= 0)
		close(lfd);
	free(lock);
	free(dir);
	return rc;
}

void
slot_release(struct session *s)
{
	char *path;

	if (s->slot_fd < 0)
		return;
	path = xasprintf("%s/sessions/%ld", s->cfg->home, (long)getpid());
	unlink(path);
	free(path);
	close(s->slot_fd);
	s->slot_fd = -1;
}
