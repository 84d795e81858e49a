# lib.sh - TAP helpers for the script tests. Each test script sources this,
# runs checks with `ok`, `run` and `expect_*`, and ends with `done_testing`.
set -u
: "${TCRM:?TCRM must name the tcrm binary (set by make check)}"
: "${TCRM_FORMS:?TCRM_FORMS must name the forms directory}"
export LC_ALL=${LC_ALL:-C.UTF-8}

t_count=0
t_failed=0
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/tcrm-sh.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT
HOME_DIR="$TMPD/home"

ok() {	# ok CONDITION-STATUS DESCRIPTION
	t_count=$((t_count + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $t_count - $2"
	else
		echo "not ok $t_count - $2"
		t_failed=$((t_failed + 1))
	fi
}

# run CMD...: run tcrm on the test home; stdout in $OUT, stderr in $ERR,
# exit status in $RC.
run() {
	"$TCRM" --home "$HOME_DIR" "$@" >"$TMPD/out" 2>"$TMPD/err"
	RC=$?
	OUT=$(cat "$TMPD/out")
	ERR=$(cat "$TMPD/err")
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# expect STATUS DESCRIPTION: the last run's exit status.
expect_rc() {
	[ "$RC" -eq "$1" ]
	local s=$?
	ok $s "$2 (exit $RC, want $1)"
	[ $s -eq 0 ] || diag "stdout: $OUT" "stderr: $ERR"
}

# expect_out PATTERN DESCRIPTION: grep -E on the last stdout.
expect_out() {
	printf '%s\n' "$OUT" | grep -Eq -- "$1"
	local s=$?
	ok $s "$2"
	[ $s -eq 0 ] || diag "stdout: $OUT" "stderr: $ERR"
}

expect_err() {
	printf '%s\n' "$ERR" | grep -Fq -- "$1"
	local s=$?
	ok $s "$2"
	[ $s -eq 0 ] || diag "stderr: $ERR"
}

done_testing() {
	echo "1..$t_count"
	[ "$t_failed" -eq 0 ]
	exit $?
}
