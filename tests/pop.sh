#!/bin/sh
# pop.sh - tcrm pop into desks running in tmux: one match opens the card,
# several a chooser, none a new customer with the number in it; a form
# the agent had open is kept; the call is recorded on the interaction
# and logging it from the card updates that one; roles, a desk that is
# not open, a desk that was killed, two desks of one agent, and bytes
# that are not a call.
. "${TESTS_SRCDIR:-$(dirname "$0")}/desk-lib.sh"

add() {
	run add "$@"
	[ "$RC" -eq 0 ] || diag "add $*: $ERR"
	printf '%s' "$OUT"
}
ZW=$(add customer name=张伟 company=京东 phones='+86 138-0013-8000' \
	status=vip)
LI4=$(add customer name=李四 company=华为 phones=13900000001)
LI5=$(add customer name=李五 company=腾讯 phones='139 0000 0001,021 5555 0002')
NANA=$(add customer name=欧阳娜娜 phones=13912345678)
HAN=$(add contact customer="$NANA" name=韩梅梅 phones=13600001111)
for u in lina:agent bob:agent sam:supervisor; do
	run user add "${u%%:*}" --role "${u#*:}"
	[ "$RC" -eq 0 ] || diag "user add $u: $ERR"
done

# calls_of CALL_ID: the interactions of a call, as JSON lines.
calls_of() {
	run export --form interaction --format jsonl --where "call_id=$1"
	CALLS=$OUT
}

# ---- no desk, arguments, roles ------------------------------------------------
run pop --agent lina --caller 13800138000
expect_rc 69 "no desk open: EX_UNAVAILABLE"
expect_err "lina has no desk open" "  and says so"
expect_out "caller 13800138000: 1 match" "  after saying who is calling"
run pop --agent nobody --caller 13800138000
expect_rc 67 "an unknown agent: EX_NOUSER"
expect_err "no user 'nobody'" "  named"
run pop --agent lina
expect_rc 64 "no --caller: EX_USAGE"
run pop --agent lina --caller hello
expect_rc 64 "a caller that is not a number: EX_USAGE"
run pop --agent lina --caller 13800138000 --call-id "$(printf 'a\033b')"
expect_rc 64 "a call id with a control character: EX_USAGE"
TCRM_USER=bob run pop --agent lina --caller 13800138000
expect_rc 77 "an agent may not pop to another agent"
expect_err "only to their own desk" "  and is told why"
TCRM_USER=bob run pop --agent bob --caller 13800138000
expect_rc 69 "an agent may pop to themself (no desk open here)"
TCRM_USER=sam run pop --agent lina --caller 13800138000
expect_rc 69 "a supervisor may pop to anyone"

# ---- a desk ------------------------------------------------------------------
desk_start d 100 30 TCRM_USER=lina
expect_screen d 'Search:' "lina's desk opens"
SOCK=$(ls "$HOME_DIR/run" 2>/dev/null | grep '^desk\.lina\.')
[ -n "$SOCK" ]
ok $? "it listens on run/desk.lina.PID ($SOCK)"
[ "$(stat -c %a "$HOME_DIR/run")" = 700 ] &&
	[ "$(stat -c %a "$HOME_DIR/run/$SOCK")" = 600 ]
ok $? "  in a directory of mode 0700, the socket 0600"

# state_of USER: the agent's state as `tcrm agent state` shows it.
state_of() {
	run agent state --agent "$1" --format tsv
	printf '%s\n' "$OUT" | awk -F '\t' 'NR == 2 { print $2 " " $6 }'
}
[ "$(state_of lina)" = "ready " ]
ok $? "opening her desk signs lina on: ready ($(state_of lina))"

# One match: the card, in any spelling of the number.
run pop --agent lina --caller '0086 138 0013 8000' --called 4008001234 \
	--call-id call-1
expect_rc 0 "pop with one match: delivered"
expect_out "lina: 1 of 1 desk reached" "  to the one desk"
expect_out "card drawn in [0-9.]+ ms" "  which drew the card and said when"
expect_screen d "Customer #$ZW +张伟" "the caller's card pops up"
expect_in "Call from 0086 138 0013 8000 to 4008001234: 1 match" \
	"  with a line saying a call arrived"
wait_until() { i=0; while [ $i -lt 50 ] && ! eval "$1"; do
	sleep 0.1; i=$((i + 1)); done; eval "$1"; }
wait_until '[ "$(state_of lina)" = "on_call call-1" ]'
ok $? "the call puts lina on call, with its id ($(state_of lina))"
calls_of call-1
printf '%s\n' "$CALLS" | grep -q "\"customer\":\"$ZW\".*\"agent\":\"lina\""
ok $? "the call is an interaction of the customer, by lina"
expect_out '"caller":"0086 138 0013 8000","called":"4008001234"' \
	"  with the numbers as dialled"
expect_out '"popped_at":"[0-9-]+ [0-9:]+","matches":"1"' \
	"  when it popped, and how many matched"
expect_out '"channel":"call","direction":"inbound"' "  an inbound call"

# Logging the call from the card updates that interaction.
wait_for d 'Interaction \(1\)'
keys d c
expect_screen d 'Log a call' "c logs the call"
expect_in 'call-1' "  on the interaction the pop made"
keys d a
type_text d '问了账单'
keys d F2
expect_screen d 'Saved Interaction' "F2 saves it"
wait_until '[ "$(state_of lina)" = "wrap_up call-1" ]'
ok $? "  and lina is in wrap-up ($(state_of lina))"
calls_of call-1
n=$(printf '%s\n' "$CALLS" | grep -c '"call_id":"call-1"')
[ "$n" -eq 1 ]
ok $? "  still one interaction for the call ($n)"
expect_out '"disposition":"answered".*"note":"问了账单"' \
	"  now with the outcome and the note"

# A contact's number: the customer's card.
run pop --agent lina --caller 13600001111 --call-id call-c
expect_screen d "Customer #$NANA +欧阳娜娜" "a contact's number pops its customer"
calls_of call-c
expect_out "\"customer\":\"$NANA\",\"contact\":\"$HAN\"" \
	"  and the call names the contact"

# Several: a chooser with name, company and phones.
run pop --agent lina --caller '+86 139 0000 0001' --call-id call-2
expect_out "chooser drawn" "several matches: the desk shows a chooser"
expect_screen d "2 customers have this number" "the chooser says why"
expect_in "李四 · 华为 · 13900000001" "  lists one with company and phones"
expect_in "李五 · 腾讯 · 139 0000 0001,021 5555 0002" "  and the other"
calls_of call-2
[ -z "$CALLS" ]
ok $? "  nothing recorded before the agent picks"
keys d Down Enter
expect_screen d "Customer #$LI5 +李五" "picking one opens its card"
calls_of call-2
expect_out "\"customer\":\"$LI5\".*\"matches\":\"2\"" \
	"  and records the call on it"

# None: a new customer with the number filled in; saving records it.
run pop --agent lina --caller 13700009999 --called 4008001234 --call-id call-3
expect_out "form drawn" "no match: a new-customer form"
expect_screen d "New Customer" "the form opens"
expect_in "Phones +13700009999" "  with the caller's number filled in"
expect_in "Call from 13700009999 to 4008001234: new caller" "  and the call line"
# The cursor waits on the name, the first required field still empty.
type_text d '王新'
keys d F2
expect_screen d "Customer #[0-9]+ +王新" "saving opens the new customer's card"
NEW=$(printf '%s\n' "$SCREEN" | sed -n 's/.*Customer #\([0-9]*\) *王新.*/\1/p' | head -1)
calls_of call-3
expect_out "\"customer\":\"$NEW\".*\"matches\":\"0\"" \
	"  and the call is recorded on it"
run show customer "$NEW"
expect_out "Created via +call" "  a customer made from a call says so"

# A half-filled form is kept across a pop.
keys d e
expect_screen d "Edit Customer #$NEW" "editing the customer"
keys d Tab Tab End
type_text d '半填'
settle
run pop --agent lina --caller 13912345678 --call-id call-4
expect_screen d "Customer #$NANA +欧阳娜娜" "a call pops over the open form"
expect_in "Your unsaved form is kept: Esc returns to it" "  saying the form is kept"
n=20
while [ $n -gt 0 ] && ! "$STRESS" drafts "$HOME_DIR" lina 2>/dev/null |
    grep -q '半填'; do
	sleep 0.1
	n=$((n - 1))
done
"$STRESS" drafts "$HOME_DIR" lina 2>/dev/null | grep -q "customer/$NEW.*半填"
ok $? "  and keeps it as a draft too"
keys d Escape
expect_screen d "Edit Customer #$NEW" "Esc goes back to the form"
expect_in "半填" "  with what was typed"
keys d Escape
expect_screen d "Discard your changes" "  still unsaved"
keys d y
wait_for d "Customer #$NEW"

# Bytes that are not a call: the desk drops them and goes on.
for bad in 'not json' '{"v":1,"event":"call"}' \
    '{"v":2,"event":"call","caller":"138"}' \
    "$(printf '{"v":1,"event":"call","caller":"1\\u001b[2J"}')" \
    '{"v":1,"event":"call","caller":"138","caller":"139"}' \
    "$(head -c 6000 /dev/zero | tr '\0' 'x')"; do
	printf '%s\n' "$bad" | "$STRESS" send "$HOME_DIR" "$SOCK" \
		>"$TMPD/reply" 2>&1
	[ ! -s "$TMPD/reply" ] || diag "reply: $(cat "$TMPD/reply")"
done
printf 'x\000y\n' | "$STRESS" send "$HOME_DIR" "$SOCK" >/dev/null 2>&1
run pop --agent lina --caller 13800138000 --call-id call-5
expect_out "card drawn" "after hostile messages the desk still takes calls"
expect_screen d "Customer #$ZW +张伟" "  and shows them"

# The sender's match is only a hint: one that does not hold the number
# (forged, or out of date) is checked and the desk searches itself.
keys d Escape
expect_screen d 'Search:' "back to the search"
hint='{"v":1,"event":"call","caller":"13800138000","call_id":"call-h",'
printf '%s"match":{"customer":%s,"contact":0}}\n' "$hint" "$NANA" |
	"$STRESS" send "$HOME_DIR" "$SOCK" >"$TMPD/reply" 2>&1
expect_screen d "Customer #$ZW +张伟" \
	"a hint naming someone else's card: the caller's card all the same"
grep -q '"matches":1' "$TMPD/reply"
ok $? "  answered with its one match ($(cat "$TMPD/reply"))"

# Two desks of one agent: both pop, one interaction.
desk_start d2 100 30 TCRM_USER=lina
expect_screen d2 'Search:' "a second desk of lina's"
run pop --agent lina --caller 13800138000 --call-id call-6
expect_out "lina: 2 of 2 desks reached" "both desks take the call"
expect_screen d2 "Customer #$ZW +张伟" "  the second shows it too"
sleep 0.5
calls_of call-6
n=$(printf '%s\n' "$CALLS" | grep -c '"call_id":"call-6"')
[ "$n" -eq 1 ]
ok $? "  one interaction for one call ($n)"

# A desk killed with -9 leaves its socket (made here without killing a
# process that holds the environment: that makes every other process
# recover): the next pop removes it.
keys d2 F10
pane_dead d2
STALE=$("$STRESS" stale "$HOME_DIR" lina)
[ -S "$HOME_DIR/run/$STALE" ]
ok $? "a socket nobody listens on ($STALE)"
run pop --agent lina --caller 13800138000 --call-id call-7
expect_rc 0 "the live desk still gets the call"
expect_out "1 desk that had ended without tidying up was removed" \
	"  and the dead desk's socket is removed"
[ ! -e "$HOME_DIR/run/$STALE" ] &&
	[ "$(ls "$HOME_DIR/run" | grep -c '^desk\.lina\.')" -eq 1 ]
ok $? "  one socket left"
keys d Escape
expect_screen d 'Search:' \
	"each call took the last one's place: Esc goes back to the search"

# An agent whose every desk died is signed off by the sweep; one whose
# state is kept by hand (no desk at all) is left as it is.
TCRM_USER=bob run agent state ready
BOBSOCK=$("$STRESS" stale "$HOME_DIR" bob)
TCRM_USER=sam run agent state ready
run sla run
expect_out "1 agent signed off: their desk had died" \
	"the sweep signs off an agent whose desk was killed"
[ "$(state_of bob)" = "offline " ] && [ "$(state_of sam)" = "ready " ]
ok $? "  bob offline, sam (no desk, set by hand) still ready"
rm -f "$HOME_DIR/run/$BOBSOCK"

# An escalation step of the sweep reaches the supervisors' desks.
T0=$(date -u -d '2026-11-23 01:00' +%s)	# Monday 09:00 in Shanghai
TCRM_NOW=$T0 run ticket new --customer "$ZW" --subject 发票开错 \
	--priority urgent
TNUM=$OUT
desk_start s 100 30 TCRM_USER=sam
expect_screen s 'Search:' "sam's desk (a supervisor)"
TCRM_NOW=$((T0 + 3 * 3600 + 600)) run sla run
expect_out "escalated 1," "3h10m of urgent's 4h: an escalation step"
expect_screen s "Escalated $TNUM 发票开错: 75% of its resolution time used" \
	"  said on the supervisor's desk"
keys s F10
pane_dead s

# In Chinese: the call line and the chooser.
stage_catalogue
desk_start zh 100 30 -u LC_ALL LANG=zh_CN.UTF-8 \
	TCRM_LOCALEDIR="$LOCALEDIR_STAGED" TCRM_USER=bob
expect_screen zh '搜索' "bob's desk in Chinese"
TCRM_USER=bob run pop --agent bob --caller 13900000001 --called 4008001234
expect_rc 0 "an agent pops a call to their own desk"
expect_screen zh "13900000001 来电：2 位客户使用这个号码" "the chooser in Chinese"
expect_in "13900000001 来电，呼入 4008001234：2 位客户。" "  and the call line"
keys zh Escape
expect_screen zh "没有选择客户：这通来电未记录。" \
	"leaving the chooser says the call is not recorded"
keys zh F10
pane_dead zh

# F10: the desk removes its socket.
keys d F10
pane_dead d
[ "$(pane_status d)" = 0 ]
ok $? "the desk ends with F10"
[ -z "$(ls "$HOME_DIR/run" | grep '^desk\.lina\.')" ]
ok $? "  and removes its socket"
[ "$(state_of lina)" = "offline " ]
ok $? "  and signs lina off: offline ($(state_of lina))"
run pop --agent lina --caller 13800138000
expect_rc 69 "then lina has no desk open again"
desk_done
