#!/bin/sh
# bench/run.sh BUILDDIR - run the store benchmark (tcrm against SQLite)
# in a scratch directory under BUILDDIR/bench/out, print its figures and
# remove the data again.
#
# BENCH_N sets the number of customers (default 1000000); BENCH_ARGS is
# passed on to bench/store as it is (e.g. "--batch 2000 -q 5000"),
# BENCH_POP_ARGS to bench/pop (e.g. "-s 100 -p 1000").
# BENCH_IMPORT_ROWS sets bench/import's sizes (default 100000,1000000) and
# BENCH_IMPORT_RUNS how many times each runs (default 3, then the median).
# TCRM_FORMS must name the forms directory (make bench sets it).
set -eu

if [ $# -ne 1 ]; then
	echo "usage: run.sh BUILDDIR" >&2
	exit 64
fi
builddir=$1
bin=$builddir/bench/store
if [ ! -x "$bin" ]; then
	echo "run.sh: $bin is not built (make bench/store)" >&2
	exit 1
fi
if [ -z "${TCRM_FORMS:-}" ] || [ ! -d "$TCRM_FORMS" ]; then
	echo "run.sh: TCRM_FORMS must name the forms directory" >&2
	exit 1
fi
export TCRM_FORMS

n=${BENCH_N:-1000000}
mkdir -p "$builddir/bench/out"
work=$(mktemp -d "$builddir/bench/out/store.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

echo "bench/store: $n customers in $work"
# shellcheck disable=SC2086 # BENCH_ARGS is split on purpose
"$bin" -n "$n" -d "$work" ${BENCH_ARGS:-}

# bench/import: tcrm import of a 12-column CRM export against SQLite.
imp=$builddir/bench/import
if [ -x "$imp" ]; then
	echo
	echo "bench/import: ${BENCH_IMPORT_ROWS:-100000,1000000} rows," \
		"${BENCH_IMPORT_RUNS:-3} runs each"
	"$imp" -n "${BENCH_IMPORT_ROWS:-100000,1000000}" \
		-r "${BENCH_IMPORT_RUNS:-3}" -d "$work" \
		"$builddir/tcrm"
fi

# bench/desk: CPU time and terminal bytes per search keystroke on the desk.
desk=$builddir/bench/desk
if [ -x "$desk" ]; then
	echo
	echo "bench/desk: $n customers"
	"$desk" -n "$n" -d "$work/desk" ${BENCH_DESK_ARGS:-}
fi

# bench/pop: tcrm pop into 100 open desks, end to end and in the session.
pop=$builddir/bench/pop
if [ -x "$pop" ]; then
	echo
	echo "bench/pop: $n customers"
	# shellcheck disable=SC2086 # BENCH_POP_ARGS is split on purpose
	"$pop" -n "$n" -d "$work/pop" ${BENCH_POP_ARGS:-} "$builddir/tcrm"
fi
