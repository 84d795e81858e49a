#!/bin/sh
# server.sh - tcrmd through the real OpenSSH client on 127.0.0.1: keys and
# users, roles over exec, the desk on a PTY, the host key across restarts,
# limits, and clients that vanish mid-import.
. "${TESTS_SRCDIR:-$(dirname "$0")}/server-lib.sh"

for k in adm alice sam bob stranger root2; do
	key "$k"
done

# Users: the first admin from tcrmd, the others with tcrm user.
"$TCRMD" -h "$HOME_DIR" --init-admin "$TMPD/adm.pub" >"$TMPD/init" 2>&1
ok $? "tcrmd --init-admin makes the first admin"
run user add alice --role agent --team 一组 --name 王小丽 \
	--key-file "$TMPD/alice.pub"
expect_rc 0 "an agent with a key"
run user add sam --role supervisor --key "$(cat "$TMPD/sam.pub")"
expect_rc 0 "a supervisor"
run user add bob --role agent --key-file "$TMPD/bob.pub"
run user disable bob
expect_rc 0 "bob is disabled"
run user add eve --role agent --key-file "$TMPD/alice.pub"
expect_rc 65 "a key belongs to one user only"

server_start -o checkpoint-interval=1 -o max-sessions-per-user=100
ok $? "tcrmd listens on 127.0.0.1, port $PORT"
hk="$HOME_DIR/ssh_host_ed25519_key"
[ "$(stat -c %a "$hk")" = 600 ]
ok $? "the host key was made, mode 0600"
log_has "new host key .* SHA256:"
ok $? "and its fingerprint logged"

# Exec: commands from the table, statuses back to the client.
sshc adm admin tcrm add customer name=张伟 phones=13800138000 \
	id_number=110101199001011234
expect_rc 0 "admin adds a customer over exec"
ZW=$OUT
sshc alice alice tcrm find 13800138000 --format tsv
expect_out "^customer	$ZW	张伟	" "the agent finds it"
sshc alice alice tcrm show customer 999
expect_rc 66 "a command's exit status reaches the client"
sshc alice alice "tcrm find 'x' | head"
expect_rc 64 "shell syntax is refused, not run"
expect_err "shell syntax ('|')" "and the reason given"
sshc alice alice 'tcrm add customer "name=Li Na" company='"'"'Acme & Co'"'"
expect_rc 0 "quoted arguments arrive as one word each"
sshc alice alice tcrm find Li --format tsv
expect_out "Li Na	Acme & Co" "with their spaces and ampersands"
log_has "accepted ssh-ed25519 key SHA256:[^ ]+ for alice \(agent\)"
ok $? "the log names the user and the key's fingerprint"
log_has "alice: exec 'tcrm find 13800138000 --format tsv': exit 0"
ok $? "and each command with its exit status"

# Roles and field permissions.
sshc alice alice tcrm show customer "$ZW" --format json
printf '%s' "$OUT" | grep -q id_number
[ $? -ne 0 ]
ok $? "an agent does not see the ID number"
sshc sam sam tcrm show customer "$ZW" --format json
expect_out '"id_number": "110101199001011234"' "a supervisor does"
sshc alice alice tcrm set customer "$ZW" id_number=1
expect_rc 77 "an agent may not change it"
sshc alice alice tcrm export --form customer
expect_rc 77 "an agent's export is refused"
expect_err "no permission" "with a clear message"
sshc alice alice tcrm delete customer "$ZW"
expect_rc 77 "an agent may not delete"
sshc alice alice tcrm user list
expect_rc 77 "nor manage users"
sshc adm admin tcrm history --format tsv
expect_out "alice	refused	command 0	0	export		export --form customer" \
	"the refusal is audited"

# Import and export over exec, standard input and output wired through.
awk 'BEGIN { print "Name,Phone,Email"
	for (i = 1; i <= 3000; i++)
		printf "导入%d,139%08d,i%d@example.cn\n", i, i, i }' >"$TMPD/in.csv"
sshin adm admin "$TMPD/in.csv" tcrm import - --form customer --key email
expect_rc 0 "admin imports 3000 rows through ssh"
expect_err "3000 created" "all of them"
sshc adm admin tcrm export --form customer --format jsonl
expect_rc 0 "admin exports through ssh"
[ "$(printf '%s\n' "$OUT" | grep -c '@example.cn')" -eq 3000 ]
ok $? "the export has every imported row"
printf '%s\n' "$OUT" | grep -q 110101199001011234
ok $? "with the ID number, which an admin may read"
sshc sam sam tcrm export --form customer --format csv
expect_rc 0 "a supervisor exports too"
printf '%s\n' "$OUT" | grep -q 110101199001011234
ok $? "  and reads the ID number"

# Who may not sign in.
sshc stranger alice tcrm find x
expect_rc 255 "a stranger's key is refused"
log_has "refused ssh-ed25519 key SHA256:[^ ]+ for alice: unknown key"
ok $? "logged with its fingerprint"
sshc bob bob tcrm find x
expect_rc 255 "a disabled user is refused"
log_has "for bob: user disabled"
ok $? "logged as disabled"
sshc adm nobody tcrm find x
expect_rc 255 "an unknown user is refused"
SSH_EXTRA="-s" sshc adm admin sftp
expect_rc 255 "no SFTP subsystem"
SSH_EXTRA="-N -o ExitOnForwardFailure=yes -R 0:127.0.0.1:9" \
	sshc adm admin
expect_rc 255 "no port forwarding"

# Languages: LANG from the client, other variables ignored.
LANG=zh_CN.UTF-8 SSH_EXTRA="-o SendEnv=LANG" sshc alice alice \
	tcrm show customer "$ZW"
expect_out "姓名 +张伟" "LANG sent by the client is honoured"

# The desk on a PTY, in tmux as an agent's terminal.
if command -v tmux >/dev/null 2>&1; then
	TMUX_SOCK="$TMPD/tmux.sock"
	unset TMUX
	tm() {
		tmux -S "$TMUX_SOCK" -f /dev/null "$@"
	}
	wait_screen() {	# wait_screen PATTERN: the pane shows it (5 s)
		ws_n=50
		while [ "$ws_n" -gt 0 ]; do
			SCREEN=$(tm capture-pane -p -t d)
			printf '%s\n' "$SCREEN" | grep -Eq -- "$1" && return 0
			sleep 0.1
			ws_n=$((ws_n - 1))
		done
		diag "wanted: $1" "screen:" "$SCREEN"
		return 1
	}
	# shellcheck disable=SC2046
	tm new-session -d -s d -x 100 -y 30 "ssh $(ssh_opts) -t \
-i $TMPD/alice alice@127.0.0.1; echo \$? >$TMPD/desk.status"
	wait_screen 'Search:'
	ok $? "an agent's ssh opens the desk"
	wait_screen 'alice \(agent\)'
	ok $? "as the user, with the role"
	tm send-keys -t d -l 张伟
	wait_screen '1 found'
	ok $? "typing searches"
	tm resize-window -t d -x 120 -y 35
	n=50
	wide=1
	while [ $n -gt 0 ]; do
		l1=$(tm capture-pane -p -t d | head -1)
		if [ ${#l1} -gt 110 ]; then
			wide=0
			break
		fi
		sleep 0.1
		n=$((n - 1))
	done
	ok $wide "a window change reaches the desk (top line ${#l1} wide)"
	tm send-keys -t d F10
	n=50
	while [ ! -s "$TMPD/desk.status" ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	[ "$(cat "$TMPD/desk.status" 2>/dev/null)" = 0 ]
	ok $? "F10 ends the session with status 0"
	# shellcheck disable=SC2046
	tm new-session -d -s d -x 100 -y 30 "ssh $(ssh_opts) -t \
-i $TMPD/alice alice@127.0.0.1 tcrm show customer $ZW"
	wait_screen "Customer #$ZW +张伟"
	ok $? "ssh -t host tcrm show customer $ZW opens the desk on it"
	tm kill-server
fi

# 50 sessions at once, finds and writes, every one succeeds. Each may wait
# its turn (under the sanitizers fifty key exchanges take a while), so the
# client allows as long as the server's login grace time.
i=0
CONNECT_TIMEOUT=30
while [ $i -lt 50 ]; do
	if [ $((i % 2)) -eq 0 ]; then
		# shellcheck disable=SC2046
		ssh $(ssh_opts) -i "$TMPD/alice" alice@127.0.0.1 tcrm add \
		    customer name=并发$i phones=137$(printf %08d $i) \
		    >"$TMPD/c$i.out" 2>&1 </dev/null &
	else
		# shellcheck disable=SC2046
		ssh $(ssh_opts) -i "$TMPD/sam" sam@127.0.0.1 tcrm find 导入1 \
		    >"$TMPD/c$i.out" 2>&1 </dev/null &
	fi
	eval "cpid$i=\$!"
	i=$((i + 1))
done
failed=0
i=0
while [ $i -lt 50 ]; do
	eval "wait \$cpid$i" || failed=$((failed + 1))
	i=$((i + 1))
done
CONNECT_TIMEOUT=10
ok $failed "50 concurrent sessions all succeed ($failed failed)"
if [ $failed -ne 0 ]; then
	diag "$(cat "$TMPD"/c*.out | sort | uniq -c | sort -rn | head)"
	diag "$(grep -v -E ': (connection|exec|accepted|session)' "$SRV_LOG" |
	    tail -15)"
fi
sshc adm admin tcrm find 并发 --limit 100 --format tsv
[ "$(printf '%s\n' "$OUT" | grep -c 并发)" -eq 25 ]
ok $? "every write is there"
run db verify
expect_rc 0 "db verify is clean after them"

# A big input streams: the bridge holds no more than the SSH windows.
awk 'BEGIN { print "Name,Phone,Email,Notes"
	for (i = 1; i <= 100000; i++)
		printf "流%d,135%08d,s%d@example.cn,备注备注备注备注备注备注\n", i, i, i }' \
	>"$TMPD/stream.csv"
# shellcheck disable=SC2046
ssh $(ssh_opts) -i "$TMPD/adm" admin@127.0.0.1 tcrm import - --form \
	customer --dry-run <"$TMPD/stream.csv" >/dev/null 2>&1 &
cpid=$!
most=0
while kill -0 $cpid 2>/dev/null; do
	for p in $(session_pids); do
		grep -q admin "$HOME_DIR/sessions/$p" 2>/dev/null || continue
		for q in $(cat "/proc/$p/task/$p/children" 2>/dev/null); do
			kb=$(awk '/^Private_Dirty/ { print $2 }' \
			    "/proc/$q/smaps_rollup" 2>/dev/null)
			[ "${kb:-0}" -gt "$most" ] && most=$kb
		done
	done
	sleep 0.2
done
wait $cpid
ok $? "a $(($(wc -c <"$TMPD/stream.csv") / 1048576)) MB import streams through ssh"
if ldd "$TCRMD" 2>/dev/null | grep -q libasan; then
	# ASan's quarantine keeps freed buffers: memory says nothing here.
	ok 0 "the bridge stays small # SKIP sanitizer build ($most kB)"
else
	[ "$most" -gt 0 ] && [ "$most" -lt 6144 ]
	ok $? "while the bridge stays small ($most kB private at most)"
fi

# A client killed mid-import: no lock held, nothing half done.
awk 'BEGIN { print "Name,Phone,Email"
	for (i = 1; i <= 40000; i++)
		printf "大批%d,136%08d,b%d@example.cn\n", i, i, i }' >"$TMPD/big.csv"
# shellcheck disable=SC2046
ssh $(ssh_opts) -i "$TMPD/adm" admin@127.0.0.1 tcrm import - --form \
	customer --key email --batch 2000 <"$TMPD/big.csv" >/dev/null 2>&1 &
cpid=$!
log_has "admin: exec 'tcrm import - --form customer --key email"
sleep 0.5
kill -KILL $cpid
wait $cpid 2>/dev/null
log_has "admin: client disconnected"
ok $? "the server sees the client go"
no_sessions
ok $? "and the session ends"
run db verify
expect_rc 0 "no transaction is left half done"
sshin adm admin "$TMPD/big.csv" tcrm import - --form customer --key email \
	--batch 2000
expect_rc 0 "the re-run completes (no stale lock)"
sshc adm admin tcrm find 大批 --limit 100000 --format tsv
[ "$(printf '%s\n' "$OUT" | grep -c 大批)" -eq 40000 ]
ok $? "with every row once"

# A session killed with -9 does not wedge the others.
# shellcheck disable=SC2046
ssh $(ssh_opts) -i "$TMPD/adm" admin@127.0.0.1 tcrm import - --form \
	customer --key email <"$TMPD/big.csv" >/dev/null 2>&1 &
cpid=$!
sleep 0.6
for p in $(session_pids); do
	kill -KILL "$p" 2>/dev/null
done
wait $cpid 2>/dev/null
sshc alice alice tcrm add customer name=之后 phones=13500000000
expect_rc 0 "after a session was killed with -9, others still write"
no_sessions
ok $? "no session process is left waiting on the dead one"
run db verify
expect_rc 0 "and verify is clean"

log_has "checkpoint: "
ok $? "checkpoints run on the timer"

# Same host key after a restart: strict checking still passes.
fp1=$(ssh-keygen -lf "$hk.pub" | cut -d' ' -f2)
server_stop
# The settings from a file this time, and a first admin from it (there
# is no enabled admin any more).
cat >"$TMPD/tcrmd.conf" <<CONF
# test settings
max-sessions-per-user 2
idle-timeout 3      # seconds
login-grace-time 3
max-auth-tries 2
admin-key $TMPD/root2.pub
admin-name root2
CONF
printf 'port\nmax-sessions lots\nfrobnicate 1\n' >"$TMPD/bad.conf"
"$TCRMD" -D -h "$HOME_DIR" -f "$TMPD/bad.conf" >"$TMPD/bad.out" 2>&1
RC=$?
ERR=$(cat "$TMPD/bad.out")
expect_rc 78 "a bad configuration file stops tcrmd"
expect_err "bad.conf:1: 'port' wants a value" "every error with its line"
expect_err "bad.conf:2: max-sessions wants a number" "  a bad number"
expect_err "bad.conf:3: unknown setting 'frobnicate'" "  an unknown key"
run user disable admin
server_start -f "$TMPD/tcrmd.conf"
ok $? "tcrmd restarts"
sshc root2 root2 tcrm user list --format tsv
expect_out "^root2		admin		enabled	1$" \
	"admin-key made a first admin, as there was no other"
[ "$(ssh-keygen -lf "$hk.pub" | cut -d' ' -f2)" = "$fp1" ]
ok $? "with the same host key"
STRICT=yes sshc alice alice tcrm --version
expect_rc 0 "known_hosts still matches (strict checking)"

# Limits: authentication attempts, sessions per user, idle timeout,
# login grace time.
SSH_EXTRA="-i $TMPD/stranger -i $TMPD/sam -i $TMPD/bob" sshc adm alice \
	tcrm --version
expect_rc 255 "three wrong keys are refused"
log_has "alice: too many authentication attempts"
ok $? "the client is cut off after the second"
for h in 1 2; do
	# shellcheck disable=SC2046
	sleep 6 | ssh $(ssh_opts) -i "$TMPD/root2" root2@127.0.0.1 tcrm import \
	    - --form customer >/dev/null 2>&1 &
	eval "hold$h=\$!"
done
n=100
while [ "$(grep -c "root2: exec 'tcrm import" "$SRV_LOG")" -lt 2 ] &&
    [ $n -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
sshc root2 root2 tcrm --version
expect_rc 75 "a third session of the same user is refused"
expect_err "sessions open already" "saying why"
sshc alice alice tcrm --version
expect_rc 0 "another user is not affected"
log_has "root2: idle timeout"
ok $? "idle sessions are disconnected"
wait "$hold1" "$hold2" 2>/dev/null
if [ -n "${BASH_VERSION:-}" ]; then
	exec 6<>/dev/tcp/127.0.0.1/"$PORT"
	log_has "login grace time \(3 s\) over"
	ok $? "a connection that never signs in is dropped"
	exec 6>&- 6<&-
fi

# SIGHUP: the forms are read again for new sessions.
kill -HUP "$SRV_PID"
log_has "forms read again"
ok $? "SIGHUP reads the forms again"
sshc alice alice tcrm --version
expect_rc 0 "and the server goes on"

# SIGTERM: no new connections; sessions already running go on.
# shellcheck disable=SC2046
(sleep 1.5; printf 'Name,Phone\n晚到,13300000000\n') | ssh $(ssh_opts) \
	-i "$TMPD/root2" root2@127.0.0.1 tcrm import - --form customer \
	--batch 7 >"$TMPD/late.out" 2>&1 &
late=$!
log_has "root2: exec 'tcrm import - --form customer --batch 7'"
kill -TERM "$SRV_PID"
wait "$SRV_PID"
ok $? "SIGTERM stops the listener"
SRV_PID=""
sshc alice alice tcrm --version
expect_rc 255 "new connections are refused"
wait $late
ok $? "the running session finishes its import"
no_sessions
ok $? "and ends"
sshc_local=$("$TCRM" --home "$HOME_DIR" find 晚到 --format tsv)
printf '%s\n' "$sshc_local" | grep -q 晚到
ok $? "with its row stored"

done_testing
