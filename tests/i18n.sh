#!/bin/sh
# i18n.sh - every message the sources mark has its Chinese translation,
# and every source file that marks one is where xgettext looks.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
SRC="${TESTS_SRCDIR:-$(dirname "$0")}/.."

: >"$TMPD/unlisted"
for f in "$SRC"/src/*.c; do
	name="src/${f##*/}"
	grep -q '_("\|ngettext(' "$f" || continue
	grep -qx "$name" "$SRC/po/POTFILES.in" || echo "$name" >>"$TMPD/unlisted"
done
[ ! -s "$TMPD/unlisted" ]
ok $? "every source file with messages is in po/POTFILES.in"
[ -s "$TMPD/unlisted" ] && diag "$(cat "$TMPD/unlisted")"

(cd "$SRC" && xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 \
	--files-from=po/POTFILES.in -o "$TMPD/tcrm.pot")
ok $? "xgettext reads the sources"
msgmerge --quiet --no-fuzzy-matching -o "$TMPD/zh.po" "$SRC/po/zh_CN.po" \
	"$TMPD/tcrm.pot"
ok $? "msgmerge takes the catalogue"
STATS=$(LC_ALL=C msgfmt --statistics -o /dev/null "$TMPD/zh.po" 2>&1)
diag "$STATS"
printf '%s\n' "$STATS" | grep -q untranslated
[ $? -ne 0 ]
ok $? "every message has its Chinese translation"
msgattrib --untranslated --no-obsolete --no-location "$TMPD/zh.po" |
	grep -A1 '^msgid' | head -20 >"$TMPD/missing"
[ -s "$TMPD/missing" ] && diag "$(cat "$TMPD/missing")"
printf '%s\n' "$STATS" | grep -q fuzzy
[ $? -ne 0 ]
ok $? "  and none is a fuzzy guess"
msgfmt -c -o /dev/null "$TMPD/zh.po"
ok $? "  with the same printf conversions as the English"
done_testing
