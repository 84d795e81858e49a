#!/bin/sh
# faults.sh - a writer killed with SIGKILL at random moments, again and
# again: each time the next open recovers by itself, every acknowledged
# record is there, verify is clean and another process writes at once.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
: "${STRESS:?STRESS must name tests/stress}"
KILLS=${TCRM_FAULT_KILLS:-50}
ACK="$TMPD/ack"
: >"$ACK"

random_ms() {	# random_ms MIN MAX
	r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $(($1 + r % ($2 - $1)))
}

bad_check=0
bad_verify=0
slow=0
worst=0
for i in $(seq "$KILLS"); do
	"$STRESS" writer "$HOME_DIR" "$ACK" 2>/dev/null &
	pid=$!
	ms=$(random_ms 30 300)
	sleep "$(printf '0.%03d' "$ms")"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	# Another process must be able to write within a second.
	t=$(timeout 10 "$STRESS" touch "$HOME_DIR")
	if [ -z "$t" ] || [ "$t" -ge 1000 ]; then
		slow=$((slow + 1))
		diag "kill $i: write after the kill took ${t:-forever} ms"
	fi
	[ -n "$t" ] && [ "$t" -gt "$worst" ] && worst=$t
	if ! "$STRESS" check "$HOME_DIR" "$ACK" >"$TMPD/check" 2>&1; then
		bad_check=$((bad_check + 1))
		diag "kill $i: $(cat "$TMPD/check")"
	fi
	if ! "$TCRM" --home "$HOME_DIR" db verify >"$TMPD/verify" 2>&1; then
		bad_verify=$((bad_verify + 1))
		diag "kill $i: $(tail -5 "$TMPD/verify")"
	fi
done
acked=$(wc -l <"$ACK")
diag "$KILLS kills, $acked records acknowledged, slowest write after a kill ${worst} ms"
[ "$acked" -gt "$KILLS" ]
ok $? "the writer got work done between kills ($acked records)"
ok $bad_check "every acknowledged record survived all $KILLS kills"
ok $bad_verify "verify was clean after every kill"
ok $slow "another process could write within 1 s after every kill"
run db verify
expect_rc 0 "final verify"
done_testing
