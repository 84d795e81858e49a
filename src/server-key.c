/* server-key.c - OpenSSH public key lines ("ssh-ed25519 AAAA... comment"):
 * checked with libssh so a key that tcrm accepts is one tcrmd can use. */
#include "tcrm.h"

#include <libssh/libssh.h>
#include <stdlib.h>
#include <string.h>

void
pubkey_free(struct pubkey *k)
{
	free(k->type);
	free(k->base64);
	free(k->comment);
	free(k->fingerprint);
	memset(k, 0, sizeof *k);
}

char *
pubkey_fingerprint(const void *key)
{
	unsigned char *hash = NULL;
	size_t len = 0;
	char *fp, *out;

	if (ssh_get_publickey_hash((ssh_key)key, SSH_PUBLICKEY_HASH_SHA256,
	    &hash, &len) != SSH_OK)
		return xstrdup("?");
	fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
	ssh_clean_pubkey_hash(&hash);
	out = xstrdup(fp ? fp : "?");
	ssh_string_free_char(fp);
	return out;
}

static bool
type_allowed(enum ssh_keytypes_e type, const char **why)
{
	switch (type) {
	case SSH_KEYTYPE_ED25519:
	case SSH_KEYTYPE_ECDSA_P256:
	case SSH_KEYTYPE_ECDSA_P384:
	case SSH_KEYTYPE_ECDSA_P521:
	case SSH_KEYTYPE_SK_ED25519:
	case SSH_KEYTYPE_SK_ECDSA:
	case SSH_KEYTYPE_RSA:
		return true;
	case SSH_KEYTYPE_DSS:
		*why = "DSA keys are too weak";
		return false;
	default:
		*why = "only plain public keys (not certificates) of type "
		    "ed25519, ecdsa or rsa";
		return false;
	}
}

/* Parse one line; anything after the key is its comment. Options before
 * the type (as authorized_keys allows) are refused: tcrmd has its own
 * rules. */
int
pubkey_parse(const char *line, struct pubkey *k, char **why)
{
	const char *p = line, *reason = NULL;
	enum ssh_keytypes_e type;
	ssh_key key = NULL;
	size_t n;

	memset(k, 0, sizeof *k);
	p += strspn(p, " \t");
	n = strcspn(p, " \t\r\n");
	k->type = xstrndup(p, n);
	p += n;
	p += strspn(p, " \t");
	n = strcspn(p, " \t\r\n");
	k->base64 = xstrndup(p, n);
	p += n;
	k->comment = utf8_trim(p);
	type = ssh_key_type_from_name(k->type);
	if (*k->base64 == '\0' || type == SSH_KEYTYPE_UNKNOWN)
		reason = "not an OpenSSH public key (want: TYPE BASE64 "
		    "[COMMENT])";
	else if (!type_allowed(type, &reason))
		;
	else if (ssh_pki_import_pubkey_base64(k->base64, type, &key) !=
	    SSH_OK)
		reason = "the key data is damaged";
	if (reason != NULL) {
		*why = xstrdup(reason);
		ssh_key_free(key);
		pubkey_free(k);
		return -1;
	}
	k->fingerprint = pubkey_fingerprint(key);
	ssh_key_free(key);
	return 0;
}

char *
pubkey_line(const struct pubkey *k)
{
	if (*k->comment == '\0')
		return xasprintf("%s %s", k->type, k->base64);
	return xasprintf("%s %s %s", k->type, k->base64, k->comment);
}
