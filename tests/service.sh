#!/bin/sh
# service.sh - the service desk on the command line: tickets under
# working-time service levels, queues handing out work, two agents taking
# one ticket, callbacks, agents' states and the roles. The clock is set
# with TCRM_NOW; the forms are a copy with a service.yaml of our own.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

TZ=Asia/Shanghai
export TZ
FORMS="$TMPD/forms"
mkdir -p "$FORMS"
cp "$TCRM_FORMS"/*.yaml "$FORMS"/
cat >"$FORMS/service.yaml" <<'YAML'
calendar:
  timezone: Asia/Shanghai
  hours:
    mon: 09:00-18:00
    tue: 09:00-18:00
    wed: 09:00-18:00
    thu: 09:00-18:00
    fri: 09:00-18:00
    sat: closed
    sun: closed
  holidays: [2026-12-25]
  workdays: [2026-12-27]
targets:
  urgent: {response: 30m, resolution: 2h}
  high: {response: 1h, resolution: 4h}
  normal: {response: 4h, resolution: 8h}
  low: {response: 8h, resolution: 16h}
queues:
  - name: billing
    assign: round_robin
    members: [lina, sam, tom]
  - name: tech
    assign: least_loaded
    team: tech
  - name: escalations
    assign: manual
escalation:
  - {at: 50%, action: notify}
  - {at: 100%, action: raise_priority}
  - {at: 200%, action: reassign, queue: escalations}
callbacks:
  grace: 10m
YAML
TCRM_FORMS=$FORMS
export TCRM_FORMS

at() {	# at 'YYYY-MM-DD HH:MM': seconds since the epoch, in Shanghai
	date -d "$1" +%s
}
NOW=$(at '2026-11-23 09:00')

# as USER CMD...: run tcrm as a user of the store at $NOW; "-" is the
# environment's owner (an admin).
as() {
	as_user=$1
	shift
	if [ "$as_user" = - ]; then
		TCRM_NOW=$NOW "$TCRM" --home "$HOME_DIR" "$@" >"$TMPD/out" \
		    2>"$TMPD/err"
	else
		TCRM_NOW=$NOW TCRM_USER=$as_user "$TCRM" --home "$HOME_DIR" \
		    "$@" >"$TMPD/out" 2>"$TMPD/err"
	fi
	RC=$?
	OUT=$(cat "$TMPD/out")
	ERR=$(cat "$TMPD/err")
}
run() {
	as - "$@"
}
# field NUMBER FIELD: a ticket's stored value, from its JSON.
field() {
	TCRM_NOW=$NOW "$TCRM" --home "$HOME_DIR" ticket show "$1" \
	    --format json 2>/dev/null |
	    sed -n "s/^    \"$2\": \"\(.*\)\",\{0,1\}$/\1/p"
}

run forms check "$FORMS"
expect_rc 0 "the test's service.yaml is valid"

for u in lina sam tom; do
	run user add $u --role agent --team billing
done
for u in ann bob; do
	run user add $u --role agent --team tech
done
run user add boss --role supervisor
run add customer name=张伟 phones=13800138000 email=zw@example.cn
ZW=$OUT
run add customer name=王芳 phones=13900139000
WF=$OUT

# --- help and usage ---
for c in 'ticket new' 'ticket show' 'ticket list' 'ticket assign' \
    'ticket take' 'ticket status' 'ticket note' 'callback add' \
    'callback list' 'callback done' 'agent state' 'agent list' 'sla run' \
    'sla show'; do
	# shellcheck disable=SC2086
	run $c --help
	[ "$RC" -eq 0 ] && printf '%s\n' "$OUT" | grep -q "^usage: tcrm $c"
	ok $? "tcrm $c --help"
done
run help
expect_out 'ticket take' "help lists the ticket commands"
run ticket new --subject x
expect_rc 64 "a ticket needs a customer"
expect_err "a ticket needs --customer" "and says so"
run ticket new --customer 13700000000 --subject x
expect_rc 66 "an unknown customer is EX_NOINPUT"
expect_err "no customer with phones '13700000000'" "and is named"
run ticket new --customer "$ZW" --subject x --priority sky-high
expect_rc 65 "a priority the form does not know is refused"
run ticket new --customer "$ZW" --subject x --queue nowhere
expect_rc 65 "so is an unknown queue"
expect_err "no queue 'nowhere' (one of: billing, tech, escalations)" \
	"naming the queues"
run ticket new --customer "$ZW" --subject x --frobnicate
expect_rc 64 "an unknown option is a usage error"
run ticket show T999999
expect_rc 66 "an unknown ticket is EX_NOINPUT"
expect_err "no ticket 'T999999'" "and is named"

# --- working hours ---
NOW=$(at '2026-11-20 17:00')		# a Friday, an hour before closing
run ticket new --customer 13800138000 --subject 发票开错了 --priority normal
expect_rc 0 "open a ticket by the customer's phone"
expect_out '^T[0-9]{6}$' "ticket new prints the number"
FRI=$OUT
[ "$(field "$FRI" response_due)" = "2026-11-23T12:00:00" ]
ok $? "Friday 17:00 + 4 working hours is Monday 12:00"
[ "$(field "$FRI" due)" = "2026-11-23T16:00:00" ]
ok $? "and 8 hours is Monday 16:00"
run ticket show "$FRI"
expect_out 'customer +张伟 \('"$ZW"'\)' "show names the customer"
expect_out 'first response +4h00m left' "the response timer runs"
NOW=$(at '2026-11-21 15:00')		# Saturday: closed
run ticket show "$FRI"
expect_out 'first response +3h00m left' "the clock stands over the weekend"
NOW=$(at '2026-11-23 10:30')
run ticket show "$FRI" --format json
expect_out '"left": "1h30m"' "and runs again on Monday"

NOW=$(at '2026-12-24 17:00')		# before Christmas and a weekend
run ticket new --customer "$ZW" --subject 'holiday' --priority normal
HOL=$OUT
[ "$(field "$HOL" response_due)" = "2026-12-27T12:00:00" ]
ok $? "a holiday is closed, a make-up Sunday open ($(field "$HOL" response_due))"

# --- pending stops the clock ---
NOW=$(at '2026-11-23 09:00')
run ticket new --customer "$ZW" --subject 等待客户 --priority normal
PEND=$OUT
[ "$(field "$PEND" due)" = "2026-11-23T17:00:00" ]
ok $? "resolution due after 8 working hours"
NOW=$(at '2026-11-23 10:00')
as lina ticket status "$PEND" pending --note 请客户提供发票号
expect_rc 0 "an agent sets a ticket pending with a note"
expect_out "$PEND: status new → pending" "and is told the move"
[ "$(field "$PEND" responded)" = "2026-11-23T10:00:00" ]
ok $? "leaving new is the first response"
NOW=$(at '2026-11-23 15:00')
run sla show "$PEND"
expect_out 'resolution +paused \(pending\), 7h00m left' \
	"while pending the timer is paused"
run ticket list --status pending --format tsv
expect_out "^$PEND	pending	.*	met	paused$" "the list shows it paused"
NOW=$(at '2026-11-24 10:00')
as lina ticket status "$PEND" open
expect_rc 0 "back to open"
[ "$(field "$PEND" due)" = "2026-11-24T17:00:00" ]
ok $? "the due time moved on by the 9 working hours pending"
as lina ticket status "$PEND" new
expect_rc 65 "a move the flow does not allow is refused"
expect_err "open cannot go to new" "naming the move"
expect_err "pending, resolved, closed" "and the allowed ones"
mkdir -p "$TMPD/locale/zh_CN/LC_MESSAGES"
msgfmt -o "$TMPD/locale/zh_CN/LC_MESSAGES/tcrm.mo" \
	"${TESTS_SRCDIR:-$(dirname "$0")}/../po/zh_CN.po"
LANG=zh_CN.UTF-8 LC_ALL= LANGUAGE= TCRM_LOCALEDIR="$TMPD/locale" \
	as lina ticket status "$PEND" new
expect_err "状态: 不能从 处理中 改为 新建（处理中 可改为：等待客户, 已解决, 已关闭）" \
	"  in Chinese, the values by their labels too"
as lina ticket status "$PEND" resolved
expect_rc 65 "resolved needs a resolution"
expect_err "resolution" "and says so"
as lina ticket status "$PEND" resolved --resolution 已重开发票
expect_rc 0 "resolve with a resolution"
run sla show "$PEND"
expect_out 'resolution +met at 2026-11-24 10:00' "the resolution was in time"
as lina ticket status "$PEND" lost
expect_rc 65 "an unknown status is refused"

# --- notes and the timeline ---
NOW=$(at '2026-11-23 09:00')
run ticket new --customer "$WF" --subject 备注 --priority high
NOTE=$OUT
NOW=$(at '2026-11-23 09:20')
as sam ticket note "$NOTE" '已致电客户，问题复现'
expect_rc 0 "an agent notes a ticket"
[ "$(field "$NOTE" responded)" = "2026-11-23T09:20:00" ]
ok $? "the first note is the first response"
[ "$(field "$NOTE" status)" = "new" ]
ok $? "and leaves the status"
printf '%s\n' '第二条备注' | as sam ticket note "$NOTE" -
expect_rc 0 "a note from standard input"
run ticket show "$NOTE"
expect_out 'sam +note: 已致电客户，问题复现' "the timeline has the first note"
expect_out 'sam +note: 第二条备注' "and the second"
expect_out 'first response +met at 2026-11-23 09:20' "response met"
as sam ticket note "$NOTE" ''
expect_rc 64 "an empty note is refused"
NOW=$(at '2026-11-23 09:40')
as sam ticket note "$NOTE" '客户未接'
as sam ticket note "$NOTE" '客户未接'
run ticket show "$NOTE" --format tsv
[ "$(printf '%s\n' "$OUT" | grep -c '	sam	note: 客户未接$')" -eq 2 ]
ok $? "the same note twice is in the timeline twice"

# --- breach and escalation ---
NOW=$(at '2026-11-23 09:00')
run ticket new --customer "$ZW" --subject 紧急 --priority urgent
URG=$OUT
NOW=$(at '2026-11-23 09:45')
run ticket show "$URG"
expect_out 'first response +-15m, breached' "after the target the timer is negative"
run ticket list --breached --format tsv
expect_out "^$URG	" "--breached lists it before the sweep"
run sla run
expect_rc 0 "sla run"
expect_out "^breached [1-9][0-9]*, escalated [0-9]+, missed callbacks 0$" \
	"reports what it marked"
[ "$(field "$URG" breach)" = "response" ]
ok $? "the ticket is marked"
run sla run --format json
expect_out '"breached": "0"' "a second sweep marks nothing again"

NOW=$(at '2026-11-23 09:00')
run ticket new --customer "$ZW" --subject 升级 --priority normal
ESC=$OUT
NOW=$(at '2026-11-23 13:10')		# past half of 8 h
run sla run
[ "$(field "$ESC" escalation)" = "1" ]
ok $? "half the resolution time used: escalation level 1 (notify)"
[ "$(field "$ESC" priority)" = "normal" ]
ok $? "notify keeps the priority"
NOW=$(at '2026-11-23 17:10')		# past the target
run sla run
[ "$(field "$ESC" priority)" = "high" ]
ok $? "at 100 % the priority goes up one"
run ticket show "$ESC"
expect_out 'resolution +-' "the resolution timer is negative"
NOW=$(at '2026-11-25 17:10')
run sla run
[ "$(field "$ESC" queue)" = "escalations" ]
ok $? "at 200 % the ticket is reassigned to the escalations queue"
[ -z "$(field "$ESC" assignee)" ]
ok $? "with nobody assigned (the queue is manual)"

# --- agents' states ---
NOW=$(at '2026-11-23 09:00')
as lina agent state
expect_rc 0 "an agent sees her state"
expect_out '^lina +offline' "offline at first"
as lina agent state ready
expect_rc 0 "and makes herself ready"
expect_out 'lina: offline → ready' "told the change"
as sam agent state paused
expect_rc 64 "paused needs a reason"
expect_err "lunch, break, training" "and the reasons are listed"
as sam agent state paused nap
expect_rc 64 "a reason the form does not know is refused"
as sam agent state ready lunch
expect_rc 64 "a reason goes only with paused"
as sam agent state flying
expect_rc 64 "an unknown state is refused"
as sam agent state paused lunch
expect_rc 0 "paused for lunch"
as sam agent state ready --agent lina
expect_rc 77 "an agent may not change another agent's state"
expect_err "may change only its own state" "and is told why"
as boss agent state ready --agent sam
expect_rc 0 "a supervisor may"
as boss agent state ready --agent nobody
expect_rc 67 "an unknown user is EX_NOUSER"
run agent state ready
expect_rc 67 "the environment's owner is no agent of the store"
run user add newbie --role agent
NOW=$(at '2026-11-23 09:25')
run agent list --format tsv
expect_out "^newbie	offline	" "an agent who never signed on is on the board, offline"
expect_out "^lina	ready		25m	0	" "the board: state and time in state"
expect_out "^sam	ready		25m	" "sam is ready again"

# --- round robin among the ready ---
as tom agent state ready
rr() {	# rr MINUTE: open a billing ticket at 10:MINUTE, print its assignee
	NOW=$(at "2026-11-23 10:$1")
	as boss ticket new --customer "$ZW" --subject "rr $1" --queue billing
	field "$OUT" assignee
}
got="$(rr 01) $(rr 02) $(rr 03) $(rr 04)"
[ "$got" = "lina sam tom lina" ]
ok $? "round robin: each ready member in turn ($got)"
as tom agent state paused break
got="$(rr 05) $(rr 06) $(rr 07)"
[ "$got" = "sam lina sam" ]
ok $? "a paused agent is passed over ($got)"
as lina agent state offline
as sam agent state offline
NOW=$(at '2026-11-23 10:08')
as boss ticket new --customer "$ZW" --subject 'nobody' --queue billing
NOBODY=$OUT
[ -z "$(field "$NOBODY" assignee)" ]
ok $? "with nobody ready the ticket waits unassigned"
as boss ticket assign "$NOBODY" --auto
expect_rc 75 "assign --auto with nobody ready is EX_TEMPFAIL"
expect_err "nobody in queue billing is ready" "and says so"
as sam agent state ready
as boss ticket assign "$NOBODY" --auto
expect_rc 0 "assign --auto once someone is ready"
expect_out "$NOBODY: assignee \(none\) → sam" "to the ready agent"

# --- least loaded ---
as ann agent state ready
as bob agent state ready
NOW=$(at '2026-11-23 11:00')
for i in 1 2; do
	run ticket new --customer "$ZW" --subject "bob $i" --assignee bob
done
ll() {
	NOW=$(at "2026-11-23 11:$1")
	as boss ticket new --customer "$ZW" --subject "ll $1" --queue tech
	field "$OUT" assignee
}
got="$(ll 01) $(ll 02) $(ll 03)"
[ "$got" = "ann ann bob" ]
ok $? "least loaded: bob has two open tickets, ann gets the first two ($got)"
as bob ticket list --mine --format tsv
[ "$(printf '%s\n' "$OUT" | grep -c '	bob	')" -ge 2 ]
ok $? "ticket list --mine lists an agent's own tickets"
as ann agent state paused meeting
got="$(ll 04)"
[ "$got" = "bob" ]
ok $? "a paused agent gets nothing even when least loaded ($got)"

# --- assign and take, and the roles ---
NOW=$(at '2026-11-23 14:00')
run ticket new --customer "$ZW" --subject 'to take'
TAKE=$OUT
as lina ticket assign "$TAKE" lina
expect_rc 77 "an agent may not assign"
expect_err "ticket assign needs the supervisor or admin role" "by the table"
as lina ticket new --customer "$ZW" --subject x --assignee lina
expect_rc 77 "nor give a new ticket to someone"
expect_err "may not change ticket.assignee" "by the form"
as lina ticket new --customer "$ZW" --subject mine --mine
expect_rc 0 "but may open a ticket for herself"
[ "$(field "$OUT" assignee)" = lina ]
ok $? "--mine assigns it to her"
as lina ticket take "$TAKE"
expect_rc 0 "an agent takes an unassigned ticket"
expect_out "$TAKE: taken by lina" "and is told"
as sam ticket take "$TAKE"
expect_rc 75 "another agent cannot take it then"
expect_err "already taken by lina" "and is told who holds it"
as lina ticket take "$TAKE"
expect_rc 0 "taking one's own ticket again is fine"
as boss ticket assign "$TAKE" sam
expect_rc 0 "a supervisor reassigns"
expect_out "$TAKE: assignee lina → sam" "from whom to whom"
as boss ticket assign "$TAKE" nobody
expect_rc 67 "not to an unknown user"
as boss ticket assign "$TAKE" --none
expect_out "$TAKE: assignee sam → \(none\)" "--none puts it back"
as lina sla run
expect_rc 77 "an agent may not run the sweep"

# --- two agents take one ticket at once, many times ---
races=20
wins_ok=0
i=0
while [ $i -lt $races ]; do
	i=$((i + 1))
	run ticket new --customer "$ZW" --subject "race $i"
	R=$OUT
	TCRM_NOW=$NOW TCRM_USER=lina "$TCRM" --home "$HOME_DIR" ticket take \
	    "$R" >"$TMPD/a.out" 2>"$TMPD/a.err" &
	pa=$!
	TCRM_NOW=$NOW TCRM_USER=sam "$TCRM" --home "$HOME_DIR" ticket take \
	    "$R" >"$TMPD/b.out" 2>"$TMPD/b.err" &
	pb=$!
	wait $pa
	ra=$?
	wait $pb
	rb=$?
	holder=$(field "$R" assignee)
	if { [ $ra -eq 0 ] && [ $rb -eq 75 ] && [ "$holder" = lina ] &&
	    grep -q "already taken by lina" "$TMPD/b.err"; } ||
	    { [ $rb -eq 0 ] && [ $ra -eq 75 ] && [ "$holder" = sam ] &&
	    grep -q "already taken by sam" "$TMPD/a.err"; }; then
		wins_ok=$((wins_ok + 1))
	else
		diag "race $i: lina $ra, sam $rb, holder '$holder'" \
		    "$(cat "$TMPD/a.err" "$TMPD/b.err")"
	fi
done
[ $wins_ok -eq $races ]
ok $? "exactly one of two racing agents wins, every time ($wins_ok/$races)"

# --- ticket list ---
NOW=$(at '2026-11-23 15:00')
run ticket list --format tsv
hdr=$(printf '%s\n' "$OUT" | sed -n 1p)
[ "$hdr" = "number	status	priority	queue	assignee	customer	subject	due	respond	resolve" ]
ok $? "ticket list has timer columns"
printf '%s\n' "$OUT" | sed 1d | cut -f8 | grep . >"$TMPD/dues"
sort -c "$TMPD/dues"
ok $? "sorted by due time"
printf '%s\n' "$OUT" | grep -q "^$PEND	"
[ $? -ne 0 ]
ok $? "resolved tickets are left out by default"
run ticket list --all --format tsv
expect_out "^$PEND	resolved	" "--all lists them"
run ticket list --status resolved,closed --format tsv
expect_out "^$PEND	resolved	" "--status picks statuses"
run ticket list --status bogus
expect_rc 64 "an unknown status is a usage error"
run ticket list --queue tech --assignee bob --format tsv
expect_out "^T[0-9]+	new	normal	tech	bob	" "--queue and --assignee filter"
printf '%s\n' "$OUT" | sed 1d | grep -qv '	tech	bob	'
[ $? -ne 0 ]
ok $? "and nothing else"
run ticket list --unassigned --format tsv
printf '%s\n' "$OUT" | sed 1d | cut -f5 | grep -q .
[ $? -ne 0 ]
ok $? "--unassigned lists tickets nobody has"
run ticket list --customer 王芳 --format json
expect_out '"customer": "王芳"' "--customer by name, JSON output"
run ticket list --limit 2 --format tsv
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 3 ]
ok $? "--limit"
expect_err "more not shown" "says what was left out"

# --- callbacks ---
NOW=$(at '2026-11-23 09:00')
as lina callback add --customer 张伟 --at 10:00 --note 回电确认地址
expect_rc 0 "an agent schedules a callback"
CB1=$OUT
as lina callback add --customer zw@example.cn --at 11:00 --queue billing
expect_rc 0 "one for anyone in the billing queue"
CB2=$OUT
as lina callback add --customer 13900139000 --at 'tomorrow 09:30' --for bob \
	--phone 010-65521234
expect_rc 0 "one for a colleague, on another phone"
CB3=$OUT
as lina callback add --customer 张伟 --at 08:00
expect_rc 65 "a time in the past is refused"
expect_err "is in the past" "and says so"
as lina callback add --customer 张伟 --at 10:00 --for nobody
expect_rc 67 "for an unknown user"
as lina callback add --at 10:00
expect_rc 64 "a callback needs a customer"
as lina callback list --mine --format tsv
expect_out "^$CB1	2026-11-23 10:00	pending	张伟	13800138000	lina		回电确认地址$" \
	"mine: my own, with the customer's phone"
expect_out "^$CB2	.*	billing	" "and my queue's"
printf '%s\n' "$OUT" | grep -q "^$CB3	"
[ $? -ne 0 ]
ok $? "but not a colleague's"
as bob callback list --mine --format tsv
expect_out "^$CB3	.*	010" "bob sees his, with the number given"
printf '%s\n' "$OUT" | grep -q "^$CB2	"
[ $? -ne 0 ]
ok $? "and not the billing queue's"
NOW=$(at '2026-11-23 10:05')
run callback list --due --format tsv
expect_out "^$CB1	.*	due	" "due once its time has come"
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 2 ]
ok $? "only that one is due"
run callback list --missed --format tsv
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 1 ]
ok $? "within the grace nothing is missed"
NOW=$(at '2026-11-23 10:11')
run callback list --missed --format tsv
expect_out "^$CB1	.*	missed	" "past the grace it is missed"
run sla run
expect_out "missed callbacks 1$" "the sweep flags it"
run show callback "$CB1" --format json
expect_out '"missed": "true"' "the flag is stored"
as sam callback done "$CB1" --note 已回电
expect_rc 0 "a callback is done"
expect_out "callback $CB1: done at 2026-11-23 10:11" "at the time"
run show callback "$CB1" --format json
expect_out '"done_by": "sam"' "by whom"
expect_out '"status": "done"' "its status"
as sam callback done "$CB1"
expect_rc 65 "done twice is refused"
expect_err "done already (sam, 2026-11-23 10:11)" "saying by whom and when"
as sam callback done 999
expect_rc 66 "an unknown callback"
run callback list --format tsv
printf '%s\n' "$OUT" | grep -q "^$CB1	"
[ $? -ne 0 ]
ok $? "done callbacks leave the list"
run callback list --all --format tsv
expect_out "^$CB1	.*	done	" "--all shows them"
as lina callback list --for bob --format tsv
expect_out "^$CB3	" "--for USER"

# --- the board counts calls today ---
NOW=$(at '2026-11-23 16:00')
run add interaction customer="$ZW" agent=lina started='2026-11-23 10:00'
run add interaction customer="$ZW" agent=lina started='2026-11-23 11:00'
run add interaction customer="$ZW" agent=lina started='2026-11-20 11:00'
run agent list --format tsv
expect_out "^lina	[a-z_]+		[0-9dhm]+	2	[0-9]+	" "calls today on the board"
run agent list --queue tech --format tsv
[ "$(printf '%s\n' "$OUT" | sed 1d | cut -f1 | tr '\n' ' ')" = "ann bob " ]
ok $? "--queue shows the queue's members"

done_testing
