#!/bin/sh
# bench/ssh.sh BUILDDIR - tcrmd on 127.0.0.1 and a free port, with a
# scratch environment of BENCH_SSH_CUSTOMERS customers (default 20000),
# measured by bench/ssh: connect -> first screen, keystroke echo with many
# sessions open, private memory per session. Everything started here is
# stopped again.
#
# BENCH_SSH_ARGS goes to bench/ssh as it is (default: -n 50 -c 200 -t 10).
set -eu

if [ $# -ne 1 ]; then
	echo "usage: ssh.sh BUILDDIR" >&2
	exit 64
fi
builddir=$1
for prog in tcrm tcrmd bench/ssh; do
	if [ ! -x "$builddir/$prog" ]; then
		echo "ssh.sh: $builddir/$prog is not built" >&2
		exit 1
	fi
done
mkdir -p "$builddir/bench/out"
work=$(mktemp -d "$builddir/bench/out/ssh.XXXXXX")
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	for slot in "$work"/home/sessions/[0-9]*; do
		[ -e "$slot" ] && kill -HUP "$(basename "$slot")" 2>/dev/null
	done
	sleep 0.5
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

home=$work/home
ssh-keygen -q -t ed25519 -N '' -f "$work/key"
"$builddir/tcrmd" -h "$home" --init-admin "$work/key.pub" >/dev/null
n=${BENCH_SSH_CUSTOMERS:-20000}
awk -v n="$n" 'BEGIN { print "Name,Phone,Email,Company"
	for (i = 1; i <= n; i++)
		printf "客户%d,+86 138%08d,c%d@example.cn,公司%d\n", i, i, i, i % 500
}' | "$builddir/tcrm" --home "$home" import - --form customer >/dev/null 2>&1

"$builddir/tcrmd" -D -h "$home" -a 127.0.0.1 -p 0 \
	-o max-sessions-per-user=1000 -o max-sessions=1000 2>"$work/log" &
pid=$!
port=""
while [ -z "$port" ]; do
	sleep 0.1
	port=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$work/log")
	kill -0 "$pid"
done
echo "bench/ssh: tcrmd on port $port, $n customers, $(nproc) cores"
# shellcheck disable=SC2086 # BENCH_SSH_ARGS is split on purpose
"$builddir/bench/ssh" -p "$port" -i "$work/key" -u admin -H "$home" \
	${BENCH_SSH_ARGS:--n 50 -c 200 -t 10} -- ssh -tt -F /dev/null \
	-p "$port" -i "$work/key" -o UserKnownHostsFile="$work/known_hosts" \
	-o StrictHostKeyChecking=accept-new -o IdentitiesOnly=yes \
	-o IdentityAgent=none -o BatchMode=yes -o LogLevel=ERROR admin@127.0.0.1
