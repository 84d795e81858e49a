#!/bin/sh
# pop-ssh.sh - the screen pop through tcrmd and the real OpenSSH client:
# the phone system's `ssh host tcrm pop ...` reaches an agent's desk
# opened over ssh (in tmux), and `tcrm agi` answers over exec.
. "${TESTS_SRCDIR:-$(dirname "$0")}/server-lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux is not installed"
	exit 0
fi
TMUX_SOCK="$TMPD/tmux.sock"
unset TMUX
tm() {
	tmux -S "$TMUX_SOCK" -f /dev/null "$@"
}
wait_screen() {	# wait_screen PATTERN: the pane shows it (10 s)
	ws_n=100
	while [ "$ws_n" -gt 0 ]; do
		SCREEN=$(tm capture-pane -p -t d)
		printf '%s\n' "$SCREEN" | grep -Eq -- "$1" && return 0
		sleep 0.1
		ws_n=$((ws_n - 1))
	done
	diag "wanted: $1" "screen:" "$SCREEN"
	return 1
}

for k in adm lina pbx; do
	key "$k"
done
"$TCRMD" -h "$HOME_DIR" --init-admin "$TMPD/adm.pub" >"$TMPD/init" 2>&1
ok $? "a first admin"
run user add lina --role agent --key-file "$TMPD/lina.pub"
expect_rc 0 "an agent"
run user add pbx --role supervisor --key-file "$TMPD/pbx.pub"
expect_rc 0 "the phone system, as a supervisor"
run add customer name=张伟 company=京东 phones='+86 138-0013-8000' status=vip
ZW=$OUT

server_start
ok $? "tcrmd listens on port $PORT"

sshc pbx pbx tcrm pop --agent lina --caller 13800138000
expect_rc 69 "over exec, no desk open: status 69 reaches the client"
expect_out "caller 13800138000: 1 match" "  after the lookup"

# shellcheck disable=SC2046
tm new-session -d -s d -x 100 -y 30 "ssh $(ssh_opts) -t \
-i $TMPD/lina lina@127.0.0.1; echo \$? >$TMPD/desk.status"
wait_screen 'Search:'
ok $? "lina's desk over ssh"

sshc pbx pbx tcrm pop --agent lina --caller "'+86 138 0013 8000'" \
	--called 4008001234 --call-id 1795400000.42
expect_rc 0 "ssh host tcrm pop ... reaches the desk"
expect_out "lina: 1 of 1 desk reached" "  one desk"
expect_out "card drawn in [0-9.]+ ms" "  drawn, with the time in the session"
wait_screen "Customer #$ZW +张伟"
ok $? "the card pops up on the agent's terminal"
wait_screen "Call from \+86 138 0013 8000 to 4008001234: 1 match"
ok $? "  with the call line"

sshc lina lina tcrm pop --agent pbx --caller 13800138000
expect_rc 77 "an agent over ssh may not pop another user's desk"

printf 'agi_callerid: 13800138000\nagi_dnid: 4008001234\nagi_uniqueid: 1.2\nagi_arg_1: lina\n\n200 result=1\n200 result=1\n200 result=1\n200 result=1\n200 result=1\n' >"$TMPD/agi.in"
sshin pbx pbx "$TMPD/agi.in" tcrm agi
expect_rc 0 "tcrm agi over exec"
expect_out "^SET VARIABLE TCRM_CUSTOMER_ID \"$ZW\"$" "  sets the customer id"
expect_out '^SET VARIABLE TCRM_PRIORITY "vip"$' "  and the priority"
expect_out '^SET VARIABLE TCRM_POPPED "1"$' "  and popped the desk"

tm send-keys -t d F10
n=50
while [ ! -s "$TMPD/desk.status" ] && [ $n -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
[ "$(cat "$TMPD/desk.status" 2>/dev/null)" = 0 ]
ok $? "the desk ends"
n=50
while ls "$HOME_DIR/run" 2>/dev/null | grep -q '^desk\.lina\.' &&
    [ $n -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
[ -z "$(ls "$HOME_DIR/run" | grep '^desk\.lina\.')" ]
ok $? "  and its socket goes with it"
done_testing
