#!/bin/sh
# concurrency.sh - four processes increment overlapping counters for ten
# seconds: no lost update, no hang, indexes consistent afterwards.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
: "${STRESS:?STRESS must name tests/stress}"
SECS=${TCRM_STRESS_SECONDS:-10}
RECORDS=8

"$STRESS" init "$HOME_DIR" $RECORDS
ok $? "create $RECORDS records"

pids=""
for w in 1 2 3 4; do
	timeout $((SECS + 60)) "$STRESS" counter "$HOME_DIR" "$SECS" $RECORDS \
		"$TMPD/ack$w" &
	pids="$pids $!"
done
failed=0
for p in $pids; do
	wait "$p" || failed=$((failed + 1))
done
ok $failed "4 writers ran ${SECS}s and finished without error or hang"

acked=0
for w in 1 2 3 4; do
	n=$(cat "$TMPD/ack$w" 2>/dev/null || echo 0)
	acked=$((acked + n))
done
diag "acknowledged increments: $acked"
[ "$acked" -gt 100 ]
ok $? "the writers made progress ($acked increments)"
sum=$("$STRESS" sum "$HOME_DIR")
[ "$sum" = "$acked" ]
ok $? "no lost update: counters sum to $sum, writers acknowledged $acked"

run db verify
expect_rc 0 "verify is clean after the contention"
run db stat
diag "$(printf '%s\n' "$OUT" | grep -E 'deadlocks|transactions')"
done_testing
