#!/bin/sh
# fuzz.sh - replay the CSV fuzz corpus (and the CSV test corpus) through
# the fuzz entry point; with clang's libFuzzer at hand, fuzz briefly too.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
: "${FUZZ_REPLAY:?FUZZ_REPLAY must name tests/fuzz/replay}"
SRC="${TESTS_SRCDIR:-$(dirname "$0")}"
TOP="$SRC/.."

"$FUZZ_REPLAY" "$SRC"/fuzz/corpus/* "$SRC"/data/csv/*.csv >"$TMPD/replay" 2>&1
ok $? "the corpus replays cleanly: $(tail -1 "$TMPD/replay")"

if command -v clang >/dev/null 2>&1 &&
    clang -fsanitize=fuzzer,address,undefined -g -O1 -std=c11 \
	-D_GNU_SOURCE -I"$TOP/src" -I"${BUILDDIR:-$TOP}" \
	"$SRC/fuzz/fuzz-csv.c" "$SRC/fuzz/stub.c" "$TOP/src/csv.c" \
	"$TOP/src/source.c" "$TOP/src/buf.c" "$TOP/src/xmalloc.c" \
	"$TOP/src/utf8.c" -lutf8proc -o "$TMPD/fuzz-csv" 2>"$TMPD/cc"; then
	mkdir -p "$TMPD/corpus"
	cp "$SRC"/fuzz/corpus/* "$TMPD/corpus/"
	"$TMPD/fuzz-csv" -max_total_time="${TCRM_FUZZ_SECONDS:-10}" \
		-max_len=4096 "$TMPD/corpus" >"$TMPD/fuzz.log" 2>&1
	s=$?
	ok $s "libFuzzer ran ${TCRM_FUZZ_SECONDS:-10}s without a crash"
	[ $s -eq 0 ] || diag "$(tail -30 "$TMPD/fuzz.log")"
else
	echo "ok 2 # SKIP no clang with libFuzzer here"
	t_count=$((t_count + 1))
fi
done_testing
