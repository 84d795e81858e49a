#!/bin/sh
# demo.sh TCRM DEMO_GEN HOME - make a demo environment once, then open the
# desk on it (or, until the desk exists, show what to try).
set -e
tcrm=$1
gen=$2
home=$3
if [ ! -f "$home/customer.db" ]; then
	echo "Creating a demo environment in $home ..."
	DEMO_USER=${DEMO_USER:-$(id -un)} "$gen" "$home" \
	    "${DEMO_CUSTOMERS:-3000}"
fi
if "$tcrm" help desk >/dev/null 2>&1 && [ -t 0 ] && [ -t 1 ]; then
	exec "$tcrm" --home "$home"
fi
export TCRM_HOME="$home"
cat <<EOT

The demo environment is ready: $home
This is not a terminal, so the desk did not open: run \`make demo\` in
one, or open it with
\`TCRM_HOME=$home TCRM_FORMS=$TCRM_FORMS $tcrm\`.
Meanwhile, the command line:

  export TCRM_HOME=$home TCRM_FORMS=$TCRM_FORMS
  $tcrm find 欧阳                # Chinese name prefix
  $tcrm find zhang              # Latin name prefix, any case
  $tcrm find 华为               # company prefix
  $tcrm find 138                # phone prefix, any spelling
  $tcrm show customer 1
  $tcrm history customer 1
  $tcrm db stat
  $tcrm ticket list --mine     # your tickets, by due time
  $tcrm agent list             # the board

EOT
echo "$ $tcrm find 欧阳 --limit 5"
"$tcrm" find 欧阳 --limit 5
