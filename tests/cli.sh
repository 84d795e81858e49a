#!/bin/sh
# cli.sh - the command line surface: what a user or a script meets.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

run --version
expect_rc 0 "--version"
expect_out '^tcrm [0-9]' "--version prints the version"

run help
expect_rc 0 "help lists commands"
expect_out 'db verify' "help names db verify"
run help find
expect_out 'usage: tcrm find' "help find shows the usage"
run frobnicate
expect_rc 64 "an unknown command is a usage error"
expect_err "unknown command 'frobnicate'" "and says which"

run forms check "$TCRM_FORMS"
expect_rc 0 "the shipped forms are valid"
expect_out 'entities' "forms check reports what it read"

# A broken form: every error at once, with file:line:column, exit 78.
mkdir -p "$TMPD/badforms"
cat >"$TMPD/badforms/customer.yaml" <<'YAML'
entity: customer
title: name
fields:
  - name: name
    type: strnig
  - name: email
    type: email
    requird: true
YAML
run forms check "$TMPD/badforms"
expect_rc 78 "broken forms exit with EX_CONFIG"
expect_err "$TMPD/badforms/customer.yaml:5:11: unknown type 'strnig'" \
	"the unknown type is reported with line and column"
expect_err "customer.yaml:8:5: unknown key 'requird'" \
	"the misspelt key is reported in the same run"
run --forms "$TMPD/badforms" find x
expect_rc 78 "every command refuses broken forms"

# Add, find, show, set, history.
run add customer name=张伟 phones='+86 138-0013-8000' phones=010-65521234 \
	email=zw@example.cn company=华为技术
expect_rc 0 "add a customer"
ZW=$OUT
expect_out '^[0-9]+$' "add prints the new id"
run add customer name='Zhang Min' phones='+1 (555) 123-4567 x89' \
	email=zm@example.com
expect_rc 0 "add a second customer"
ZM=$OUT
run add customer name=欧阳娜娜 phones=13912345678
OY=$OUT

for q in '+86 138-0013-8000' 13800138000 '0086 138 0013 8000' \
    '(+86)13800138000' '１３８００１３８０００'; do
	run find "$q" --format tsv
	expect_out "^customer	$ZW	张伟	" "find by phone: $q"
done
run find 欧阳
expect_out "customer +$OY +欧阳娜娜" "find by Chinese prefix"
run find zha --format tsv
expect_out "^customer	$ZM	Zhang Min" "find by Latin prefix, case folded"
run find ZW@EXAMPLE --format tsv
expect_out "^customer	$ZW	" "find by email prefix"
run find 华为 --format json
expect_out '"name": "张伟"' "find by company, as JSON"
run find nobody-has-this-name
expect_rc 0 "no match is not an error"
expect_err "no match" "but says so"
run find 张 --limit 0
expect_rc 64 "a bad --limit is a usage error"
run find 张 --format xml
expect_rc 64 "an unknown format is a usage error"

# Table output is aligned by display column.
run add customer name=Li phones=13700000001
run find 1370000 --format table
ok 0 "table output (see next)"
w1=$(printf '%s\n' "$OUT" | sed -n 1p | awk '{print index($0, "phones")}')
run find 张 --format table
hdr=$(printf '%s\n' "$OUT" | sed -n 1p)
row=$(printf '%s\n' "$OUT" | sed -n 2p)
hcol=$(printf '%s' "$hdr" | sed 's/phones.*//' | wc -L)
rcol=$(printf '%s' "$row" | sed 's/+86 138.*//' | wc -L)
[ "$hcol" -eq "$rcol" ]
ok $? "CJK columns line up by display width ($hcol = $rcol)"

run show customer "$ZW"
expect_rc 0 "show a customer"
expect_out 'Email +zw@example.cn' "show lists the fields by label"
expect_out 'version +1' "show gives the version"
run show customer 999
expect_rc 66 "show of a missing record is EX_NOINPUT"
run show customer abc
expect_rc 64 "a bad id is a usage error"
run show custmer 1
expect_rc 64 "an unknown entity is a usage error"
expect_err "unknown entity 'custmer'" "and is named"

# Validation: each error names the field and the rule.
run add customer name=李娜 email=foo@
expect_rc 65 "an invalid email is a data error"
expect_err "email: 'foo@' is not an email address" "the rule is named"
run add customer company=华为
expect_rc 65 "a missing required field is a data error"
expect_err "name: a value is required" "the field is named"
run add customer name=李娜 email=zw@example.cn
expect_rc 65 "a duplicate email is refused"
expect_err "email 'zw@example.cn' already belongs to customer $ZW (张伟)" \
	"the holder is named"
# In Chinese too, on a server where zh_CN.UTF-8 is named but may not be
# installed (the commands fall back on C.UTF-8, as the desk does).
mkdir -p "$TMPD/locale/zh_CN/LC_MESSAGES"
msgfmt -o "$TMPD/locale/zh_CN/LC_MESSAGES/tcrm.mo" \
	"${TESTS_SRCDIR:-$(dirname "$0")}/../po/zh_CN.po"
LANG=zh_CN.UTF-8 LC_ALL= LANGUAGE= TCRM_LOCALEDIR="$TMPD/locale" \
	run add customer name=李娜 email=zw@example.cn
expect_rc 65 "  a duplicate email in Chinese is refused as well"
expect_err "邮箱 “zw@example.cn”已属于客户 $ZW（张伟）" \
	"  the store's message in Chinese, the field named first by its label"
LANG=zh_CN.UTF-8 LC_ALL= LANGUAGE= TCRM_LOCALEDIR="$TMPD/locale" \
	run show customer 999999
expect_err "客户 999999 不存在" "  and a record that is not there"
printf 'name,phones\n好人,13800138000\n坏\377人,13800138001\n' >"$TMPD/bad8.csv"
LANG=zh_CN.UTF-8 LC_ALL= LANGUAGE= TCRM_LOCALEDIR="$TMPD/locale" \
	run import "$TMPD/bad8.csv" --form customer
expect_rc 65 "  an import of invalid UTF-8 is refused"
expect_err "bad8.csv:3: 第 34 字节：无效的 UTF-8（0xff）；如果文件是其他编码，请用 --encoding" \
	"  the reader's message in Chinese, after the file and line as ever"
LANG=zh_CN.UTF-8 run show customer 999999
expect_err "customer 999999 does not exist" \
	"  but LC_ALL=C.UTF-8 over LANG keeps messages and their words English"
run add customer name=李娜 colour=red
expect_rc 64 "an unknown field is refused"
expect_err "customer has no field 'colour'" "and named"
run add customer name=李娜 phones=call-me-maybe
expect_rc 65 "a phone with letters is refused"

# set with and without versions.
run set customer "$ZW" company=华为终端
expect_rc 0 "set a field"
expect_out "version 2" "set reports the new version"
run set customer "$ZW" --if-version 2 title=经理
expect_rc 0 "set with the current version"
run set customer "$ZW" --if-version 2 name=张伟伟
expect_rc 75 "a stale version is a conflict (EX_TEMPFAIL)"
expect_err "changed since version 2 (now version 3): title changed by" \
	"the conflict lists what changed"
run show customer "$ZW" --format json
expect_out '"name": "张伟"' "the conflicting write changed nothing"
run set customer "$ZW" phones+=021-55556666
run find 02155556666 --format tsv
expect_out "^customer	$ZW	" "phones+= adds a phone to the list"
run find 13800138000 --format tsv
expect_out "^customer	$ZW	" "and keeps the others"
run set customer "$ZW" --if-version 99 name=x
expect_rc 75 "a version from the future is a conflict too"
expect_err "has no version 99 yet" "and says so"
run set customer "$ZW" phones+=+8613800138000
run show customer "$ZW" --format json
printf '%s\n' "$OUT" | grep -q '+8613800138000'
[ $? -ne 0 ]
ok $? "phones+= with a number already there keeps it once"
run set customer "$ZW" --if-version nope name=x
expect_rc 64 "a bad --if-version is a usage error"

run history customer "$ZW" --format tsv
expect_rc 0 "history of a record"
expect_out "	create	customer $ZW	1	name		张伟	" "history has the create"
expect_out "	update	customer $ZW	2	company	华为技术	华为终端	" \
	"history has old and new values"

# Delete with reference policies.
run add contact customer="$ZW" name=韩梅梅 phones=13700001234
CT=$OUT
expect_rc 0 "add a contact to the customer"
run add ticket customer="$ZW" subject=发票问题 number=T-1
TK=$OUT
run delete customer "$ZW"
expect_rc 65 "a ticket restricts deleting its customer"
expect_err "still referenced by 1 ticket" "the reason names the ticket"
run delete ticket "$TK"
expect_rc 0 "delete the ticket"
run delete customer "$ZW"
expect_rc 0 "now the customer can go"
run show contact "$CT"
expect_rc 66 "its contact went with it (cascade)"
run history customer "$ZW" --format tsv
expect_out "	delete	customer $ZW	" "the delete is audited"
expect_out "	create	customer $ZW	1	name		张伟	" \
	"a deleted record's create still shows the value it was made with"
run add customer name=最后一位
run history --limit 2 --format tsv
expect_rc 0 "the whole trail, cut to the newest two entries"
[ "$(printf '%s\n' "$OUT" | sed 1d | cut -f1-5 | uniq | wc -l)" -eq 2 ] &&
	[ "$(printf '%s\n' "$OUT" | sed 1d | cut -f3 | tail -1)" = create ]
ok $? "  oldest of the two first, the new create last"
expect_out "	create	customer [0-9]+	1	name		最后一位	" "  with its value"

# Hostile text: control characters are refused at the door, and what
# is stored (a bidi override) never reaches the terminal raw.
run add customer name="$(printf 'Evil\033[2JName')"
expect_rc 65 "a name with an escape sequence is refused"
expect_err "contains the control character U+001B" "with the reason"
printf '%s' "$ERR" | grep -q "$(printf '\033')"
[ $? -ne 0 ]
ok $? "the error message itself does not echo the escape raw"
run add customer name="$(printf 'Evil\342\200\256Name')"
EV=$OUT
run find evil
printf '%s' "$OUT" | grep -q "$(printf '\342\200\256')"
[ $? -ne 0 ]
ok $? "bidi overrides are not printed raw"

run db verify
expect_rc 0 "verify is clean"
expect_out "0 problems" "verify says so"
run db stat
expect_out "^customer	" "stat counts records"
run db checkpoint
expect_rc 0 "checkpoint"
run db backup "$TMPD/backup"
expect_rc 0 "hot backup"
mkdir -p "$TMPD/precious" && echo keep >"$TMPD/precious/notes.txt"
run db backup "$TMPD/precious"
expect_rc 73 "backup refuses a directory holding other files"
[ -f "$TMPD/precious/notes.txt" ]
ok $? "and leaves them alone"
run add customer name=备份之后
run --home "$TMPD/restored" db restore "$TMPD/backup"
expect_rc 0 "restore into a new directory"
"$TCRM" --home "$TMPD/restored" show customer "$EV" >/dev/null 2>&1
ok $? "the restored environment has the records"
"$TCRM" --home "$TMPD/restored" find 备份之后 2>&1 | grep -q 备份之后
[ $? -ne 0 ]
ok $? "and not what came after the backup"
run db restore "$TMPD/backup"
expect_rc 73 "restore over a live environment is refused"
run db reindex customer
expect_rc 0 "reindex"
run db verify
expect_rc 0 "verify after reindex"

# A new index in the YAML is built at open, with a message.
cp -r "$TCRM_FORMS" "$TMPD/forms2"
sed -i 's/^  - name: address$/  - name: address\n    index: prefix/' \
	"$TMPD/forms2/customer.yaml"
run --forms "$TMPD/forms2" find evil
expect_err "building new index customer.address" "a new index is built at open"
run --forms "$TMPD/forms2" db verify
expect_rc 0 "and is consistent"

# Processes open the environment one at a time. One that has to wait
# more than a moment says on whom; at once if that one is stopped.
GATE="$HOME_DIR/__tcrm.open"
run add customer name=门卫
GID=$OUT
wait_for_line() {	# FILE PATTERN: up to 20 s
	for _ in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# The holder writes its pid once it has the lock, as tcrm does.
hold_gate() {	# SECONDS
	: >"$GATE"
	flock "$GATE" sh -c 'echo $$ >"$1"; exec sleep "$2"' sh "$GATE" "$1" &
	wait_for_line "$GATE" '^[0-9]' && holder=$(cat "$GATE")
}
hold_gate 30
kill -STOP "$holder"
"$TCRM" --home "$HOME_DIR" show customer "$GID" >/dev/null 2>"$TMPD/gate.err" &
waiter=$!
wait_for_line "$TMPD/gate.err" "process $holder, another tcrm, is stopped"
ok $? "a process stopped at the gate is named, with how to resume it"
grep -q "kill -CONT $holder" "$TMPD/gate.err"
ok $? "  kill -CONT and its pid"
kill -CONT "$holder"
kill "$holder"
wait "$waiter"
ok $? "  and the waiting command goes on once it has gone"
hold_gate 30
"$TCRM" --home "$HOME_DIR" show customer "$GID" >/dev/null 2>"$TMPD/gate.err" &
waiter=$!
wait_for_line "$TMPD/gate.err" "waiting for process $holder, another tcrm"
ok $? "a command that waits for a slow opener says so after a second"
kill "$holder"
wait "$waiter"
ok $? "  and goes on once it has gone"
wait
run show customer "$GID"
[ -z "$ERR" ]
ok $? "  and says nothing when it need not wait"

done_testing
