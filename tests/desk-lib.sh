# desk-lib.sh - drive the desk through tmux, as an agent's terminal would:
# a private tmux server per script (never the user's), sessions of a fixed
# size, keys sent with send-keys, the screen read with capture-pane.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux is not installed"
	exit 0
fi

TMUX_SOCK="$TMPD/tmux.sock"
trap 'tmux -S "$TMUX_SOCK" kill-server 2>/dev/null; rm -rf "$TMPD"' EXIT
unset TMUX

tm() {
	tmux -S "$TMUX_SOCK" -f /dev/null "$@"
}

# desk_start NAME [COLS ROWS] [VAR=VALUE...] [-- ARGS]: the desk on the
# test home in a new session; the pane stays after tcrm exits so its
# status can be read.
desk_start() {
	ds_name=$1
	shift
	ds_cols=80
	ds_rows=24
	case "${1:-}" in
	[0-9]*)
		ds_cols=$1
		ds_rows=$2
		shift 2
		;;
	esac
	ds_env=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		ds_env="$ds_env '$1'"
		shift
	done
	[ "${1:-}" = "--" ] && shift
	rm -f "$TMPD/$ds_name.status"
	tm new-session -d -s "$ds_name" -x "$ds_cols" -y "$ds_rows" \
		"env $ds_env '$TCRM' --home '$HOME_DIR' $* \
		2>>'$TMPD/$ds_name.err'; echo \$? >'$TMPD/$ds_name.status'"
	tm set-option -t "$ds_name" remain-on-exit on >/dev/null
}

# keys NAME KEY...: tmux key names (Enter, F2, C-s, Escape...).
keys() {
	k_name=$1
	shift
	tm send-keys -t "$k_name" "$@"
}

# type_text NAME TEXT: text as typed, UTF-8 included.
type_text() {
	tm send-keys -t "$1" -l "$2"
}

screen() {
	tm capture-pane -p -t "$1"
}

# wait_for NAME PATTERN [TENTHS]: until the screen matches (grep -E);
# the last screen is in $SCREEN.
wait_for() {
	wf_n=${3:-100}
	while [ "$wf_n" -gt 0 ]; do
		SCREEN=$(screen "$1")
		printf '%s\n' "$SCREEN" | grep -Eq -- "$2" && return 0
		sleep 0.1
		wf_n=$((wf_n - 1))
	done
	return 1
}

# expect_screen NAME PATTERN DESCRIPTION
expect_screen() {
	wait_for "$1" "$2"
	es_rc=$?
	ok $es_rc "$3"
	if [ $es_rc -ne 0 ]; then
		diag "wanted: $2" "screen:"
		printf '%s\n' "$SCREEN" | sed 's/^/# |/'
	fi
	return $es_rc
}

# expect_gone NAME PATTERN DESCRIPTION: the pattern is not (or no longer)
# on the screen.
expect_gone() {
	eg_n=100
	while [ "$eg_n" -gt 0 ]; do
		SCREEN=$(screen "$1")
		printf '%s\n' "$SCREEN" | grep -Eq -- "$2" || break
		sleep 0.1
		eg_n=$((eg_n - 1))
	done
	printf '%s\n' "$SCREEN" | grep -Eq -- "$2"
	eg_rc=$((1 - $?))
	ok $eg_rc "$3"
	if [ $eg_rc -ne 0 ]; then
		diag "unwanted: $2" "screen:"
		printf '%s\n' "$SCREEN" | sed 's/^/# |/'
	fi
}

# settle NAME: let the desk take what was sent and draw.
settle() {
	sleep "${1:-0.3}"
}

# desk_pid NAME: the tcrm process of the session.
desk_pid() {
	pgrep -P "$(tm display-message -p -t "$1" '#{pane_pid}')" | head -1
}

# pane_dead NAME: true once tcrm has exited (waits up to 5 s); its exit
# status (128 + the signal when killed) is then pane_status.
pane_dead() {
	pd_n=50
	while [ "$pd_n" -gt 0 ]; do
		[ -s "$TMPD/$1.status" ] && return 0
		sleep 0.1
		pd_n=$((pd_n - 1))
	done
	return 1
}

pane_status() {
	cat "$TMPD/$1.status" 2>/dev/null
}

# wait_line NAME LINE PATTERN: until screen line LINE matches.
wait_line() {
	wl_n=100
	while [ "$wl_n" -gt 0 ]; do
		screen "$1" | sed -n "$2p" | grep -Eq -- "$3" && return 0
		sleep 0.1
		wl_n=$((wl_n - 1))
	done
	return 1
}

# The zh_CN catalogue as po/zh_CN.po has it now, where bindtextdomain
# looks (po/zh_CN.gmo can lag behind the sources in a working tree).
stage_catalogue() {
	mkdir -p "$TMPD/locale/zh_CN/LC_MESSAGES"
	msgfmt -c -o "$TMPD/locale/zh_CN/LC_MESSAGES/tcrm.mo" \
		"$TESTS_SRCDIR/../po/zh_CN.po" ||
		cp "$TESTS_SRCDIR/../po/zh_CN.gmo" \
		    "$TMPD/locale/zh_CN/LC_MESSAGES/tcrm.mo"
	LOCALEDIR_STAGED="$TMPD/locale"
}

# expect_in PATTERN DESCRIPTION: on the screen last read (grep -E).
expect_in() {
	printf '%s\n' "$SCREEN" | grep -Eq -- "$1"
	ei_rc=$?
	ok $ei_rc "$2"
	if [ $ei_rc -ne 0 ]; then
		diag "wanted: $1" "screen:"
		printf '%s\n' "$SCREEN" | sed 's/^/# |/'
	fi
}

# expect_not_in PATTERN DESCRIPTION
expect_not_in() {
	printf '%s\n' "$SCREEN" | grep -Eq -- "$1"
	eni_rc=$((1 - $?))
	ok $eni_rc "$2"
	if [ $eni_rc -ne 0 ]; then
		diag "unwanted: $1" "screen:"
		printf '%s\n' "$SCREEN" | sed 's/^/# |/'
	fi
}

# desk_done: no session said anything alarming on stderr (a sanitizer
# build reports there), then the TAP plan.
desk_done() {
	dd_bad=0
	for dd_err in "$TMPD"/*.err; do
		[ -f "$dd_err" ] || continue
		if grep -Eq 'Sanitizer|runtime error|Segmentation|Aborted' \
		    "$dd_err"; then
			diag "$(basename "$dd_err"):" "$(head -40 "$dd_err")"
			dd_bad=1
		fi
	done
	ok $dd_bad "no desk session reported a memory error or a crash"
	done_testing
}
