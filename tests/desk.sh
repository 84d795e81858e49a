#!/bin/sh
# desk.sh - the desk through tmux on a generated environment: search,
# the card, logging a call within the key budget, forms, resizing,
# hostile text, zh_CN, terminal types, NO_COLOR.
. "${TESTS_SRCDIR:-$(dirname "$0")}/desk-lib.sh"

# ---- the environment ------------------------------------------------------
add() {
	run add "$@"
	[ "$RC" -eq 0 ] || diag "add $*: $ERR"
	printf '%s' "$OUT"
}
NANA=$(add customer name=欧阳娜娜 company=华为技术 phones=13912345678 \
	email=nana@example.cn status=vip)
XIU=$(add customer name=欧阳修 company=腾讯科技 phones='+86 21 5555 0001')
ZHEN=$(add customer name=欧阳震华 company=阿里巴巴 phones=13700000003)
MING=$(add customer name=欧明 company=明星物流 phones=13700000004)
ZW=$(add customer name=张伟 company=京东 phones=13800138000)
LEE=$(add customer name='Lee Smith' email=lee@example.com phones='+1 555 0100')
HAN=$(add contact customer="$NANA" name=韩梅梅 phones=13600001111)
add interaction customer="$NANA" disposition=no_answer \
	started='2026-01-05 10:00' note='first try' >/dev/null
add ticket customer="$NANA" number=T-1 subject=发票问题 >/dev/null
add ticket customer="$NANA" number=T-2 subject=已解决的问题 status=closed \
	>/dev/null
EVIL=$("$STRESS" raw "$HOME_DIR" "name=$(printf 'Evil\033[2JName\342\200\256rac')" \
	phones=13700000666 2>"$TMPD/stress.err")
[ -n "$EVIL" ]
ok $? "a hostile record is written behind the desk's back (id $EVIL)"

# ---- home: incremental search ---------------------------------------------
desk_start d
expect_screen d 'Search:' "the desk opens on the search line"
expect_screen d 'F1 Help' "with a key bar"
type_text d 欧阳
expect_screen d '3 found' "欧阳 finds three"
for n in 欧阳娜娜 欧阳修 欧阳震华; do
	printf '%s\n' "$SCREEN" | grep -q "$n"
	ok $? "  $n is listed"
done
expect_not_in '欧明' "  欧明 is not (prefix, not substring)"
expect_in '华为技术' "  with the company"
expect_in '(2026-)?01-05 No answer' "  and the last interaction"
keys d C-u
type_text d '+86 139-1234-5678'
expect_screen d '欧阳娜娜' "a phone in another format finds the customer"
keys d C-u
type_text d 1391234
expect_screen d '欧阳娜娜' "a partial phone finds it too"
keys d C-u
type_text d LEE@EXAMPLE
expect_screen d 'Lee Smith' "an email prefix, any case"
keys d C-u
type_text d 韩梅
expect_screen d '韩梅梅 .*欧阳娜娜 \(Contact\)' "contacts are found, with their customer"
keys d C-u
type_text d 欧阳
wait_for d '3 found'
keys d Down j j k Enter
expect_screen d "Customer #$NANA +欧阳娜娜" "arrows and j/k move, Enter opens"

# ---- the card ---------------------------------------------------------------
keys d Escape
wait_for d 'Search:'
keys d C-u
type_text d 欧阳娜娜
keys d Enter
expect_screen d "Customer #$NANA +欧阳娜娜 +· +华为技术" "the card names the customer"
expect_in 'VIP' "  shows its fields with labels from the form"
expect_in '韩梅梅' "  lists its contacts"
expect_in 'first try' "  has the timeline"
expect_in 'Ticket: 1 open .1 closed not shown.' "  and the open tickets only"
expect_in '发票问题' "  by subject"

# ---- logging a call: c, the outcome's key, the note, F2 ---------------------
budget="c a F2"
set -- $budget
nkeys=$#
keys d c
expect_screen d 'Log a call' "c opens a new interaction"
expect_in "Customer\* +#$NANA 欧阳娜娜" "  for this customer"
printf '%s\n' "$SCREEN" | grep -Eq 'Agent +'"$(id -un)"
ok $? "  by this agent"
expect_in 'Direction +Inbound' "  inbound"
expect_in 'Started\* +20[0-9][0-9]-' "  starting now"
keys d a
type_text d '客户询问发票 invoice 42'
keys d F2
expect_screen d 'Saved Interaction #' "saved in $nkeys keys besides the note"
[ "$nkeys" -le 8 ]
ok $? "within the budget of 8 keys ($budget)"
expect_screen d 'Answered .*客户询问发票 invoice 42' "the call is in the timeline"
printf '%s\n' "$SCREEN" | sed -n '/Interaction/,$p' | sed -n 2p |
	grep -q '客户询问发票'
ok $? "newest first"
run history
expect_out 'create	interaction|create +interaction' "tcrm history has the create"
printf '%s\n' "$OUT" | grep -q '客户询问发票 invoice 42'
ok $? "and the note"
IA=$(printf '%s\n' "$OUT" | grep -o 'interaction [0-9]*' | tail -1 | cut -d' ' -f2)
run show interaction "$IA" --format json
expect_out '"disposition": "answered"' "the outcome is the one picked"
expect_out '"direction": "inbound"' "direction inbound"
expect_out '"channel": "call"' "channel call"
expect_out "\"customer\": \"$NANA\"" "linked to the customer"

# A call from a contact's card belongs to the contact and its customer.
keys d Home
keys d Enter
expect_screen d 'Contact #[0-9]+ +韩梅梅' "Enter opens the contact"
keys d c
expect_screen d 'Log a call' "and a call can be logged there"
expect_in "Contact +#$HAN 韩梅梅" "  pre-filled with the contact"
expect_in "Customer\* +#$NANA 欧阳娜娜" "  and its customer"
keys d Enter
expect_screen d 'Filter:' "Enter on the outcome opens the pick list"
type_text d voi
expect_screen d 'Voicemail' "type-to-filter"
expect_gone d 'Busy' "  leaves out what does not match"
keys d Enter
expect_screen d 'Outcome +Voicemail' "Enter takes the value"
keys d Escape
expect_screen d 'Discard your changes' "Esc on unsaved changes asks first"
keys d n
expect_screen d 'Log a call' "n keeps the form"
keys d Escape
wait_for d 'Discard'
keys d y
expect_screen d 'Contact #[0-9]+ +韩梅梅' "y discards it"
keys d Escape

# ---- forms: validation, dates, duplicates -----------------------------------
wait_for d "Customer #$NANA"
keys d Escape
wait_for d 'Search:'
keys d C-u F4
expect_screen d 'New Customer' "F4 opens a new customer form"
keys d Tab Tab
type_text d 欧阳娜
keys d Tab Tab Tab Tab
type_text d 13912345678
expect_screen d 'Possible duplicates' "a known phone shows a possible duplicate"
expect_in "#$NANA  欧阳娜娜" "  naming the customer"
keys d Tab
type_text d foo@
keys d Tab
expect_screen d "'foo@' is not an email address" "a bad email is named beside the field"
keys d BTab C-u
type_text d nana2@example.cn
keys d Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab
type_text d +3d
keys d Tab
expect_screen d 'Birthday +20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]' "a date field takes +3d"
keys d C-o
expect_screen d "Customer #$NANA +欧阳娜娜" "^O opens the existing record instead"

# ---- command palette ---------------------------------------------------------
keys d :
expect_screen d '^:' "':' opens the palette"
expect_in 'new customer' "  listing commands"
type_text d 'new tic'
keys d Tab
expect_screen d ':new ticket' "Tab completes"
keys d Enter
expect_screen d 'New Ticket' ":new ticket opens a ticket form"
expect_in "Customer\* +#$NANA 欧阳娜娜" "  for the card it was opened on"
keys d Escape
wait_for d "Customer #$NANA"
keys d :
type_text d 'find 张伟'
keys d Enter
expect_screen d '张伟' ":find searches"
keys d F1
expect_screen d 'Keys of this screen' "F1 shows the help"
expect_screen d 'clear the search' "  from the key table"
keys d Escape

# Every entity has a form, laid out from its YAML.
keys d Escape
wait_for d 'Search:'
for yaml in "$TCRM_FORMS"/*.yaml; do
	ent=$(sed -n 's/^entity: *//p' "$yaml")
	[ -n "$ent" ] || continue	# service.yaml: settings, not an entity
	label=$(sed -n 's/^label: *{en: *\([^,]*\),.*/\1/p' "$yaml")
	keys d :
	type_text d "new $ent"
	keys d Enter
	expect_screen d "^ New $label" ":new $ent opens its form"
	keys d Escape
	wait_for d 'Search:'
done
type_text d 张伟
wait_for d '张伟 +京东'

# ---- resizing ----------------------------------------------------------------
lines() {
	screen "$1" | wc -l
}
tm resize-window -t d -x 120 -y 40
wait_line d 40 'F1 Help'
ok $? "120x40: the key bar on line 40"
expect_screen d '^ tcrm .* [0-9]{2}:[0-9]{2} *$' "  the top line"
tm resize-window -t d -x 80 -y 24
wait_line d 24 'F1 Help'
ok $? "back to 80x24: the key bar on line 24"
expect_screen d '张伟' "  and the results"
keys d C-u
type_text d 欧阳娜娜
keys d Enter e
expect_screen d "Edit Customer #$NANA" "an edit form"
tm resize-window -t d -x 120 -y 40
wait_line d 40 'F2 Save'
ok $? "resized inside a form: its key bar moves to line 40"
expect_screen d "Edit Customer #$NANA" "  the form stays"
tm resize-window -t d -x 60 -y 20
expect_screen d 'needs at least 80x24' "too small: asks for room"
tm resize-window -t d -x 80 -y 24
wait_line d 24 'F2 Save'
ok $? "back at 80x24 the form comes back, key bar on line 24"
expect_screen d "Edit Customer #$NANA" "  the form is still there"
keys d Escape

# ---- hostile text --------------------------------------------------------------
wait_for d "Customer #$NANA"
keys d Escape
wait_for d 'Search:'
keys d C-u
type_text d evil
expect_screen d 'Evil␛\[2JName' "an escape sequence is shown as a placeholder"
expect_in '^ tcrm ' "  and never cleared the screen"
keys d Enter
expect_screen d "Customer #$EVIL +Evil␛\\[2JName" "the card shows it the same way"
expect_not_in "$(printf '\342\200\256')" "  the bidi override never reaches the terminal"
expect_in 'Name�rac' "  it is a visible placeholder"
keys d Escape F10
pane_dead d
ok $? "F10 quits"
[ "$(pane_status d)" = 0 ]
ok $? "  with status 0"

# ---- roles: fields an agent may not read or write ---------------------------
run user add alice --role agent
run user add sam --role supervisor
run set customer "$ZW" id_number=110101199001011234
desk_start ag TCRM_USER=alice
expect_screen ag 'alice \(agent\)' "the top line names the user and role"
type_text ag 张伟
keys ag Enter
expect_screen ag "Customer #$ZW +张伟" "an agent opens the card"
expect_not_in 'ID number|110101199001011234' "  without the ID number the agent may not read"
keys ag e
expect_screen ag "Edit Customer #$ZW" "  and the form"
expect_not_in 'ID number' "  leaves it out too"
keys ag Escape F10
pane_dead ag
desk_start sv TCRM_USER=sam
type_text sv 张伟
keys sv Enter
expect_screen sv "ID number +110101199001011234" "a supervisor reads it"
keys sv e
expect_screen sv "ID number +110101199001011234" "  and sees it in the form"
keys sv BTab BTab BTab BTab BTab BTab BTab BTab BTab BTab BTab BTab BTab \
	BTab BTab BTab BTab BTab BTab BTab BTab BTab BTab BTab BTab BTab BTab
type_text sv 9
keys sv F2
wait_for sv "Saved|Nothing changed"
run show customer "$ZW" --format json
expect_out '"id_number": "110101199001011234"' "  but may not change it (the form skips it)"
keys sv Escape F10
pane_dead sv

# ---- the palette runs commands of the table on the plain terminal -----------
desk_start pal
wait_for pal 'Search:'
keys pal :
type_text pal "history customer $ZW"
keys pal Enter
expect_screen pal 'press Enter to return to the desk' ":history runs on the plain terminal"
expect_in "update +customer $ZW" "  printing the audit trail"
keys pal Enter
expect_screen pal 'history done' "  and Enter comes back to the desk"
keys pal :
type_text pal 'db verify'
keys pal Enter
expect_screen pal 'press Enter to return' "  a command needing another role runs too"
keys pal Enter
wait_for pal 'Search:'
keys pal C-q
pane_dead pal

# ---- zh_CN ---------------------------------------------------------------------
stage_catalogue
desk_start zh -u LC_ALL LANG=zh_CN.UTF-8 TCRM_LOCALEDIR="$LOCALEDIR_STAGED"
expect_screen zh '搜索' "LANG=zh_CN.UTF-8: the search line is Chinese"
expect_in 'F1 帮助' "  the key bar too"
type_text zh 欧阳娜娜
keys zh Enter
expect_screen zh "客户 #$NANA +欧阳娜娜" "  the card, with the entity's Chinese label"
expect_in '状态 .*贵宾' "  field labels and enum values from the YAML"
expect_in '联系人' "  section titles"
keys zh c
expect_screen zh '^ 登记通话' "  the call form"
expect_in '结果' "  with Chinese labels"
screen zh | grep -E '[A-Za-z]{4,}' | grep -vE 'tcrm|root|TCRM|tmp|home|Esc|Tab|Enter' \
	>"$TMPD/english"
[ ! -s "$TMPD/english" ]
ok $? "  and no English words left"
[ -s "$TMPD/english" ] && diag "$(cat "$TMPD/english")"
keys zh Escape
wait_for zh '放弃你的修改吗'
keys zh y
expect_screen zh "客户 #$NANA +欧阳娜娜" "  Esc asks in Chinese and goes back"
keys zh e
expect_screen zh "编辑客户 #$NANA" "  the edit form"
keys zh Tab Tab Tab Tab Tab Tab Tab C-u
type_text zh foo@
keys zh Tab
expect_screen zh '“foo@”不是邮箱地址' "  with validation messages in Chinese"
keys zh Escape
wait_for zh '放弃'
keys zh y Escape Escape C-q
pane_dead zh

"$TCRM" --home "$HOME_DIR" </dev/null >/dev/null 2>"$TMPD/err"
RC=$?
[ $RC -eq 64 ]
ok $? "without a terminal the desk says so (exit $RC)"
env -u LC_ALL LANG=zh_CN.GB18030 "$TCRM" --home "$HOME_DIR" </dev/null \
	>/dev/null 2>"$TMPD/err"
RC=$?
[ $RC -eq 78 ] && grep -q 'UTF-8' "$TMPD/err" &&
	grep -q 'export LANG=zh_CN.UTF-8' "$TMPD/err"
ok $? "a locale that is not UTF-8 gets the fix (exit $RC)"

# ---- terminals and colour ------------------------------------------------------
for term in xterm-256color screen tmux-256color linux vt100; do
	desk_start "t-$term" TERM="$term"
	expect_screen "t-$term" 'Search:' "TERM=$term: the desk draws"
	type_text "t-$term" 张伟
	expect_screen "t-$term" '张伟 +京东' "  and searches"
	keys "t-$term" C-q
	pane_dead "t-$term" && [ "$(pane_status "t-$term")" = 0 ]
	ok $? "  ^Q quits cleanly"
	[ "$(pane_status "t-$term")" = 0 ] || diag "status $(pane_status \
	    "t-$term")" "$(screen "t-$term")" "$(cat "$TMPD/t-$term.err")"
done
desk_start col
wait_for col 'Search:'
tm capture-pane -e -p -t col | grep -q "$(printf '\033')\\[[0-9;]*3[0-9]m"
ok $? "colours by default"
keys col C-q
desk_start nocol NO_COLOR=1
wait_for nocol 'Search:'
tm capture-pane -e -p -t nocol | grep -q "$(printf '\033')\\[[0-9;]*[34][0-7]m"
[ $? -ne 0 ]
ok $? "none with NO_COLOR"
keys nocol C-q

# ---- every key is documented ---------------------------------------------------
"$TCRM" --home "$HOME_DIR" desk --keys >"$TMPD/keys" 2>/dev/null
ok $? "tcrm desk --keys lists the key tables"
missing=0
while IFS='	' read -r table key action help; do
	# The table's list in the man page: from its marker to the next.
	awk -v t="$table" '/^\.\\" keys: /{on = ($3 == t); next} on' \
		"$TESTS_SRCDIR/../man/tcrm.1" >"$TMPD/block"
	grep -q "Pq Cm $action\$" "$TMPD/block" &&
		grep -Eq "Ic (\\\\&)?$(printf '%s' "$key" |
		    sed 's/[].[^$*?+(){}|\\/]/\\&/g')( |\$)" "$TMPD/block" || {
		diag "man/tcrm.1 lacks $key ($action) in the $table keys"
		missing=$((missing + 1))
	}
done <"$TMPD/keys"
[ "$missing" -eq 0 ]
ok $? "the man page has every key of every table, with its action"
[ "$(wc -l <"$TMPD/keys")" -gt 100 ]
ok $? "  (all $(wc -l <"$TMPD/keys") of them)"

desk_done
