#!/bin/sh
# desk-work.sh - the service desk in the desk, through tmux at 80x24: My
# work (tickets by deadline with their timers, callbacks, missed ones
# flagged, refreshed by itself after a change made elsewhere), the
# agent's state on the top line and in the audit, a disposition that
# requires a field, wrap-up after a call and a callback from it, the
# supervisor's board (and an agent refused it), the knowledge base into a
# ticket's note (Chinese), the call script. The clock is TCRM_NOW.
. "${TESTS_SRCDIR:-$(dirname "$0")}/desk-lib.sh"

TZ=Asia/Shanghai
export TZ
FORMS="$TMPD/forms"
mkdir -p "$FORMS"
cp "$TCRM_FORMS"/*.yaml "$FORMS"/
cat >"$FORMS/service.yaml" <<'YAML'
targets:
  urgent: {response: 30m, resolution: 2h}
  normal: {response: 4h, resolution: 8h}
  low: {response: 8h, resolution: 16h}
queues:
  - name: billing
    label: {en: Billing, zh: 账务组}
    assign: manual
    members: [lina, sam]
    script: "Billing script: greet {{name}} of {{company}}.\nLast call: {{last_call}}"
  - name: night
    assign: manual
    members: [n01, n02, n03, n04, n05, n06, n07, n08, n09, n10, n11, n12,
      n13, n14, n15, n16, n17, n18, n19, n20]
callbacks:
  grace: 10m
wrap_up: 3s
YAML
TCRM_FORMS=$FORMS
export TCRM_FORMS

NOW=$(date -d '2026-11-23 10:00' +%s)
EARLY=$((NOW - 7200))

# as USER CMD...: tcrm as a user of the store ("-": the owner, an admin),
# at $NOW unless AT says otherwise.
as() {
	as_user=$1
	shift
	if [ "$as_user" = - ]; then
		TCRM_NOW=${AT:-$NOW} "$TCRM" --home "$HOME_DIR" "$@" \
		    >"$TMPD/out" 2>"$TMPD/err"
	else
		TCRM_USER=$as_user TCRM_NOW=${AT:-$NOW} "$TCRM" \
		    --home "$HOME_DIR" "$@" >"$TMPD/out" 2>"$TMPD/err"
	fi
	RC=$?
	OUT=$(cat "$TMPD/out")
	ERR=$(cat "$TMPD/err")
}
add() {
	as - add "$@"
	[ "$RC" -eq 0 ] || diag "add $*: $ERR"
	printf '%s' "$OUT"
}

as - user add lina --role agent
as - user add sam --role supervisor
ZW=$(add customer name=张伟 company=京东 phones=13800138000)
LN=$(add customer name=李娜 company=华为 phones=13900139000)
# An urgent ticket opened two hours ago: its 30-minute response is late.
T_OLD=$(AT=$EARLY add ticket customer="$ZW" subject=旧的紧急问题 \
	priority=urgent assignee=lina queue=billing)
T_LOW=$(add ticket customer="$ZW" subject=低优先级问题 priority=low \
	assignee=lina queue=billing)
T_URG=$(add ticket customer="$LN" subject=紧急退款 priority=urgent \
	assignee=lina queue=billing)
T_SAM=$(add ticket customer="$LN" subject=别人的工单 assignee=sam)
add ticket customer="$LN" subject=排队的工单 queue=billing >/dev/null
CB_MISSED=$(add callback customer="$ZW" due='2026-11-23 09:30' \
	assignee=lina phone=13800138000)
CB_QUEUE=$(add callback customer="$LN" due='2026-11-23 11:00' \
	queue=billing phone=13900139000)
[ -n "$T_OLD" ] && [ -n "$T_LOW" ] && [ -n "$T_URG" ] && [ -n "$CB_QUEUE" ]
ok $? "tickets and callbacks made at a fixed clock"

# ---- My work -------------------------------------------------------------------
desk_start w TCRM_USER=lina TCRM_NOW=$NOW
expect_screen w 'Search:' "lina's desk opens"
expect_in 'F3 My work' "  F3 My work is on the key bar"
keys w F3
expect_screen w 'My work: 3 open tickets' "F3 opens My work with lina's three open tickets"
expect_not_in '别人的工单' "  not somebody else's"
expect_not_in '排队的工单' "  nor an unassigned one"
old=$(printf '%s\n' "$SCREEN" | grep -n '旧的紧急问题' | cut -d: -f1)
urg=$(printf '%s\n' "$SCREEN" | grep -n '紧急退款' | cut -d: -f1)
low=$(printf '%s\n' "$SCREEN" | grep -n '低优先级问题' | cut -d: -f1)
[ -n "$old" ] && [ -n "$urg" ] && [ -n "$low" ] && [ "$old" -lt "$urg" ] &&
	[ "$urg" -lt "$low" ]
ok $? "  by due time: the late one, the urgent one, the low one"
expect_in '! +T[0-9]+ +旧的紧急问题.*respond -1h30m' \
	"  the late one is marked, its timer negative"
expect_in 'T[0-9]+ +紧急退款.*respond 30m' "  the urgent one has 30 minutes"
expect_in '! .*张伟 .*MISSED' "a callback past its time and grace is flagged missed"
expect_in '李娜 .*Billing +later' "  the queue's callback is listed, for the queue"

# Changes made elsewhere show without a key.
as - set ticket "$T_LOW" subject=改过的主题
wait_for w '改过的主题' 15
ok $? "a change made by another process shows within 1.5 s, no key pressed"
as - set ticket "$T_SAM" assignee=lina
wait_for w 'My work: 4 open tickets' 15
ok $? "  a ticket given to lina elsewhere appears"
expect_in '别人的工单' "  with its subject"
as - set ticket "$T_SAM" status=resolved resolution=done
wait_for w 'My work: 3 open tickets' 15
ok $? "  and leaves when it is resolved"
as - callback done "$CB_MISSED"
expect_gone w 'MISSED' "a callback made elsewhere leaves the list"
CB_DUE=$(add callback customer="$LN" due='2026-11-23 09:58' assignee=lina \
	phone=13900139000)
expect_screen w "Callback due: #$CB_DUE 李娜" "a callback that falls due is announced on the message line"

# ---- the agent's state -------------------------------------------------------
keys w C-r
expect_screen w '^ tcrm.*Ready 0:00' "^R: ready, on the top line with the time in state"
keys w F12
expect_screen w 'Your state' "F12 offers the states"
expect_in 'Paused: Lunch' "  with the pause reasons from forms/agent.yaml"
expect_in 'Paused: Coaching' "  all of them"
type_text w Lunch
keys w Enter
expect_screen w '^ tcrm.*Paused: Lunch 0:00' "a pause with its reason is on the top line"
keys w C-r
expect_screen w '^ tcrm.*Ready 0:00' "^R: ready again"
as - agent state --agent lina
AGENT_ID=$(printf '%s\n' "$OUT" | grep -o '#[0-9]*' | head -1 | tr -d '#')
[ -n "$AGENT_ID" ] || AGENT_ID=1
as - history agent "$AGENT_ID"
printf '%s\n' "$OUT" | grep -q 'paused' &&
	printf '%s\n' "$OUT" | grep -q 'lunch' &&
	printf '%s\n' "$OUT" | grep -q 'ready'
ok $? "each change is in tcrm history agent $AGENT_ID"
[ $? -eq 0 ] || diag "$OUT" "$ERR"

# ---- a disposition that requires a field, wrap-up, a callback ----------------
keys w Escape
wait_for w 'Search:'
type_text w 张伟
wait_for w '张伟 +京东'
keys w Enter
expect_screen w "Customer #$ZW +张伟" "the card"
keys w c
expect_screen w 'Log a call' "c logs a call"
keys w c
expect_screen w 'Call back at\*' "outcome c (call back): the time it needs is now required"
keys w F2
expect_screen w 'required when Outcome is Call back' "saving without it is refused beside the field"
expect_in 'Log a call' "  the form stays"
type_text w '2026-11-23 15:00'
keys w F2
expect_screen w 'm for me, q for anyone in queue Billing' "saved: a callback is offered, for me or the queue"
keys w m
expect_screen w 'Callback #[0-9]+ at .*scheduled for you' "m: scheduled for lina"
expect_in '^ tcrm.*Wrap-up 0:03' "logging the call put lina into wrap-up, with its timer"
as - callback list --all
printf '%s\n' "$OUT" | grep -E '2026-11-23 15:00' | grep -q lina
ok $? "the callback is in the store, for lina at 15:00"
[ $? -eq 0 ] || diag "$OUT" "$ERR"
keys w C-r
expect_screen w '^ tcrm.*Ready' "^R ends wrap-up"

# A callback by hand from the card, for the queue.
keys w b
expect_screen w 'Callback for: m me, q anyone in queue Billing' "b on the card: a callback, for whom"
keys w q
expect_screen w 'New Callback' "  q: the callback's form"
expect_in 'Queue +billing' "  for the queue"
type_text w '2026-11-24 10:00'
keys w F2
expect_screen w 'Saved Callback #' "  saved"
as - callback list --queue billing --all
printf '%s\n' "$OUT" | grep -q '2026-11-24 10:00'
ok $? "  and listed for the queue"

# Sale requires an amount: the store refuses it without one too.
as lina add interaction customer="$ZW" disposition=sale
[ "$RC" -ne 0 ]
ok $? "the store refuses a sale without its amount (exit $RC)"

# Wrap-up ends by itself when its time is up (the real clock here).
desk_start wr TCRM_USER=lina
wait_for wr 'Search:'
keys wr C-u
type_text wr 李娜
wait_for wr '李娜 +华为'
keys wr Enter
wait_for wr "Customer #$LN"
keys wr c
wait_for wr 'Log a call'
keys wr a
type_text wr 'quick call'
keys wr F2
expect_screen wr 'Wrap-up 0:0[0-3]' "a call logged: wrap-up counts down"
wait_for wr '^ tcrm.*Ready 0:0' 60
ok $? "  and is over by itself after wrap_up (3 s): ready"
keys wr C-q
pane_dead wr

# ---- the call script ----------------------------------------------------------
keys w F8
expect_screen w 'Call script' "F8 shows the call script below the card"
expect_in 'Billing script: greet 张伟 of 京东\.' "  the queue's script, merged with the customer"
expect_in 'Last call: 2026-11-23' "  and with the customer's last call"
keys w F8
expect_gone w 'Call script \(' "F8 hides it"
keys w Escape
wait_for w 'Search:'

# ---- knowledge base into a ticket's note ----------------------------------------
as - add article title=发票开具流程 tags='发票 invoice' status=published \
	body='您好，电子发票将在三个工作日内发送到您的邮箱。'
as - add article title=退货政策 tags=退货 status=published \
	body='七天无理由退货。'
keys w F3
wait_for w 'My work'
wait_for w '紧急退款'
keys w Down
keys w Enter
expect_screen w 'Ticket #' "Enter on My work opens the ticket"
keys w e
expect_screen w 'Edit Ticket' "  e edits it"
keys w F7
expect_screen w 'Knowledge base' "F7 opens the knowledge base"
type_text w 邮箱
# Both articles are listed before the query is typed: wait for the other
# one to go before judging the list.
expect_gone w '退货政策' "  a word in the middle of a Chinese body leaves the other article out"
expect_in '发票开具流程' "  and finds the one it is in"
keys w Enter
expect_screen w 'put into the note' "Enter puts it into the note"
expect_in '电子发票将在三个工作日内' "  where the form shows it"
keys w F2
expect_screen w 'Saved Ticket' "the ticket saves"
as - show ticket "$T_URG" --format json
expect_out '"note": "您好，电子发票将在三个工作日内发送到您的邮箱。"' "  with the article in its note"
keys w Escape Escape Escape

# ---- the board ------------------------------------------------------------------
keys w F6
expect_screen w 'The board is for supervisors and admins' "an agent is refused the board"
desk_start b TCRM_USER=sam TCRM_NOW=$NOW
wait_for b 'Search:'
keys b F6
expect_screen b 'Board: [0-9]+ agents' "F6: the board for a supervisor"
expect_in 'lina +(Ready|Wrap-up)' "  with lina and her state"
expect_in 'SLA breaches today: [1-9]' "  breaches today counted"
expect_in 'lina .* [1-9] +[0-9]+ +[0-9]+ *$' "  and lina's calls today"
keys w C-y
wait_for w 'Your state'
type_text w Training
keys w Enter
expect_screen b 'lina +Paused: Training' "the board follows lina's state by itself"
expect_in 'n01 +Offline' "  queue members who never set a state, offline"
expect_not_in 'night' "  a board longer than the screen shows its top"
keys b G
expect_screen b 'night +0 ' "  and scrolls to the rest (G)"
expect_in 'Billing +4 +1 ' "  queue sizes: Billing has 4 open, 1 waiting"
expect_not_in 'n01 ' "  the top scrolled away"
keys b g
expect_screen b 'n01 +Offline' "  g: back to the top"
tm resize-window -t b -x 100 -y 30
expect_screen b 'Board:' "the board redraws at another size"
tm resize-window -t b -x 80 -y 24
keys b Escape C-q
pane_dead b
keys w C-q
pane_dead w
[ "$(pane_status w)" = 0 ]
ok $? "lina's desk quits cleanly"

# ---- a desk that ends with a question or a list open ------------------------------
desk_start lk TCRM_USER=lina TCRM_NOW=$NOW
wait_for lk 'Search:'
type_text lk 李娜
wait_for lk '李娜 +华为'
keys lk Enter
wait_for lk "Customer #$LN"
keys lk c
wait_for lk 'Log a call'
keys lk c
type_text lk '2026-11-23 16:00'
keys lk F2
wait_for lk 'm for me, q for anyone'
keys lk C-q
pane_dead lk && [ "$(pane_status lk)" = 0 ]
ok $? "quitting with the callback question open ends cleanly"
desk_start lk2 TCRM_USER=lina TCRM_NOW=$NOW
wait_for lk2 'Search:'
keys lk2 F4
wait_for lk2 'New Customer'
keys lk2 F7
expect_screen lk2 'This form has no note' "F7 where the form has no note says so"
keys lk2 Escape
wait_for lk2 'Search:'
type_text lk2 李娜
wait_for lk2 '李娜 +华为'
keys lk2 Enter
wait_for lk2 "Customer #$LN"
keys lk2 c
wait_for lk2 'Log a call'
keys lk2 F7
expect_screen lk2 'Knowledge base' "F7 in the call's form opens the knowledge base"
keys lk2 C-q
wait_for lk2 'Quit\?' 10 && keys lk2 y
pane_dead lk2 && [ "$(pane_status lk2)" = 0 ]
ok $? "  and with the knowledge base open too"

# ---- Chinese ------------------------------------------------------------------------
stage_catalogue
desk_start zh LANG=zh_CN.UTF-8 LANGUAGE=zh_CN TCRM_LOCALEDIR="$LOCALEDIR_STAGED" \
	TCRM_USER=lina TCRM_NOW=$NOW
wait_for zh '搜索'
keys zh F3
expect_screen zh '我的工作' "My work in Chinese"
expect_in '就绪 0:00' "  the state on the top line in Chinese (signed on: ready)"
screen zh | sed -n '2,23p' | grep -E '[A-Za-z]{4,}' |
	grep -vE 'tcrm|root|TCRM|tmp|home|Esc|Tab|Enter|Billing|script' \
	>"$TMPD/english"
[ ! -s "$TMPD/english" ]
ok $? "  and no English words left"
[ -s "$TMPD/english" ] && diag "$(cat "$TMPD/english")"
keys zh C-q
pane_dead zh

desk_done
