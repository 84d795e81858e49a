#!/bin/sh
# desk-draft.sh - a form open when the session dies (hang-up, kill, crash)
# is kept as a draft in the store and offered back at the next start.
. "${TESTS_SRCDIR:-$(dirname "$0")}/desk-lib.sh"

run add customer name=草稿客户 company=原公司 phones=13400000001
C=$OUT

# ---- SIGHUP in the middle of a new customer ---------------------------------
desk_start a
wait_for a 'Search:'
keys a F4
expect_screen a 'New Customer' "a new customer form"
keys a Tab Tab
type_text a 挂断测试
wait_for a '挂断测试'
kill -HUP "$(desk_pid a)"
pane_dead a
ok $? "SIGHUP ends the session"
[ "$(pane_status a)" = 129 ]
ok $? "  by the signal, after closing cleanly (status $(pane_status a))"
run db verify
expect_rc 0 "the environment needs no recovery"

desk_start b
expect_screen b 'Restore unsaved new Customer 挂断测试' "the next start offers the draft"
keys b y
expect_screen b 'Name\* +挂断测试' "y brings the form back as it was"
keys b F2
expect_screen b 'Saved Customer #' "and it saves"
run find 挂断测试 --format tsv
expect_out '^customer	[0-9]+	挂断测试' "the record is in the store"
keys b Escape F10
pane_dead b

desk_start c
wait_for c 'Search:'
expect_gone c 'Restore unsaved' "a saved draft is not offered again"

# ---- SIGTERM in an edit form; the record changes before it comes back -----
type_text c 草稿客户
wait_for c '1 found'
keys c Enter
wait_for c "Customer #$C"
keys c e
wait_for c "Edit Customer #$C"
keys c Tab Tab Tab Tab Tab
type_text c 主任
wait_for c '主任'
kill -TERM "$(desk_pid c)"
pane_dead c
[ "$(pane_status c)" = 143 ]
ok $? "SIGTERM ends an editing session (status $(pane_status c))"
run set customer "$C" company=新公司
expect_rc 0 "someone else changes the record meanwhile"

desk_start d
expect_screen d "Restore unsaved Customer #$C 草稿客户" "the edit draft is offered"
keys d y
expect_screen d 'Job title +主任' "with the title typed"
expect_in 'version 1' "on the version it was opened at"
keys d F2
expect_screen d 'merged with the changes' "saving merges the change made meanwhile"
run show customer "$C" --format json
expect_out '"company": "新公司"' "their company stays"
expect_out '"title": "主任"' "the drafted title is in"
keys d Escape F10
pane_dead d

# ---- a crash (SIGKILL) after typing paused: the autosaved draft -----------
desk_start e
wait_for e 'Search:'
keys e F4
wait_for e 'New Customer'
keys e Tab Tab
type_text e 崩溃测试
sleep 2.5
kill -KILL "$(desk_pid e)"
pane_dead e
ok $? "SIGKILL (a crash) ends the session"
desk_start f
expect_screen f 'Restore unsaved new Customer 崩溃测试' "the draft written when typing paused comes back"
keys f n
expect_gone f 'Restore unsaved' "n discards it"
keys f F10
pane_dead f
desk_start g
wait_for g 'Search:'
expect_gone g 'Restore unsaved' "and it is not offered again"
keys g F10
pane_dead g
run db verify
expect_rc 0 "the environment is consistent after the crash"

desk_done
