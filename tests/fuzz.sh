#!/bin/sh
# fuzz.sh - replay the CSV fuzz corpus (and the CSV test corpus) through
# the CSV entry point and the reader corpus through every reader; with
# clang's libFuzzer at hand, fuzz both briefly too.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
: "${FUZZ_REPLAY:?FUZZ_REPLAY must name tests/fuzz/replay}"
SRC="${TESTS_SRCDIR:-$(dirname "$0")}"
TOP="$SRC/.."

"$FUZZ_REPLAY" "$SRC"/fuzz/corpus/* "$SRC"/data/csv/*.csv >"$TMPD/replay" 2>&1
ok $? "the corpus replays cleanly: $(tail -1 "$TMPD/replay")"
: "${FUZZ_REPLAY_READ:?FUZZ_REPLAY_READ must name tests/fuzz/replay-read}"
"$FUZZ_REPLAY_READ" "$SRC"/fuzz/corpus-read/* >"$TMPD/replay-read" 2>&1
ok $? "every reader replays its corpus cleanly: $(tail -1 "$TMPD/replay-read")"

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
	echo "ok $((t_count + 1)) # SKIP no clang with libFuzzer here"
	t_count=$((t_count + 1))
fi
# Every reader, the format chosen by the input's first byte.
if command -v clang >/dev/null 2>&1 &&
    clang -fsanitize=fuzzer,address,undefined -g -O1 -std=c11 \
	-D_GNU_SOURCE -I"$TOP/src" -I"${BUILDDIR:-$TOP}" \
	"$SRC/fuzz/fuzz-read.c" "$SRC/fuzz/stub.c" "$TOP/src/import-read.c" \
	"$TOP/src/csv.c" "$TOP/src/source.c" "$TOP/src/buf.c" \
	"$TOP/src/xmalloc.c" "$TOP/src/utf8.c" -ljansson -lyaml -lutf8proc \
	-o "$TMPD/fuzz-read" 2>"$TMPD/cc-read"; then
	mkdir -p "$TMPD/corpus-read"
	cp "$SRC"/fuzz/corpus-read/* "$TMPD/corpus-read/"
	"$TMPD/fuzz-read" -max_total_time="${TCRM_FUZZ_SECONDS:-10}" \
		-max_len=4096 "$TMPD/corpus-read" >"$TMPD/fuzz-read.log" 2>&1
	s=$?
	ok $s "libFuzzer ran every reader ${TCRM_FUZZ_SECONDS:-10}s without a crash"
	[ $s -eq 0 ] || diag "$(tail -30 "$TMPD/fuzz-read.log")"
else
	echo "ok $((t_count + 1)) # SKIP no clang with libFuzzer here"
	t_count=$((t_count + 1))
	[ ! -s "$TMPD/cc-read" ] || diag "$(head -5 "$TMPD/cc-read")"
fi
done_testing
