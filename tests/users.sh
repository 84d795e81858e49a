#!/bin/sh
# users.sh - tcrm user, and roles on the local command line: the owner of
# the environment is admin, TCRM_USER acts as a user of the store, and
# the sshd ForceCommand / login-shell entry (SSH_ORIGINAL_COMMAND, -c).
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

for k in lina sam root2; do
	ssh-keygen -q -t ed25519 -N '' -C "$k@laptop" -f "$TMPD/$k" 2>/dev/null ||
	    { echo "1..0 # SKIP ssh-keygen is not installed"; exit 0; }
done

# as_user NAME CMD...: run tcrm acting as a user of the store.
as_user() {
	au_user=$1
	shift
	TCRM_USER=$au_user "$TCRM" --home "$HOME_DIR" "$@" >"$TMPD/out" \
	    2>"$TMPD/err"
	RC=$?
	OUT=$(cat "$TMPD/out")
	ERR=$(cat "$TMPD/err")
}

run user add lina --role agent --team 一组 --name 李娜 \
	--key-file "$TMPD/lina.pub"
expect_rc 0 "add an agent with a key file"
expect_out "user lina: added, agent, team 一组" "and say so"
run user add sam --role supervisor --key "$(cat "$TMPD/sam.pub")"
expect_rc 0 "add a supervisor with a key"
run user add Lina --role agent
expect_rc 64 "a login name is lower case"
run user add tom --role boss
expect_rc 65 "an unknown role is refused"
expect_err "'boss' is not one of: agent, supervisor, admin" "naming the roles"
run user add tom
expect_rc 64 "a role is required"
run user add tom --role agent --key 'ssh-ed25519 AAAA-broken'
expect_rc 65 "a broken key is refused"
run user add tom --role agent --key "$(cat "$TMPD/lina.pub")"
expect_rc 65 "a key belongs to one user"
expect_err "already belongs to user 'lina'" "and says whose"
run user add lina --role agent
expect_rc 65 "a name is taken once"

run user key list lina --format tsv
expect_out "^1	ssh-ed25519	SHA256:[^	]+	lina@laptop$" \
	"key list shows type, fingerprint and comment"
fp=$(ssh-keygen -lf "$TMPD/lina.pub" | cut -d' ' -f2)
printf '%s\n' "$OUT" | grep -qF "	$fp	"
ok $? "with the fingerprint ssh-keygen prints"
run user key add lina "$(cat "$TMPD/root2.pub")"
expect_rc 0 "add a second key"
run user key add lina "$(cat "$TMPD/root2.pub")"
run user key list lina --format tsv
[ "$(printf '%s\n' "$OUT" | grep -c ssh-ed25519)" -eq 2 ]
ok $? "the same key twice is kept once"
run user key remove lina root2@laptop
expect_rc 0 "remove a key by its comment"
run user key remove lina "$fp"
expect_rc 0 "and one by its fingerprint"
run user key remove lina 1
expect_rc 66 "a key that is not there"
run user key add lina --key-file "$TMPD/lina.pub"
run user set lina --team 二组
expect_rc 0 "user set changes the team"
run user disable sam
run user list --format tsv
expect_out "^sam		supervisor		disabled	1$" "user list shows who is disabled"
expect_out "^lina	李娜	agent	二组	enabled	1$" "and everything else"
run user enable sam
run history --format tsv
expect_out "	update	user [0-9]+	[0-9]+	disabled	false	true	" \
	"every change to a user is audited"

# Roles, acting as users of the store.
run add customer name=张伟 phones=13800138000 id_number=110101199001011234
ZW=$OUT
run add contact customer="$ZW" name=韩梅梅
CT=$OUT
as_user lina show customer "$ZW"
expect_rc 0 "an agent reads customers"
printf '%s\n' "$OUT" | grep -q 110101199001011234
[ $? -ne 0 ]
ok $? "but not the ID number"
as_user lina history customer "$ZW" --format tsv
printf '%s\n' "$OUT" | grep -q 110101199001011234
[ $? -ne 0 ]
ok $? "not even in the history"
as_user sam show customer "$ZW" --format json
expect_out '"id_number": "110101199001011234"' "a supervisor reads it"
as_user lina set customer "$ZW" id_number=1
expect_rc 77 "an agent may not change it"
expect_err "no permission: the agent role may not change customer.id_number" \
	"and is told why"
as_user lina set customer "$ZW" company=华为
expect_rc 0 "an agent changes other fields"
as_user lina set customer "$ZW" owner_agent=lina
expect_rc 77 "an agent may not reassign a customer"
as_user sam set customer "$ZW" owner_agent=lina
expect_rc 0 "a supervisor reassigns it"
run add ticket customer="$ZW" subject=发票 number=T-1
as_user lina set ticket "$OUT" assignee=lina
expect_rc 77 "nor a ticket"
as_user lina delete contact "$CT"
expect_rc 77 "an agent may not delete"
as_user sam delete customer "$ZW"
expect_rc 77 "a supervisor may not delete customers (the form says)"
expect_err "may not delete customer records" "said as such"
as_user sam delete contact "$CT"
expect_rc 0 "but may delete contacts"
as_user lina export --form customer
expect_rc 77 "an agent may not export"
as_user sam export --form customer --format csv
expect_rc 0 "a supervisor may"
as_user lina user list
expect_rc 77 "an agent may not list users"
as_user sam user add x --role admin
expect_rc 77 "a supervisor may not add users"
as_user lina show user 1
expect_rc 77 "an agent may not read user records either"
as_user sam show user 1 --format json
printf '%s\n' "$OUT" | grep -q ssh-ed25519
[ $? -ne 0 ]
ok $? "a supervisor reads users but not their keys"
as_user nobody find 张
expect_rc 77 "TCRM_USER must name a user of the store"
run user disable lina
as_user lina find 张
expect_rc 77 "a disabled user is refused"
run user enable lina
run history --format tsv
expect_out "	lina	refused	customer $ZW	0	" "field refusals are audited"
expect_out "	lina	refused	command 0	0	export		export --form customer" \
	"command refusals too"
expect_out "	nobody	refused	command 0	0	login	" "and unknown users"

# The sshd entry: the command in one string, split without a shell.
SSH_ORIGINAL_COMMAND="tcrm find '张伟' --format tsv" TCRM_USER=lina \
	"$TCRM" --home "$HOME_DIR" >"$TMPD/out" 2>"$TMPD/err"
RC=$?
OUT=$(cat "$TMPD/out")
expect_rc 0 "SSH_ORIGINAL_COMMAND runs the command"
expect_out "^customer	$ZW	张伟" "with its quoted argument"
SSH_ORIGINAL_COMMAND="tcrm export --form customer" TCRM_USER=lina \
	"$TCRM" --home "$HOME_DIR" >/dev/null 2>&1
RC=$?
expect_rc 77 "with the user's role"
SSH_ORIGINAL_COMMAND='tcrm find x; rm -rf /' "$TCRM" --home "$HOME_DIR" \
	>/dev/null 2>"$TMPD/err"
RC=$?
ERR=$(cat "$TMPD/err")
expect_rc 64 "shell syntax is refused"
expect_err "shell syntax (';')" "and named"
TCRM_USER=lina "$TCRM" --home "$HOME_DIR" -c "set customer $ZW title='经理 助理'" \
	>/dev/null 2>&1
RC=$?
expect_rc 0 "-c runs a command line, as sshd runs a login shell"
run show customer "$ZW" --format json
expect_out '"title": "经理 助理"' "quotes kept the words together"

done_testing
