#!/bin/sh
# agi.sh - tcrm agi against recorded AGI transcripts: tests/data/agi/X.in
# is what Asterisk sends (the agi_* header, then its reply to each
# command), X.out exactly what tcrm must write back; `status` lists the
# exit statuses that are not 0.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

DATA="$TESTS_SRCDIR/data/agi"

add() {
	run add "$@"
	[ "$RC" -eq 0 ] || diag "add $*: $ERR"
}
add customer name=张伟 company=京东 phones='+86 138-0013-8000' status=vip
add customer name=李四 phones=13900000001 tier=gold
add customer name=李五 phones=13900000001
add customer name='Ann "Q" \ Lee' phones=13700000001
id=$("$STRESS" raw "$HOME_DIR" "name=$(printf 'Evil\033[2J\n\tName')" \
	phones=13700000002 2>"$TMPD/stress.err")
[ "$id" = 5 ]
ok $? "a record with control characters is written behind tcrm's back"
add contact customer=1 name=韩梅梅 phones=13600001111
run user add lina --role agent
[ "$RC" -eq 0 ] || diag "user add: $ERR"

for in in "$DATA"/*.in; do
	name=$(basename "$in" .in)
	want=$(sed -n "s/^$name //p" "$DATA/status")
	"$TCRM" --home "$HOME_DIR" agi <"$in" >"$TMPD/$name.out" \
		2>"$TMPD/$name.err"
	rc=$?
	cmp -s "$DATA/$name.out" "$TMPD/$name.out"
	s=$?
	ok $s "$name: tcrm writes exactly $name.out"
	if [ $s -ne 0 ]; then
		diag "got:" "$(cat "$TMPD/$name.out")" "stderr:" \
		    "$(cat "$TMPD/$name.err")"
	fi
	[ "$rc" -eq "${want:-0}" ]
	ok $? "$name: exit status ${want:-0} (got $rc)"
done

# What Asterisk logs from stderr says what was wrong.
"$TCRM" --home "$HOME_DIR" agi <"$DATA/malformed.in" >/dev/null 2>"$TMPD/err"
grep -q "malformed AGI header at line 3" "$TMPD/err"
ok $? "a malformed header is reported with its line"
"$TCRM" --home "$HOME_DIR" agi <"$DATA/contact-errors.in" >/dev/null \
	2>"$TMPD/err"
grep -q "Asterisk refused 'SET VARIABLE TCRM_CUSTOMER_ID \"1\"': 510" \
	"$TMPD/err"
ok $? "a 510 reply is reported, and the script goes on"
"$TCRM" --home "$HOME_DIR" agi lina extra </dev/null >/dev/null 2>&1
[ $? -eq 64 ]
ok $? "two arguments are a usage error"
# AGI(tcrm,agi,nobody): the user on the command line, not agi_arg_1.
"$TCRM" --home "$HOME_DIR" agi nobody <"$DATA/one.in" >"$TMPD/out" \
	2>"$TMPD/err"
grep -q "no user 'nobody'" "$TMPD/err" && cmp -s "$DATA/one.out" "$TMPD/out"
ok $? "the user to pop may come on the command line"
done_testing
