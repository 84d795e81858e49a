# server-lib.sh - run tcrmd on 127.0.0.1 and a free port for a test, and
# talk to it with the real OpenSSH client: throwaway keys, known_hosts in
# the test directory, no agent, no user configuration. Every process the
# test starts is killed at exit.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

TCRMD=${TCRMD:-$(dirname "$TCRM")/tcrmd}
for sl_prog in ssh ssh-keygen; do
	if ! command -v "$sl_prog" >/dev/null 2>&1; then
		echo "1..0 # SKIP $sl_prog is not installed"
		exit 0
	fi
done

SRV_PID=""
SRV_LOG="$TMPD/tcrmd.log"
KNOWN="$TMPD/known_hosts"

# Every process below pid, children first.
descendants() {
	for d_child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		descendants "$d_child"
		echo "$d_child"
	done
}

# The session processes left in the environment (one slot file each).
session_pids() {
	for sp_f in "$HOME_DIR"/sessions/[0-9]*; do
		[ -e "$sp_f" ] && basename "$sp_f"
	done
}

server_cleanup() {
	if [ "$t_failed" -gt 0 ] && [ -s "$SRV_LOG" ]; then
		echo "# the end of the server log:"
		tail -40 "$SRV_LOG" | sed 's/^/# /'
	fi
	sc_pids="$(session_pids)"
	if [ -n "$SRV_PID" ]; then
		sc_pids="$sc_pids $(descendants "$SRV_PID") $SRV_PID"
	fi
	for sc_p in $sc_pids; do
		kill -HUP "$sc_p" 2>/dev/null
	done
	sleep 0.3
	for sc_p in $sc_pids; do
		kill -KILL "$sc_p" 2>/dev/null
	done
	[ -n "${TMUX_SOCK:-}" ] && tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
	rm -rf "$TMPD"
}
trap server_cleanup EXIT

# key NAME: a throwaway ed25519 key pair, $TMPD/NAME and NAME.pub.
key() {
	ssh-keygen -q -t ed25519 -N '' -C "$1@test" -f "$TMPD/$1"
}

# server_start [TCRMD-OPTIONS...]: tcrmd in the foreground, its port in
# $PORT once it listens.
server_start() {
	: >"$SRV_LOG"
	"$TCRMD" -D -h "$HOME_DIR" -a 127.0.0.1 -p 0 "$@" >>"$SRV_LOG" \
		2>&1 </dev/null &
	SRV_PID=$!
	PORT=""
	ss_n=100
	while [ "$ss_n" -gt 0 ] && [ -z "$PORT" ]; do
		PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' \
		    "$SRV_LOG" | tail -1)
		kill -0 "$SRV_PID" 2>/dev/null || break
		[ -z "$PORT" ] && sleep 0.1
		ss_n=$((ss_n - 1))
	done
	[ -n "$PORT" ]
}

# server_stop: SIGTERM, and wait for the listener to go.
server_stop() {
	[ -n "$SRV_PID" ] || return 0
	kill -TERM "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=""
}

# sshc KEY USER COMMAND...: the OpenSSH client as a script uses it (more
# client options in $SSH_EXTRA). Output in $OUT and $ERR, status in $RC,
# as `run` does.
ssh_opts() {
	echo "-F /dev/null -p $PORT -o UserKnownHostsFile=$KNOWN \
-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=${STRICT:-accept-new} \
-o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
-o ConnectTimeout=${CONNECT_TIMEOUT:-10} -o HostKeyAlias=tcrmd-test -o LogLevel=ERROR \
${SSH_EXTRA:-}"
}

sshc() {
	sc_key=$1
	sc_user=$2
	shift 2
	# shellcheck disable=SC2046
	ssh $(ssh_opts) -i "$TMPD/$sc_key" "$sc_user@127.0.0.1" "$@" \
		>"$TMPD/out" 2>"$TMPD/err" </dev/null
	RC=$?
	OUT=$(cat "$TMPD/out")
	ERR=$(cat "$TMPD/err")
}

# sshin KEY USER FILE COMMAND...: the same with FILE on standard input.
sshin() {
	si_key=$1
	si_user=$2
	si_in=$3
	shift 3
	# shellcheck disable=SC2046
	ssh $(ssh_opts) -i "$TMPD/$si_key" "$si_user@127.0.0.1" "$@" \
		>"$TMPD/out" 2>"$TMPD/err" <"$si_in"
	RC=$?
	OUT=$(cat "$TMPD/out")
	ERR=$(cat "$TMPD/err")
}

# log_has PATTERN: the server log matches (grep -E), waiting up to 5 s.
log_has() {
	lh_n=50
	while [ "$lh_n" -gt 0 ]; do
		grep -Eq -- "$1" "$SRV_LOG" && return 0
		sleep 0.1
		lh_n=$((lh_n - 1))
	done
	return 1
}

# no_sessions: wait up to 10 s for every session process to end.
no_sessions() {
	ns_n=100
	while [ "$ns_n" -gt 0 ]; do
		ns_live=""
		for ns_p in $(session_pids); do
			kill -0 "$ns_p" 2>/dev/null && ns_live="$ns_live $ns_p"
		done
		[ -z "$ns_live" ] && return 0
		sleep 0.1
		ns_n=$((ns_n - 1))
	done
	return 1
}
