#!/bin/sh
# import-kill.sh - a 200,000-row import killed with SIGKILL at random
# moments, ten times, then run to the end, ends exactly as one clean run:
# no duplicates, no row missing, verify clean.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
ROWS=${TCRM_KILL_ROWS:-200000}
KILLS=${TCRM_IMPORT_KILLS:-10}

awk -v n="$ROWS" 'BEGIN {
	print "Name,Phone 1,Phone 2,E-mail,Company,City"
	for (i = 1; i <= n; i++)
		printf "客户%d,+86 138%08d,010-%08d,c%d@example.cn,\"Co, %d\",北京\n",
		    i, i, i, i, i % 100
}' >"$TMPD/big.csv"
ok $? "generated a $ROWS-row file"

"$TCRM" --home "$TMPD/clean" import "$TMPD/big.csv" --form customer \
	--batch 2000 >/dev/null 2>"$TMPD/clean.err"
ok $? "a clean run imports it: $(tail -1 "$TMPD/clean.err")"

random_ms() {	# random_ms MIN MAX
	r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $(($1 + r % ($2 - $1)))
}

killed=0
for i in $(seq "$KILLS"); do
	"$TCRM" --home "$HOME_DIR" import "$TMPD/big.csv" --form customer \
		--batch 2000 >/dev/null 2>>"$TMPD/runs.err" &
	pid=$!
	ms=$(random_ms 200 1500)
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	if kill -KILL "$pid" 2>/dev/null; then
		killed=$((killed + 1))
	fi
	wait "$pid" 2>/dev/null
done
diag "$killed of $KILLS runs were killed mid-import"
[ "$killed" -ge $((KILLS / 2)) ]
ok $? "most runs were killed before they finished"

"$TCRM" --home "$HOME_DIR" import "$TMPD/big.csv" --form customer \
	--batch 2000 >/dev/null 2>"$TMPD/last.err"
ok $? "the last run completes: $(tail -1 "$TMPD/last.err")"
grep -q "resuming after row" "$TMPD/runs.err" "$TMPD/last.err"
ok $? "later runs resumed where the killed ones stopped"

"$TCRM" --home "$TMPD/clean" export --form customer --format jsonl \
	>"$TMPD/clean.jsonl" 2>/dev/null
"$TCRM" --home "$HOME_DIR" export --form customer --format jsonl \
	>"$TMPD/killed.jsonl" 2>/dev/null
[ "$(wc -l <"$TMPD/killed.jsonl")" -eq "$ROWS" ]
ok $? "exactly $ROWS records: no duplicates, none missing"
cmp -s "$TMPD/clean.jsonl" "$TMPD/killed.jsonl"
ok $? "every record equals the clean run's"
run db verify
expect_rc 0 "verify is clean"
done_testing
