#!/bin/sh
# desk-conflict.sh - two sessions edit one record: changes that do not
# overlap are merged; an overlapping one shows both values to pick from.
. "${TESTS_SRCDIR:-$(dirname "$0")}/desk-lib.sh"

run add customer name=冲突测试 company=华为 title=经理 phones=13500000001
C=$OUT
[ "$RC" -eq 0 ]
ok $? "a customer to fight over ($C)"

open_edit() {	# open_edit SESSION VERSION: the edit form of $C
	desk_start "$1"
	wait_for "$1" 'Search:'
	type_text "$1" 冲突测试
	wait_for "$1" '1 found'
	keys "$1" Enter
	wait_for "$1" "Customer #$C"
	keys "$1" e
	expect_screen "$1" "Edit Customer #$C .*version $2" "$1 edits version $2"
}

# Kind, Status, Name, Gender, Company, Job title: Tab moves in layout
# order.
to_company() {
	keys "$1" Tab Tab Tab Tab
}
to_title() {
	keys "$1" Tab Tab Tab Tab Tab
}

# ---- overlapping: both change the company ---------------------------------
open_edit a 1
open_edit b 1
to_company a
keys a C-u
type_text a 腾讯
keys a F2
expect_screen a "Saved Customer #$C \(version 2\)" "a saves first"
to_company b
keys b C-u
type_text b 阿里
keys b F2
expect_screen b 'was changed by .* while you edited it' "b gets the conflict screen"
expect_in 'yours: 阿里' "  with b's value"
expect_in 'theirs \(.*\): 腾讯' "  and a's value"
keys b F2
expect_screen b 'Pick a value for Company first' "saving needs a pick for each field"
run show customer "$C" --format json
expect_out '"company": "腾讯"' "nothing was overwritten meanwhile"
keys b m
expect_screen b '\[x\] yours: 阿里' "m picks b's own value"
keys b F2
expect_screen b "Saved Customer #$C \(version 3\)" "and saves it as version 3"
run show customer "$C" --format json
expect_out '"company": "阿里"' "the picked value is stored"
keys a Escape Escape F10
keys b Escape Escape F10
pane_dead a && pane_dead b
ok $? "both sessions quit"

# ---- not overlapping: one changes the company, the other the title -------
open_edit c 3
open_edit d 3
to_company c
keys c C-u
type_text c 京东
keys c F2
expect_screen c "Saved Customer #$C \(version 4\)" "c saves the company"
to_title d
keys d C-u
type_text d 总监
keys d F2
expect_screen d "Saved Customer #$C \(version 5\), merged with the changes" \
	"d's title is merged without a question"
run show customer "$C" --format json
expect_out '"company": "京东"' "c's company stays"
expect_out '"title": "总监"' "d's title is in"
run history customer "$C" --format tsv
expect_out '	update	customer '"$C"'	5	title	经理	总监' \
	"the merged save changed only the title"
keys c Escape F10
keys d Escape F10

# ---- a conflict on a deleted record is an error, not a crash --------------
open_edit e 5
run delete customer "$C"
to_title e
type_text e X
keys e F2
expect_screen e 'no longer exists|does not exist|not found' "a record deleted meanwhile is reported"
keys e Escape
wait_for e 'Discard'
keys e y F10
pane_dead e
ok $? "and the desk carries on"

desk_done
