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

t0=$(date +%s%N)
"$TCRM" --home "$TMPD/clean" import "$TMPD/big.csv" --form customer \
	--batch 2000 >/dev/null 2>"$TMPD/clean.err"
ok $? "a clean run imports it: $(tail -1 "$TMPD/clean.err")"
clean_ms=$((($(date +%s%N) - t0) / 1000000))

random_below() {	# random_below N: 0 <= r < N
	r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	echo $((r % $1))
}

imports() {	# the imports the test home has heard of
	"$TCRM" --home "$HOME_DIR" import --list --output tsv 2>/dev/null |
	    awk 'NR > 1' | wc -l
}

resumes() {
	grep -c "resuming after row" "$TMPD/runs.err"
}

# Each run is killed a random time after its import got going: between
# 2 % and 10 % of a clean run's time, so that the ten runs leave work
# for the last one however fast this build is: skipping the rows done
# already takes each run a while too. (With kills at
# fixed times, a fast build finished the import in the killed runs, and
# a later run of the same file is a new import that finds every row
# there already.)
: >"$TMPD/runs.err"
killed=0
for i in $(seq "$KILLS"); do
	before=$(resumes)
	"$TCRM" --home "$HOME_DIR" import "$TMPD/big.csv" --form customer \
		--batch 2000 >/dev/null 2>>"$TMPD/runs.err" &
	pid=$!
	tries=0
	while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 1000 ]; do
		if [ "$i" -eq 1 ]; then
			[ -d "$HOME_DIR" ] && [ "$(imports)" -gt 0 ] && break
		else
			[ "$(resumes)" -gt "$before" ] && break
		fi
		sleep 0.01
		tries=$((tries + 1))
	done
	ms=$((clean_ms * (20 + $(random_below 80)) / 1000))
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
diag "$(grep -h "resuming" "$TMPD/last.err")"
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
