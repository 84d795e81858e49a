#!/bin/sh
# import.sh - import and export as administrators script them.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
D="${TESTS_SRCDIR:-$(dirname "$0")}/data/import"

count() {	# count ENTITY: records there are now
	"$TCRM" --home "$HOME_DIR" export --form "$1" --format jsonl \
		2>/dev/null | wc -l
}

# Mapping: aliases in both languages, case and spacing ignored.
cat >"$TMPD/a.csv" <<'CSV'
Full Name,PHONE 1,phone2,E-Mail,公司,手机
张伟,+86 138-0013-8000,010-65521234,zw@example.cn,华为,13900001111
"Zhang, Min",13900002222,,zm@example.com,"Acme, Inc.",
CSV
run import "$TMPD/a.csv" --form customer --dry-run
expect_rc 0 "a dry run of a clean file succeeds"
expect_out 'column "PHONE 1" \(2\) -> phones' "dry run prints the mapping"
expect_out 'column "公司" \(5\) -> company' "Chinese headers map by alias"
expect_err "dry run, nothing written: 2 read, 2 created" "and the outcome"
[ "$(count customer)" -eq 0 ]
ok $? "a dry run writes nothing"

# A dry run throws every batch away, yet still sees a row duplicating one
# of an earlier batch, as the import itself will.
awk 'BEGIN { print "Name,Email"
	for (i = 1; i <= 4500; i++) printf "批%d,b%d@example.cn\n", i, i
	print "又一个,B7@Example.CN"; print "再一个,b4400@example.cn" }' \
	>"$TMPD/dups.csv"
run import "$TMPD/dups.csv" --form customer --key email --dry-run
expect_err "dry run, nothing written: 4502 read, 4500 created, 2 updated" \
	"a dry run sees a duplicate of a row 4,000 rows back"
run import "$TMPD/dups.csv" --form customer --key email --on-duplicate fail \
	--dry-run
expect_err "dups.csv:4502: duplicate: email 'B7@example.cn' (an earlier row" \
	"  and names it when duplicates fail"
expect_err "dups.csv:4503: duplicate: email 'b4400@example.cn' (an earlier row" \
	"  one in the same batch too, with no id that will never be"
[ "$(count customer)" -eq 0 ]
ok $? "  writing nothing"

run import "$TMPD/a.csv" --form customer
expect_rc 0 "import a clean file"
expect_err "2 read, 2 created, 0 updated, 0 rejected" "the summary counts"
run find 13900001111 --format tsv
expect_out "^customer	1	张伟" "three phone columns became one list"
run import --list --output tsv
expect_out "^1	.*	customer	.*a.csv	done	2	2" "import --list shows it"

# Unknown columns are refused before anything is stored.
printf 'name,colour\nx,red\n' >"$TMPD/u.csv"
run import "$TMPD/u.csv" --form customer
expect_rc 64 "an unknown column is refused"
expect_err 'column "colour" matches no field of customer' "and named"
run import "$TMPD/u.csv" --form customer --ignore colour
expect_rc 0 "--ignore takes it out"
run import "$TMPD/u.csv" --form customer --keep-unknown --key name \
	--on-duplicate update
expect_rc 0 "--keep-unknown keeps it"
run show customer 3 --format json
expect_out '"colour": "red"' "as a field the form does not know"
printf 'name,colour\n色彩,"\033]0;owned\007red"\n' >"$TMPD/u-esc.csv"
run import "$TMPD/u-esc.csv" --form customer --keep-unknown
expect_rc 65 "a kept column is checked for control characters too"
expect_err 'column "colour" (2): contains the control character U+001B' \
	"  and the row names it"
printf 'Name,Name\na,b\n' >"$TMPD/dup.csv"
run import "$TMPD/dup.csv" --form customer
expect_rc 64 "two columns for one field are refused"
expect_err "join them with --map" "with the way out"

# --map, joins with and without a space.
printf 'First,Last,Tel\nWei,Wang,13600000001\n娜娜,欧阳,13600000002\n' \
	>"$TMPD/m.csv"
run import "$TMPD/m.csv" --form customer --map 'Last+First=name' \
	--map 'Tel=phones'
expect_rc 0 "--map with a join"
run find 13600000001 --format tsv
expect_out "	Wang Wei	" "Latin names join with a space"
run find 13600000002 --format tsv
expect_out "	欧阳娜娜	" "CJK names join without one"

# All or nothing by default; --partial with a reject file.
cat >"$TMPD/bad.csv" <<'CSV'
name,phones,email
好人甲,13511110001,a1@example.cn
坏人乙,call me,b@
好人丙,13511110003,c@
好人丁,13511110004,d@example.cn
CSV
run import "$TMPD/bad.csv" --form customer
expect_rc 65 "a file with bad rows is a data error"
expect_err "bad.csv:3: column \"phones\" (2): 'call me' is not a phone number" \
	"each bad row is named with line, column and rule"
expect_err "bad.csv:4: column \"email\" (3): 'c@' is not an email address" \
	"every bad row, not just the first"
expect_err "rolled back, nothing stored" "and nothing is stored"
run import --list --output tsv
printf '%s\n' "$OUT" | tail -1 | grep -q "	rolled back	4	0	0	0	0	2$"
ok $? "--list shows it rolled back, with none created"
run find 好人 --format tsv
printf '%s\n' "$OUT" | grep -q 好人
[ $? -ne 0 ]
ok $? "not even the good rows"
printf 'name,phones\n表格,1.38001E+10\n' >"$TMPD/excel.csv"
run import "$TMPD/excel.csv" --form customer
expect_err "'1.38001E+10' is not a phone number (a spreadsheet wrote it in exponent form" \
	"a number a spreadsheet cut short is named as such"
run import "$TMPD/bad.csv" --form customer --partial --reject "$TMPD/rej.csv"
expect_rc 65 "--partial still exits with a data error"
expect_err "4 read, 2 created, 0 updated, 2 rejected" "but stores the good rows"
grep -q '^坏人乙,call me,b@,' "$TMPD/rej.csv"
ok $? "the reject file has the bad row unchanged"
grep -q "(2): 'call me' is not a phone number.*; column \"\"email\"\" (3): 'b@'" \
	"$TMPD/rej.csv"
ok $? "its reason names both of the row's errors"
head -1 "$TMPD/rej.csv" | grep -q '^name,phones,email,_reject_reason$'
ok $? "with a reason column"
sed -i 's/call me/13511110002/; s/,b@,/,b@example.cn,/; s/,c@,/,c@example.cn,/' \
	"$TMPD/rej.csv"
run import "$TMPD/rej.csv" --form customer
expect_rc 0 "the fixed reject file imports"
expect_err "2 read, 2 created" "both rows"

# Duplicates by key: in the store and inside the file.
cat >"$TMPD/k.csv" <<'CSV'
name,email,company
张伟伟,ZW@example.cn,华为终端
新人,new@example.cn,
新人二,NEW@example.cn,
CSV
run import "$TMPD/k.csv" --form customer --key email
expect_rc 0 "import with --key email"
expect_err "3 read, 1 created, 2 updated" "one new, two updates (one from the file itself)"
run show customer 1 --format json
expect_out '"company": "华为终端"' "the existing record was updated"
expect_out '"phones": "\+86 138-0013-8000' "and kept what the file left empty"
run import "$TMPD/k.csv" --form customer --key email --on-duplicate skip
expect_err "3 read, 0 created, 0 updated, 3 skipped" "--on-duplicate skip"
run import "$TMPD/k.csv" --form customer --key email --on-duplicate fail
expect_rc 65 "--on-duplicate fail"
expect_err "duplicate: email 'ZW@example.cn' already belongs to customer 1" \
	"names the holder"
run import "$TMPD/k.csv" --form customer --key phone
expect_rc 65 "a key must be an indexed field of the form ..."
printf 'name,phones\n张伟伟,13800138000\n' >"$TMPD/p.csv"
run import "$TMPD/p.csv" --form customer --key phones
expect_err "1 read, 0 created, 0 updated, 1 unchanged" \
	"--key phones matches any spelling of the number"
# Updating by key needs no column for what the records have already.
printf 'email,title\nZW@example.cn,总监\nnobody@example.cn,经理\n' \
	>"$TMPD/titles.csv"
run import "$TMPD/titles.csv" --form customer --key email --partial
expect_err "titles.csv:3: name: a value is required" \
	"--key with no name column: a row that would be created still needs one"
expect_err "2 read, 0 created, 1 updated, 1 rejected" \
	"  but the row that updates a record does not"
run show customer 1 --format json
expect_out '"title": "总监"' "  and the record has its new title"
# Values for what a file leaves out, for the records it creates only.
printf 'email,phones\nZW@example.cn,\nwalkin@example.cn,13600001111\n' \
	>"$TMPD/walkin.csv"
run import "$TMPD/walkin.csv" --form customer --key email \
	--default 来源=walk_in --default name=到店客户 --dry-run
expect_out "^--default -> source = walk_in" "a dry run lists each --default"
run import "$TMPD/walkin.csv" --form customer --key email \
	--default 来源=walk_in --default name=到店客户
expect_rc 0 "--default fills a required field the file has no column for"
run export --form customer --where email=walkin@example.cn \
	--fields name,source --format tsv
expect_out "^到店客户	walk_in$" "  on the record created"
run show customer 1 --format json
printf '%s\n' "$OUT" | grep -q '"source": "walk_in"'
[ $? -ne 0 ]
ok $? "  and not on the record the key found"
run import "$TMPD/walkin.csv" --form customer --key email \
	--default source=somewhere
expect_rc 64 "a --default the field refuses is a usage error"
expect_err "--default source=somewhere: 'somewhere' is not one of" \
	"  saying why, before any row"

# Related records linked by a key column.
run import "$D/contacts.csv" --form contact \
	--link "customer.email=Customer Email" --partial
expect_rc 65 "an unresolved link is a row error"
expect_err "no customer with email 'nobody@example.cn'" "and says which"
run find 韩梅梅 --format tsv
expect_out "^contact	[0-9]+	韩梅梅	张伟伟" "the resolved row is linked to its customer"

# Other formats, on standard input too.
"$TCRM" --home "$HOME_DIR" import - --form customer --format jsonl --partial \
	<"$D/people.jsonl" >"$TMPD/out" 2>"$TMPD/err"
RC=$?; ERR=$(cat "$TMPD/err")
expect_rc 65 "JSON Lines from a pipe, with two bad rows"
expect_err "4 read, 2 created" "blank lines skipped, good rows stored"
expect_err "(stdin):4: column 17:" "a broken JSON line is named by its line"
run find 01088887777 --format tsv
expect_out "	王芳	" "a JSON array of phones becomes the list"
run import "$D/people.yaml" --form customer
expect_rc 0 "YAML"
run find 孙七 --format tsv
expect_out "13544445555" "YAML lists of phones"
run import "$D/people.vcf" --form customer
expect_rc 0 "vCard 3.0 and 4.0"
run find 02155556666 --format tsv
expect_out "	吴九	华为技术	" "vCard TEL, FN and ORG"
run find zheng --format tsv
expect_out "Zheng Shi Is A Very Long Name That Needs Folding Across Lines In A vCard File" \
	"folded vCard lines are unfolded"
# vCard 2.1 as phones export it: quoted-printable values with soft line
# breaks, CHARSET=UTF-8 or GBK, CRLF; a value that is not its charset's
# text is a row error with its line.
run import "$D/phone21.vcf" --form customer --partial
expect_rc 65 "vCard 2.1 with one undecodable card"
expect_err "phone21.vcf:15: FN: the value is not UTF-8 text" \
	"  the bad card is named by its line"
expect_err "3 read, 2 created" "  the others are stored"
run find 13911112222 --format tsv
expect_out "	李小龙	北京小龙科技有限公司	" \
	"  quoted-printable N and ORG, across a soft line break"
run find 01088887777 --format tsv
expect_out "	欧阳娜娜	" "  CHARSET=GBK converted"
run export --form customer --where phones=13911112222 --fields notes --format jsonl
expect_out '"first line\\nsecond line"' "  =0D=0A is a line break"

# Encodings.
run import "$D/gb18030.csv" --form customer --encoding GB18030
expect_rc 0 "GB18030 with --encoding"
run find 欧阳娜娜 --format tsv
expect_out "	欧阳娜娜	" "decoded right"
run import "$D/big5.csv" --form customer --encoding BIG5
expect_rc 0 "Big5"
run import "$D/utf16.csv" --form customer
expect_rc 0 "UTF-16 with a byte order mark needs no flag"
run find 欧阳修 --format tsv
expect_out "13800138000" "decoded right"
run import "$D/invalid-utf8.csv" --form customer
expect_rc 65 "invalid UTF-8 is refused"
expect_err "invalid-utf8.csv:3: byte 32: invalid UTF-8" "with its line and byte offset"
expect_err "--encoding" "and a hint"
run find ok@example --format tsv
printf '%s\n' "$OUT" | grep -q 'ok@example.cn'
[ $? -ne 0 ]
ok $? "the rows before the bad byte are not kept either"
run import "$D/gb18030.csv" --form customer --encoding KLINGON
expect_rc 64 "an unknown encoding is a usage error"
run import "$TMPD/nonexistent.csv" --form customer
expect_rc 66 "a missing file is EX_NOINPUT"
: >"$TMPD/empty.csv"
run import "$TMPD/empty.csv" --form customer
expect_rc 64 "an empty CSV file is refused"
expect_err "empty.csv: the file is empty: it has no header line" "  saying so"
run import --list --output tsv
printf '%s\n' "$OUT" | grep -q "empty.csv"
[ $? -ne 0 ]
ok $? "  and leaves no import behind"
echo "name,phones" >"$TMPD/header-only.csv"
run import "$TMPD/header-only.csv" --form customer
expect_rc 0 "a header alone is an empty export, and imports"
run import "$TMPD/a.csv"
expect_rc 64 "no --form is a usage error"

# Revert: created records go, updated ones come back, others' changes stay.
printf 'name,email,company\n回滚甲,r1@example.cn,\n回滚乙,r2@example.cn,\n张伟伟,zw@example.cn,回滚公司\n' \
	>"$TMPD/r.csv"
run import "$TMPD/r.csv" --form customer --key email
RID=$(printf '%s\n' "$ERR" | sed -n 's/^import \([0-9]*\):.*/\1/p')
expect_err "1 updated" "an import that creates and updates (import $RID)"
RB=$("$TCRM" --home "$HOME_DIR" find 回滚乙 --format tsv | sed -n 2p | cut -f2)
run history customer "$RB" --format tsv
expect_out "	create	customer $RB	1	name		回滚乙	$RID\$" \
	"a created record's history names its import (one audit record a batch)"
run set customer "$RB" company=别人改的
run history customer "$RB" --format tsv
expect_out "	update	customer $RB	2	company		别人改的	\$" \
	"  and what came after it"
run import --revert "$RID"
expect_rc 75 "revert with a record changed since is partial"
expect_err "1 changed since by someone else and kept" "and lists it"
run find 回滚甲 --format tsv
printf '%s\n' "$OUT" | grep -q 回滚甲
[ $? -ne 0 ]
ok $? "the untouched created record is gone"
run show customer 1 --format json
expect_out '"company": "华为终端"' "the updated record has its old value back"
run show customer "$RB"
expect_rc 0 "the record changed since was left alone"
run import --revert "$RID" --force
expect_rc 0 "--force reverts it too"
run show customer "$RB"
expect_rc 66 "gone"
run import --revert 999
expect_rc 66 "reverting an unknown import"

# Export: every format reads back into an empty environment identically.
"$TCRM" --home "$HOME_DIR" add customer name='=HYPERLINK("x")' \
	phones=13000000000 notes="$(printf 'two\nlines, "quoted"')" >/dev/null
run export --form customer --format csv
expect_rc 0 "export CSV"
expect_out "'=HYPERLINK" "formula cells are neutralised"
run export --form customer --format csv --raw-cells
expect_out '^[0-9]+,person,"=HYPERLINK' "unless --raw-cells"
for f in csv tsv jsonl yaml vcard; do
	for e in customer contact; do
		"$TCRM" --home "$HOME_DIR" export --form $e --format $f \
			>"$TMPD/$e.$f" 2>/dev/null
	done
	rm -rf "$TMPD/copy"
	"$TCRM" --home "$TMPD/copy" import "$TMPD/customer.$f" --form customer \
		--format $f >/dev/null 2>&1 &&
	"$TCRM" --home "$TMPD/copy" import "$TMPD/contact.$f" --form contact \
		--format $f >/dev/null 2>&1
	ok $? "$f export imports back"
	for e in customer contact; do
		"$TCRM" --home "$HOME_DIR" export --form $e --format jsonl \
			2>/dev/null >"$TMPD/a.jsonl"
		"$TCRM" --home "$TMPD/copy" export --form $e --format jsonl \
			2>/dev/null >"$TMPD/b.jsonl"
		cmp -s "$TMPD/a.jsonl" "$TMPD/b.jsonl"
		ok $? "$f round trip: every $e record identical"
	done
done
# Through a pipe, as from another host, nothing names the format: the
# first bytes tell it.
"$TCRM" --home "$HOME_DIR" export --form customer --format jsonl \
	2>/dev/null >"$TMPD/a.jsonl"
for f in csv tsv jsonl yaml vcard; do
	rm -rf "$TMPD/copy"
	"$TCRM" --home "$TMPD/copy" import - --form customer \
		<"$TMPD/customer.$f" >/dev/null 2>&1 &&
	"$TCRM" --home "$TMPD/copy" export --form customer --format jsonl \
		2>/dev/null >"$TMPD/b.jsonl" &&
	cmp -s "$TMPD/a.jsonl" "$TMPD/b.jsonl"
	ok $? "$f from standard input without --format: every record identical"
done
cp "$TMPD/customer.jsonl" "$TMPD/customers.txt"
run import "$TMPD/customers.txt" --form customer --dry-run
expect_out "^format: jsonl \(by its first bytes\)" \
	"a name that says nothing: the dry run says what the content looks like"
run export --form customer --format csv --labels zh --bom
printf '%s' "$OUT" | head -c 3 | od -An -tx1 | grep -q 'ef bb bf'
ok $? "--bom writes a byte order mark"
expect_out '姓名' "--labels zh writes Chinese headers"
printf '%s\n' "$OUT" >"$TMPD/zh.csv"
rm -rf "$TMPD/copy"
"$TCRM" --home "$TMPD/copy" import "$TMPD/zh.csv" --form customer \
	>/dev/null 2>&1
ok $? "a Chinese-headed export imports back"
run export --form customer --where email=zw@example.cn --fields id,name,email \
	--format tsv
expect_out '^id	name	email$' "--fields picks the columns"
expect_out '^1	张伟伟	ZW@example.cn$' "--where picks the records, any case"
run export --form customer --where 'phones=+86 138-0013-8000' --format tsv \
	--fields name
expect_out '^欧阳修$' "--where on a phone matches any spelling"
run export --form customer --where email=zw@example.cn \
	--where 'phones=+86 138-0013-8000' --fields name --format tsv
[ "$(printf '%s\n' "$OUT" | tail -n +2)" = "张伟伟" ]
ok $? "--where on two fields: records that match both"
run export --form customer --where email=zw@example.cn \
	--where email=zm@example.com --fields email --format tsv
[ "$(printf '%s\n' "$OUT" | grep -c '@')" -eq 2 ]
ok $? "--where twice on one field: records with either value"
run export --form customer --fields colour
expect_rc 64 "an unknown field in --fields is a usage error"

# A killed all-or-nothing import with a bad row before the kill still
# ends rolled back when run again (flags in another order, same import).
# An import, in batches of 2, of CONTENT through the FIFO NAME.csv, which
# then stays silent; returns once the first batch is committed, with
# $feeder and $importer set.
start_stalled_import() {	# NAME CONTENT-FILE OUTPUT
	rm -f "$TMPD/$1.csv"
	mkfifo "$TMPD/$1.csv"
	( cat "$2"; sleep 30 ) >"$TMPD/$1.csv" &
	feeder=$!
	"$TCRM" --home "$HOME_DIR" import "$TMPD/$1.csv" --form customer \
		--batch 2 >"$3" 2>&1 &
	importer=$!
	for _ in $(seq 100); do
		"$TCRM" --home "$HOME_DIR" import --list --output tsv 2>/dev/null |
			grep -q "$1.csv	running	2	" && break
		sleep 0.1
	done
}
kill_after_first_batch() {	# FILE-CONTENT-FIRST-PART
	start_stalled_import feed "$1" /dev/null
	kill -KILL "$importer" 2>/dev/null
	kill "$feeder" 2>/dev/null
	wait "$importer" "$feeder" 2>/dev/null
	rm -f "$TMPD/feed.csv"
}
printf 'name,phones\n甲甲,13811110001\n乙乙,bad phone\n丙丙,13811110003\n丁丁,13811110004\n' \
	>"$TMPD/full.csv"
head -4 "$TMPD/full.csv" >"$TMPD/part.csv"
kill_after_first_batch "$TMPD/part.csv"
cp "$TMPD/full.csv" "$TMPD/feed.csv"
run import --batch 2 --form customer "$TMPD/feed.csv"
expect_err "resuming after row 2" "the re-run resumes the killed import"
expect_rc 65 "the bad row from before the kill still counts"
expect_err "rolled back, nothing stored" "so all of it is rolled back"
run find 甲甲 --format tsv
printf '%s\n' "$OUT" | grep -q 甲甲
[ $? -ne 0 ]
ok $? "including the row the killed run had stored"

# expect_stored NAME COUNT DESCRIPTION: how many customers NAME finds.
expect_stored() {
	run find "$1" --format tsv
	[ "$(printf '%s\n' "$OUT" | grep -c "$1")" -eq "$2" ]
	ok $? "$3"
}

# An import of three rows (name,phones each) killed once its first
# batch of two is stored: $TMPD/full.csv holds all three, $KID its id.
kill_three() {	# ROW ROW ROW
	printf 'name,phones\n%s\n%s\n%s\n' "$@" >"$TMPD/full.csv"
	head -3 "$TMPD/full.csv" >"$TMPD/part.csv"
	kill_after_first_batch "$TMPD/part.csv"
	KID=$("$TCRM" --home "$HOME_DIR" import --list --output tsv |
		grep running | cut -f1 | tail -1)
}

# Reverting a killed import, then running it again, imports every row.
kill_three 戊戊,13811110005 己己,13811110006 庚庚,13811110007
run import --revert "$KID"
expect_rc 0 "revert the killed import"
run import --revert "$KID"
expect_err "was reverted already" "a second revert says so and does nothing"
cp "$TMPD/full.csv" "$TMPD/feed.csv"
run import "$TMPD/feed.csv" --form customer --batch 2
expect_err "3 read, 3 created" "the re-run after a revert starts afresh"
run import --revert 13x
expect_rc 64 "an import id that is not a number is refused"

# A killed import's file under another name is a new fingerprint, but
# its first rows were stored: refused, naming the file that resumes it.
kill_three 辛一,13811110008 辛二,13811110009 辛三,13811110010
cp "$TMPD/full.csv" "$TMPD/moved.csv"
run import "$TMPD/moved.csv" --form customer --batch 2 --dry-run
expect_err "but import $KID, which did not finish, stored these rows already (2 of the first 2 are the same)" \
	"a killed import's file renamed: a dry run says a real run is refused"
run import "$TMPD/moved.csv" --form customer --batch 2
expect_rc 65 "  a real run is refused"
expect_err "import $KID (started" "  naming the killed import"
expect_err "from $TMPD/feed.csv) did not finish" "  and the file it read"
cp "$TMPD/full.csv" "$TMPD/feed.csv"
run import "$TMPD/feed.csv" --form customer --batch 2
expect_err "resuming after row 2" "  which, run under its own name, goes on"
expect_stored 辛一 1 "  storing nothing twice"

# A finished import's file grown since: its first rows are those of the
# finished import, so without --key they would be stored twice.
printf 'name,phones\n辛一,13811120001\n辛二,13811120002\n' >"$TMPD/grow.csv"
run import "$TMPD/grow.csv" --form customer --batch 1
expect_rc 0 "an import runs to the end"
GID=$("$TCRM" --home "$HOME_DIR" import --list --output tsv | tail -1 |
	cut -f1)
printf '辛三,13811120003\n' >>"$TMPD/grow.csv"
N=$(count customer)
run import "$TMPD/grow.csv" --form customer --batch 1
expect_rc 65 "the same file grown since is refused without --key"
expect_err "begins with the rows of import $GID" "  naming the import"
expect_err "add --key FIELD" "  and saying what to do"
[ "$(count customer)" -eq "$N" ]
ok $? "  storing nothing"
run import "$TMPD/grow.csv" --form customer --batch 1 --key phones
expect_err "3 read, 1 created, 0 updated, 2 unchanged" \
	"  with --key only the new row is added"

# --again imports a finished import's rows once more, on purpose.
printf 'name\n壬一\n壬二\n' >"$TMPD/again.csv"
run import "$TMPD/again.csv" --form customer
expect_rc 0 "a file without unique fields is imported"
PID=$("$TCRM" --home "$HOME_DIR" import --list --output tsv | tail -1 |
	cut -f1)
run import "$TMPD/again.csv" --form customer --dry-run
expect_err "begins with the rows of import $PID, which ran to the end" \
	"a dry run of it says a real run would import nothing twice"
run import "$TMPD/again.csv" --form customer
expect_rc 0 "  run again, it ends as the first run did"
expect_err "ran to the end already" "  and imports nothing twice"
expect_stored 壬一 1 "  one 壬一 stored"
run import "$TMPD/again.csv" --form customer --again
expect_err "2 read, 2 created" "--again imports the rows once more"
AID=$("$TCRM" --home "$HOME_DIR" import --list --output tsv | tail -1 |
	cut -f1)
expect_stored 壬一 2 "  two 壬一 stored"
run import --revert "$PID"
expect_rc 0 "the first of them reverted"
run import "$TMPD/again.csv" --form customer
expect_rc 65 "  the rows the --again run stored still refuse a run without it"
expect_err "import $AID (started" "  naming that run"
run import --revert "$AID"
expect_rc 0 "  which is reverted too"
run import "$TMPD/again.csv" --form customer
expect_err "2 read, 2 created" "  then its file imports afresh, without --again"

# A new fingerprint over rows an import stored already: the first batch
# with its bad row fixed, or the same rows under another file name. A
# form without unique fields would take every row twice.
printf 'name,phones\n癸一,13011110001\n癸二,13x\n癸三,13011110003\n' \
	>"$TMPD/fix.csv"
run import "$TMPD/fix.csv" --form lead --partial --reject "$TMPD/fix.rej"
expect_err "3 read, 2 created, 0 updated, 1 rejected" \
	"a partial import stores the good rows of its first batch"
FID=$("$TCRM" --home "$HOME_DIR" import --list --output tsv | tail -1 |
	cut -f1)
sed 's/13x/13011110002/' "$TMPD/fix.csv" >"$TMPD/fixed.csv"
mv "$TMPD/fixed.csv" "$TMPD/fix.csv"
run import "$TMPD/fix.csv" --form lead --dry-run
expect_err "but import $FID ran to the end and stored these rows already (2 of the first 3 are the same)" \
	"  the file with its bad row fixed: a dry run says a real run is refused"
run import "$TMPD/fix.csv" --form lead --partial --reject "$TMPD/fix.rej"
expect_rc 65 "  a real run is refused"
expect_err "import $FID (started" "  naming the import that stored them"
expect_err "fix its reject file and import that" "  and saying what to do"
run find 癸一 --form lead --format tsv
[ "$(printf '%s\n' "$OUT" | grep -c 癸一)" -eq 1 ]
ok $? "  storing nothing twice"
cp "$TMPD/fix.csv" "$TMPD/renamed.csv"
run import "$TMPD/renamed.csv" --form lead
expect_rc 65 "  the same rows under another name are refused too"
sed 's/13x/13011110002/' "$TMPD/fix.rej" | cut -d, -f1,2 >"$TMPD/fix2.csv"
run import "$TMPD/fix2.csv" --form lead
expect_err "1 read, 1 created" "  the fixed reject file imports its one row"
run import "$TMPD/renamed.csv" --form lead --again
expect_err "3 read, 3 created" "  --again imports them all once more"
printf 'name,phones\n癸四,13011110004\n癸一,13011110001\n癸五,13011110005\n' \
	>"$TMPD/other.csv"
run import "$TMPD/other.csv" --form lead
expect_err "3 read, 3 created" "  a file sharing less than half its first rows is new"

# A file that begins with an empty line (a crash until 2026-12-07).
printf '\n\n{"name":"空一"}\n' >"$TMPD/blank.jsonl"
run import "$TMPD/blank.jsonl" --form customer
expect_err "1 read, 1 created" "JSON Lines after empty lines"
printf '\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:空二\r\nEND:VCARD\r\n' >"$TMPD/blank.vcf"
run import "$TMPD/blank.vcf" --form customer
expect_err "1 read, 1 created" "a vCard after an empty line"

# A row longer than a row may hold (1 MiB here) is read past, not kept:
# the rows around it import, and the reject file says what was left out.
big=$(head -c 2000000 /dev/zero | tr '\0' x)
printf 'name,notes,phones\n长一,短,13911110001\n长二,"%s",13911110002\n长三,短,13911110003\n' \
	"$big" >"$TMPD/long.csv"
run import "$TMPD/long.csv" --form customer --partial --reject "$TMPD/long.rej"
expect_rc 65 "a 2 MB cell rejects its row"
expect_err "long.csv:3: the row is 2000019 bytes, more than the 1048576 a row may hold: column \"notes\" (2) and those after it are left out" \
	"  saying how long it is and what was left out"
expect_err "3 read, 2 created, 0 updated, 1 rejected" "  the rows around it import"
[ "$(wc -c <"$TMPD/long.rej")" -lt 1000 ] &&
	grep -q '^长二,,,"the row is' "$TMPD/long.rej"
ok $? "  the reject file holds the row without the long cell"
printf '{"name":"长四"}\n{"name":"长五","notes":"%s"}\n{"name":"长六"}\n' \
	"$big" >"$TMPD/long.jsonl"
run import "$TMPD/long.jsonl" --form customer --partial
expect_err "long.jsonl:2: the line is 2000028 bytes, more than the 1048576 a row may hold" \
	"a 2 MB JSON line is refused the same way"
expect_err "3 read, 2 created, 0 updated, 1 rejected" "  the lines around it import"
{
	printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:长七\r\nNOTE:%s\r\nEND:VCARD\r\n' "$big"
	printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:长八\r\nEND:VCARD\r\n'
} >"$TMPD/long.vcf"
run import "$TMPD/long.vcf" --form customer --partial
expect_err "long.vcf:1: the vCard is more than the 1048576 bytes a row may hold" \
	"a 2 MB vCard too"
expect_err "2 read, 1 created, 0 updated, 1 rejected" "  the card after it imports"
{
	printf 'name,"%s"\n' "$big"
	printf '长零,x\n'
} >"$TMPD/longhead.csv"
run import "$TMPD/longhead.csv" --form customer
expect_rc 65 "a 2 MB header is refused"
expect_err "longhead.csv:1: the header is 2000005 bytes, more than the 1048576 a row may hold" \
	"  saying how long it is"
printf -- '- name: 长九\n- name: 长十\n  notes: %s%s\n' "$big" "$big" >"$TMPD/long.yaml"
run import "$TMPD/long.yaml" --form customer
expect_rc 65 "a 4 MB YAML row ends the reading"
expect_err "long.yaml:3: a row of more than the 1048576 bytes a row may hold: YAML cannot be read past it" \
	"  saying why"

# YAML with a nested value: that row is rejected, the rest read on.
cat >"$TMPD/nest.yaml" <<'YAML'
- name: 杨一
- name: 杨二
  address: {city: 北京}
- name: 杨三
YAML
run import "$TMPD/nest.yaml" --form customer --partial --reject "$TMPD/nest.rej"
expect_err "3 read, 2 created, 0 updated, 1 rejected" \
	"a nested YAML value rejects its row only"
grep -q '杨二' "$TMPD/nest.rej"
ok $? "and the reject file has that row"
printf '{"name": "JSON人", "phones": "call me"}\n' >"$TMPD/one.jsonl"
run import "$TMPD/one.jsonl" --form customer --partial --reject "$TMPD/one.rej"
grep -q '"name": *"JSON人".*_reject_reason' "$TMPD/one.rej"
ok $? "a JSON Lines reject keeps the row as it was"
cp "$TMPD/one.jsonl" "$TMPD/victim.jsonl"
run import "$TMPD/victim.jsonl" --form customer --partial \
	--reject "$TMPD/victim.jsonl"
expect_rc 64 "the reject file may not be the input"
grep -q 'JSON人' "$TMPD/victim.jsonl"
ok $? "and the input is untouched"

# Excel's empty trailing columns are ignored; a value under no header is not.
printf 'name,phones,,\n空列,13811110009,,\n' >"$TMPD/empty.csv"
run import "$TMPD/empty.csv" --form customer
expect_rc 0 "empty header cells are ignored"
printf 'name,phones,\n有值,13811110010,oops\n' >"$TMPD/empty2.csv"
run import "$TMPD/empty2.csv" --form customer
expect_rc 65 "but not a value under no header"
run export --form customer --where city= --fields name --format tsv
printf '%s\n' "$OUT" | grep -q 空列
ok $? "--where FIELD= picks records with no value there"
# Ctrl-C while the input pipe has nothing to give: the rows read so far
# in whole batches stay, the rest is left for a re-run, and it stops
# at once rather than when the pipe next speaks.
printf 'name,phones\n信号甲,13811120001\n信号乙,13811120002\n信号丙,13811120003\n' \
	>"$TMPD/sig.csv"
start_stalled_import sigfeed "$TMPD/sig.csv" "$TMPD/sig.out"
sleep 0.3
kill -INT "$importer"
gone=1
for _ in $(seq 30); do
	kill -0 "$importer" 2>/dev/null || { gone=0; break; }
	sleep 0.1
done
ok $gone "an import waiting on a pipe stops within 3 s of Ctrl-C"
wait "$importer"
[ $? -ne 0 ]
ok $? "  and exits non-zero"
grep -q "interrupted after row 2: run the same command again" "$TMPD/sig.out"
ok $? "  saying where it stopped"
kill "$feeder" 2>/dev/null
wait "$feeder" 2>/dev/null
rm -f "$TMPD/sigfeed.csv"
cp "$TMPD/sig.csv" "$TMPD/sigfeed.csv"
run import "$TMPD/sigfeed.csv" --form customer --batch 2
expect_err "resuming after row 2" "  and the re-run goes on from there"
expect_stored 信号 3 "  storing each row once"
# A dry run stopped that way has nothing to go on from, and says so much.
rm -f "$TMPD/dryfeed.csv" "$TMPD/fed"
mkfifo "$TMPD/dryfeed.csv"
( cat "$TMPD/sig.csv"; : >"$TMPD/fed"; sleep 30 ) >"$TMPD/dryfeed.csv" &
feeder=$!
"$TCRM" --home "$HOME_DIR" import "$TMPD/dryfeed.csv" --form customer \
	--dry-run >"$TMPD/dry.out" 2>&1 &
importer=$!
for _ in $(seq 100); do
	[ -e "$TMPD/fed" ] && break
	sleep 0.1
done
sleep 0.3
kill -INT "$importer"
wait "$importer"
[ $? -ne 0 ]
ok $? "a dry run stopped by Ctrl-C exits non-zero"
grep -qx "tcrm: import: interrupted" "$TMPD/dry.out"
ok $? "  saying it was interrupted"
kill "$feeder" 2>/dev/null
wait "$feeder" 2>/dev/null
# A header is shown with its control characters made visible, as cells
# are: a file must not drive the terminal of the one importing it.
printf 'na\033[2Jme,email\n' >"$TMPD/esc.csv"
run import "$TMPD/esc.csv" --form customer
expect_rc 64 "a header that matches no field is refused"
printf '%s' "$ERR" | grep -q "$(printf '\033')"
[ $? -ne 0 ]
ok $? "  and the escape in it does not reach the terminal"
expect_err "na␛[2Jme" "  but shows as a visible mark"

run db verify
expect_rc 0 "verify is clean after all of it"

# The store fails mid-import (here, the log may grow no further, as on a
# full disk): the batches committed stay, the user is told where it
# stopped, and a re-run goes on from there once the cause is gone. A
# home of its own, so that its log starts near the beginning. Every
# thousandth row is refused as it is read, and 20 more by the store (an
# email taken): the reject file holds each once however the runs split.
awk 'BEGIN { print "name,phones,email"
	for (i = 1; i <= 20000; i++)
		printf "满盘%d,+86 139%08d,%s\n", i, i, i % 1000 == 0 ? \
		    "bad" i "@" : i % 1000 == 500 ? "full1@example.cn" : \
		    "full" i "@example.cn"
}' >"$TMPD/full.csv"
full() {
	"$TCRM" --home "$TMPD/full" "$@" >"$TMPD/out" 2>"$TMPD/err"
	RC=$?
	OUT=$(cat "$TMPD/out")
	ERR=$(cat "$TMPD/err")
}
full import --list
(
	trap '' XFSZ
	ulimit -f 16000		# 8 MB in dash's blocks, 16 MB in bash's
	full import "$TMPD/full.csv" --form customer --batch 500 --partial \
	    --reject "$TMPD/full-rej.csv"
	exit $RC
)
RC=$?
ERR=$(cat "$TMPD/err")
expect_rc 74 "an import the store fails under stops with an I/O error"
expect_err "File too large" "  naming the cause"
printf '%s\n' "$ERR" |
    grep -q "import 1 stopped after row [1-9][0-9]*: [1-9][0-9]* created"
ok $? "  and how far it got"
expect_err "run the same command again to go on after row" \
	"  and what to do"
full import "$TMPD/full.csv" --form customer --batch 500 --partial \
    --reject "$TMPD/full-rej.csv"
expect_rc 65 "the re-run completes, with the refused rows"
expect_err "20000 read, 19960 created, 0 updated, 40 rejected" "  counted once"
printf '%s\n' "$ERR" | grep -q "resuming after row [1-9]"
ok $? "  going on after the committed batches"
full export --form customer --fields email --format tsv
[ "$(printf '%s\n' "$OUT" | grep -c '^full[0-9]*@')" -eq 19960 ]
ok $? "  with every good row stored once"
[ "$(grep -c '^满盘' "$TMPD/full-rej.csv")" -eq 40 ] &&
    [ "$(grep '^满盘' "$TMPD/full-rej.csv" | cut -d, -f1 | sort -u | wc -l)" \
    -eq 40 ] && [ "$(grep -c '^name,' "$TMPD/full-rej.csv")" -eq 1 ]
ok $? "  and every refused row in the reject file once, under one header"
grep -q '^满盘1500,.*already belongs to customer 1' "$TMPD/full-rej.csv"
ok $? "  those the store refused too, with the reason"
full db verify
expect_rc 0 "  and verify is clean"

# Once an import ran to the end, the same command again imports nothing
# twice: it ends as the first run did.
cp "$TMPD/full-rej.csv" "$TMPD/full-rej.before"
full import "$TMPD/full.csv" --form customer --batch 500 --partial \
    --reject "$TMPD/full-rej.csv"
expect_rc 65 "a second run of a finished import ends as the first did"
expect_err "import 1 ran to the end already" "  and says so"
expect_err "20000 read, 19960 created, 0 updated, 40 rejected" \
	"  with its counts"
expect_err "add --again" "  and how to import the rows once more"
cmp -s "$TMPD/full-rej.csv" "$TMPD/full-rej.before"
ok $? "  leaving the reject file as it was"
full export --form customer --fields email --format tsv
[ "$(printf '%s\n' "$OUT" | grep -c '^full[0-9]*@')" -eq 19960 ]
ok $? "  and the store"
printf '%s\n' "$ERR" | grep -q "rows/s"
[ $? -ne 0 ]
ok $? "no progress line when stderr is not a terminal"

# On a terminal a progress line on stderr, redrawn in place with the
# rate and the time left, and left whole at the end.
if command -v tmux >/dev/null 2>&1; then
	# Wide enough rows that the import takes seconds (the line is
	# drawn every half second): 60,000 narrow ones took 0.49 s here.
	awk 'BEGIN { print "Name,Email,Phone,Company"
		for (i = 1; i <= 200000; i++)
			printf "进度%d,p%d@example.cn,+86 139%08d,\"进度%d 科技, " \
			    "有限公司\"\n", i, i, i, i % 97 }' >"$TMPD/prog.csv"
	tmx() { tmux -S "$TMPD/tmux.sock" -f /dev/null "$@"; }
	tmx new-session -d -x 100 -y 10 "sleep 1; '$TCRM' --home \
'$TMPD/prog-home' import '$TMPD/prog.csv' --form customer; echo EXIT=\$?; \
sleep 600"
	tmx pipe-pane -o "cat >'$TMPD/prog.tty'"
	for i in $(seq 600); do
		tmx capture-pane -p | grep -q "EXIT=" && break
		sleep 0.2
	done
	pane=$(tmx capture-pane -p)
	tmx kill-server
	printf '%s\n' "$pane" | grep -q "EXIT=0"
	ok $? "an import on a terminal"
	grep -qE "[0-9]+ rows, [0-9]+ rows/s, [0-9]+%, about [0-9]+ s left" \
		"$TMPD/prog.tty"
	ok $? "  shows rows, rate, how far and the time left as it goes"
	printf '%s\n' "$pane" | grep -qE "^200000 rows, [0-9]+ rows/s$"
	ok $? "  and ends on the rows and rate, nothing of a longer line left"
	printf '%s\n' "$pane" | grep -q "200000 read, 200000 created"
	ok $? "  then the summary"
else
	ok 0 "# SKIP tmux is not installed"
fi
done_testing
