# t_csv.sh — CSV input options (S3 InputSerialization/CSV) over the small hand-made files
# tests/e2e/data/csv_*, with exact expected outputs taken from man/pluck.1 ("CSV INPUT",
# OPTIONS) and the S3 notes §4-§5.
#
# w FORMAT [ARGS]: sets WANT to printf's output, trailing newlines included (lib.sh's `ok`
# compares stdout byte for byte, final newline too).
w() { WANT=$(printf "$@"; printf _); WANT=${WANT%_}; }
C="$EDATA"
SEL='SELECT * FROM S3Object'

# ---- CRLF files with the default record delimiter: the CR before LF is dropped ---------------
w 'apple,3\n"pear, green",10\nplum,\n'
ok "crlf: -H projection, no CR in the last field" 0 "$WANT" "$PLUCK" -H 'SELECT s.name, s.qty FROM S3Object s' "$C/csv_crlf.csv"
w 'id,name,qty\n1,apple,3\n2,"pear, green",10\n3,plum,\n'
ok "crlf: SELECT * re-serialised with LF" 0 "$WANT" "$PLUCK" "$SEL" "$C/csv_crlf.csv"
w '{"qty":"10"}\n'
ok "crlf: last field reads as a number" 0 "$WANT" "$PLUCK" -H --json 'SELECT s.qty FROM S3Object s WHERE s.qty > 5' "$C/csv_crlf.csv"
w '3\n'
ok "crlf: empty last field is ''" 0 "$WANT" "$PLUCK" -H "SELECT s.id FROM S3Object s WHERE s.qty = ''" "$C/csv_crlf.csv"

# ---- --record-delimiter ------------------------------------------------------------------------
w 'b,a\nd,c\ng,e;f\n"i,j",h\n'
ok "record-delimiter ';' with quoted ';' allowed" 0 "$WANT" \
    "$PLUCK" --record-delimiter ';' --allow-quoted-record-delimiter TRUE 'SELECT _2, _1 FROM S3Object' "$C/csv_semicolon.txt"
w 'b,a\nd,c\n'
ok "record-delimiter ';': records before a quoted ';' are written, then exit 1" 1 "$WANT" \
    "$PLUCK" --record-delimiter ';' 'SELECT _2, _1 FROM S3Object' "$C/csv_semicolon.txt"
err "record-delimiter ';': quoted delimiter is CSVEscapingRecordDelimiter" 1 CSVEscapingRecordDelimiter \
    "$PLUCK" --record-delimiter ';' 'SELECT _2, _1 FROM S3Object' "$C/csv_semicolon.txt"
w '"x\ny",a\nz,b\nw,"c\r\nd"\n'
ok "record-delimiter '\\r\\n': a bare LF is data" 0 "$WANT" \
    "$PLUCK" --record-delimiter '\r\n' --allow-quoted-record-delimiter true 'SELECT _2, _1 FROM S3Object' "$C/csv_crlf_records.txt"
w '"x\ny",a\nz,b\n'
ok "record-delimiter '\\r\\n': quoted CRLF without the option stops with exit 1" 1 "$WANT" \
    "$PLUCK" --record-delimiter '\r\n' 'SELECT _2, _1 FROM S3Object' "$C/csv_crlf_records.txt"
w 'a,b\nc,d\ne|f,g\nh||i,j\n'
ok "record-delimiter '||': a single '|' is data" 0 "$WANT" \
    "$PLUCK" --record-delimiter '||' --allow-quoted-record-delimiter TRUE 'SELECT _1, _2 FROM S3Object' "$C/csv_bars.txt"
w 'a,b||c,d||"e|f",g||"h||i",j||'
ok "output-record-delimiter '||': fields holding '|' are quoted" 0 "$WANT" \
    "$PLUCK" --record-delimiter '||' --output-record-delimiter '||' --allow-quoted-record-delimiter TRUE "$SEL" "$C/csv_bars.txt"
w '4\n'
ok "record-delimiter '||': COUNT" 0 "$WANT" \
    "$PLUCK" --record-delimiter '||' --allow-quoted-record-delimiter TRUE 'SELECT COUNT(*) FROM S3Object' "$C/csv_bars.txt"

# ---- --field-delimiter / -d ---------------------------------------------------------------------
w 'a,"b,c",d\nx\ty,z,\n'
ok "-d '\\t': tab-separated input" 0 "$WANT" "$PLUCK" -d '\t' "$SEL" "$C/csv_tabs.tsv"
w 'a\tb,c\td\n"x\ty"\tz\t\n'
ok "-d '\\t' with tab output: the file round-trips" 0 "$WANT" \
    "$PLUCK" -d '\t' --output-field-delimiter '\t' "$SEL" "$C/csv_tabs.tsv"
w '{"_3":"d"}\n{"_3":""}\n'
ok "--field-delimiter '\\t' JSON" 0 "$WANT" "$PLUCK" --field-delimiter '\t' --json 'SELECT _3 FROM S3Object' "$C/csv_tabs.tsv"
w 'a,"b,c",d\nx|y,z,\n'
ok "--field-delimiter '|'" 0 "$WANT" "$PLUCK" --field-delimiter '|' 'SELECT _1, _2, _3 FROM S3Object' "$C/csv_pipes.txt"
w 'a|b,c|d\n"x|y"|z|\n'
ok "-d '|' with '|' output: the file round-trips" 0 "$WANT" \
    "$PLUCK" -d '|' --output-field-delimiter '|' "$SEL" "$C/csv_pipes.txt"

# ---- quoting ------------------------------------------------------------------------------------
w '{"_1":"he said \\"hi\\"","_2":"x"}\n{"_1":"","_2":"y"}\n{"_1":"a,b","_2":"z"}\n{"_1":"ab\\"c","_2":"d"}\n{"_1":"q\\"","_2":"e"}\n{"_1":"","_2":""}\n'
ok "quotes: doubled quotes, quoted empty, quote mid-field is data" 0 "$WANT" "$PLUCK" --json "$SEL" "$C/csv_quotes.csv"
w '"he said ""hi""",x\n,y\n"a,b",z\n"ab""c",d\n"q""",e\n,\n'
ok "quotes: re-serialised ASNEEDED" 0 "$WANT" "$PLUCK" "$SEL" "$C/csv_quotes.csv"
w '2\n'
ok "quotes: a quoted empty field equals ''" 0 "$WANT" "$PLUCK" "SELECT COUNT(*) FROM S3Object WHERE _1 = ''" "$C/csv_quotes.csv"
w '{"_1":"a\\"b"}\n{"_1":"a\\\\b"}\n{"_1":"axb"}\n{"_1":"x,\\"y\\""}\n'
ok "quote-escape-character '\\\\': \\ escapes whatever follows (\\\", \\\\, \\x)" 0 "$WANT" \
    "$PLUCK" --quote-escape-character '\\' --json 'SELECT _1 FROM S3Object' "$C/csv_backslash.csv"
w '"a""b"\na\\b\naxb\n"x,""y"""\n'
ok "quote-escape-character '\\\\': re-serialised with doubling" 0 "$WANT" \
    "$PLUCK" --quote-escape-character '\\' 'SELECT _1 FROM S3Object' "$C/csv_backslash.csv"
w '"a\\"b",c\n"a\\\\b",c\naxb,c\n"x,\\"y\\"",z\n'
ok "output-quote-escape-character '\\\\': escape char doubled, such fields quoted" 0 "$WANT" \
    "$PLUCK" --quote-escape-character '\\' --output-quote-escape-character '\\' "$SEL" "$C/csv_backslash.csv"
w '{"_1":"\\"he said \\"\\"hi\\"\\"\\"","_2":"x"}\n{"_1":"\\"\\"","_2":"y"}\n{"_1":"\\"a","_2":"b\\"","_3":"z"}\n{"_1":"ab\\"c","_2":"d"}\n{"_1":"\\"q\\"\\"\\"","_2":"e"}\n{"_1":"\\"\\"","_2":"\\"\\""}\n'
ok "quote-character '': quotes are data" 0 "$WANT" "$PLUCK" --quote-character '' --json "$SEL" "$C/csv_quotes.csv"
w '5\n'
ok "quote-character '': a newline after a quote ends the record" 0 "$WANT" \
    "$PLUCK" --quote-character '' 'SELECT COUNT(*) FROM S3Object' "$C/csv_multiline.csv"
# the escape character defaults to the quote character, whichever it is
w '{"_1":"it'\''s","_2":"b"}\n{"_1":"x,y","_2":"z"}\n{"_1":"\\"q\\"","_2":"r"}\n'
ok "quote-character \"'\": doubled '' is a quote (escape defaults to the quote char)" 0 "$WANT" \
    "$PLUCK" --quote-character "'" --json "$SEL" "$C/csv_single_quote.csv"
w '{"_1":"ctl\\u0001x","_2":"tab\\there","_3":"back\\\\slash","_4":"q\\"d","_5":"é€😀"}\n'
ok "JSON escapes control characters, quotes, backslashes; UTF-8 verbatim" 0 "$WANT" \
    "$PLUCK" --json "$SEL" "$C/csv_json_escapes.csv"
w 'ctl\001x,tab\there,back\\slash,"q""d",é€😀\n'
ok "CSV output of control characters and UTF-8" 0 "$WANT" "$PLUCK" "$SEL" "$C/csv_json_escapes.csv"
w '3,3,3\n'
ok "CHAR_LENGTH counts code points" 0 "$WANT" \
    "$PLUCK" "SELECT CHAR_LENGTH(_5), CHAR_LENGTH(SUBSTRING(_5, 1)), CHAR_LENGTH(_4) FROM S3Object" "$C/csv_json_escapes.csv"

# UPPER/LOWER map Latin, Greek and Cyrillic letters (man: "other scripts unchanged"); expected
# values are Unicode's simple case mappings: ß has no one-letter capital, İ lowers to i, ſ
# uppers to S, accented Greek and Cyrillic beyond U+045F (Ukrainian Ґ) map like the others.
w 'STRAßE,straße,ÑANDÚ Ÿ,ñandú ÿ\nΑΘΉΝΑ,αθήνα,ΑΘΉΝΑ,αθήνα\nКИЇВ,київ,ҐАНОК,ґанок\nİSTANBUL,istanbul,S,ſ\n'
ok "UPPER/LOWER of Latin, Greek and Cyrillic fields" 0 "$WANT" \
    "$PLUCK" 'SELECT UPPER(_1), LOWER(_1), UPPER(_2), LOWER(_2) FROM S3Object' "$C/csv_case.csv"

# ---- comments -------------------------------------------------------------------------------------
w 'a,b\nc,d\n;e,f\n # g,h\n'
ok "comments: '#' lines dropped by default (only at the first byte)" 0 "$WANT" "$PLUCK" "$SEL" "$C/csv_comments.csv"
w '#c1\na,b\n#c2,x\nc,d\n;e,f\n # g,h\n'
ok "comments '': every line kept" 0 "$WANT" "$PLUCK" --comments '' "$SEL" "$C/csv_comments.csv"
w '#c1\na,b\n#c2,x\nc,d\n # g,h\n'
ok "comments ';': ';' lines dropped, '#' kept" 0 "$WANT" "$PLUCK" --comments ';' "$SEL" "$C/csv_comments.csv"
w '4\n'
ok "comments: COUNT skips comment lines" 0 "$WANT" "$PLUCK" 'SELECT COUNT(*) FROM S3Object' "$C/csv_comments.csv"
w 'x,1\nz,3\n'
ok "comments: a comment before the header row" 0 "$WANT" \
    "$PLUCK" -H 'SELECT s.name, s.qty FROM S3Object s' "$C/csv_comment_header.csv"
err "comments '': the comment line becomes the header" 3 MissingHeaders \
    "$PLUCK" --comments '' -H 'SELECT s.name FROM S3Object s' "$C/csv_comment_header.csv"

# ---- --allow-quoted-record-delimiter ----------------------------------------------------------
w '1,"line one\nline two",x\n2,plain,y\n3,"a\r\nb",z\n'
ok "allow-quoted-record-delimiter TRUE: multi-line fields" 0 "$WANT" \
    "$PLUCK" --allow-quoted-record-delimiter TRUE 'SELECT _1, _2, _3 FROM S3Object' "$C/csv_multiline.csv"
w '{"_1":"1","_2":"line one\\nline two","_3":"x"}\n{"_1":"2","_2":"plain","_3":"y"}\n{"_1":"3","_2":"a\\r\\nb","_3":"z"}\n'
ok "allow-quoted-record-delimiter True: JSON keeps the CRLF inside quotes" 0 "$WANT" \
    "$PLUCK" --allow-quoted-record-delimiter True --json "$SEL" "$C/csv_multiline.csv"
w '3\n'
ok "allow-quoted-record-delimiter TRUE: COUNT" 0 "$WANT" \
    "$PLUCK" --allow-quoted-record-delimiter TRUE 'SELECT COUNT(*) FROM S3Object' "$C/csv_multiline.csv"
err "allow-quoted-record-delimiter FALSE: SELECT * fails" 1 CSVEscapingRecordDelimiter \
    "$PLUCK" --allow-quoted-record-delimiter FALSE "$SEL" "$C/csv_multiline.csv"
err "default FALSE: the error names record 1" 1 "record 1" "$PLUCK" "$SEL" "$C/csv_multiline.csv"
# the check must not depend on which columns the query reads
ok "default FALSE: SELECT _1 fails too (no output)" 1 "" "$PLUCK" 'SELECT _1 FROM S3Object' "$C/csv_multiline.csv"
ok "default FALSE: COUNT(*) fails too (no output)" 1 "" "$PLUCK" 'SELECT COUNT(*) FROM S3Object' "$C/csv_multiline.csv"
w '1,ok\n'
ok "unterminated quote (FALSE): earlier records written, exit 1" 1 "$WANT" "$PLUCK" -H "$SEL" "$C/csv_unterminated.csv"
err "unterminated quote (FALSE): CSVEscapingRecordDelimiter" 1 CSVEscapingRecordDelimiter "$PLUCK" -H "$SEL" "$C/csv_unterminated.csv"
ok "unterminated quote (TRUE): earlier records written, exit 1" 1 "$WANT" \
    "$PLUCK" -H --allow-quoted-record-delimiter TRUE "$SEL" "$C/csv_unterminated.csv"
err "unterminated quote (TRUE): open at end of input is CSVParsingError" 1 CSVParsingError \
    "$PLUCK" -H --allow-quoted-record-delimiter TRUE "$SEL" "$C/csv_unterminated.csv"
err "unescaped quote after a closing quote: CSVUnescapedQuote" 1 CSVUnescapedQuote \
    "$PLUCK" -H "$SEL" "$C/csv_unescaped_quote.csv"
ok "unescaped quote: detected when only an earlier column is read" 1 "" \
    "$PLUCK" -H 'SELECT s.id FROM S3Object s' "$C/csv_unescaped_quote.csv"

# ---- BOM, empty lines, missing final newline, empty files --------------------------------------
w 'x,1\n'
ok "BOM: skipped before the header" 0 "$WANT" "$PLUCK" -H 'SELECT s.name, s.qty FROM S3Object s' "$C/csv_bom.csv"
w '{"_1":"name","_2":"qty"}\n{"_1":"x","_2":"1"}\n'
ok "BOM: not part of the first field" 0 "$WANT" "$PLUCK" --json "$SEL" "$C/csv_bom.csv"
w '{"name":"x","qty":"1"}\n'
ok "BOM: skipped after decompression (gzip pipe)" 0 "$WANT" \
    sh -c 'gzip -c "$0" | "$@"' "$C/csv_bom.csv" "$PLUCK" -H --json "$SEL"
w 'a,b\nc,d\n'
ok "empty lines skipped" 0 "$WANT" "$PLUCK" "$SEL" "$C/csv_empty_lines.csv"
w '2\n'
ok "empty lines not counted" 0 "$WANT" "$PLUCK" 'SELECT COUNT(*) FROM S3Object' "$C/csv_empty_lines.csv"
w 'b\nd\n'
ok "empty CRLF lines skipped" 0 "$WANT" "$PLUCK" 'SELECT _2 FROM S3Object' "$C/csv_empty_lines_crlf.csv"
w 'b\nd\n'
ok "no final newline: last record read" 0 "$WANT" "$PLUCK" 'SELECT _2 FROM S3Object' "$C/csv_no_newline.csv"
w '{"_1":"a","_2":"b"}\n{"_1":"c","_2":"d"}\n'
ok "no final newline: JSON" 0 "$WANT" "$PLUCK" --json "$SEL" "$C/csv_no_newline.csv"
ok "empty file: no output" 0 "" "$PLUCK" "$SEL" "$C/csv_empty.csv"
w '0,\n'
ok "empty file: COUNT 0, SUM NULL" 0 "$WANT" "$PLUCK" 'SELECT COUNT(*), SUM(_1) FROM S3Object' "$C/csv_empty.csv"
w '{"n":0}\n'
ok "empty file with -H: JSON COUNT" 0 "$WANT" "$PLUCK" -H --json 'SELECT COUNT(*) AS n FROM S3Object' "$C/csv_empty.csv"
ok "header-only file: no rows" 0 "" "$PLUCK" -H 'SELECT s.name FROM S3Object s' "$C/csv_header_only.csv"
w '0,\n'
ok "header-only file: COUNT 0, MAX NULL" 0 "$WANT" "$PLUCK" -H 'SELECT COUNT(*), MAX(s.qty) FROM S3Object s' "$C/csv_header_only.csv"
w '1\n'
ok "header-only file without -H: one data record" 0 "$WANT" "$PLUCK" 'SELECT COUNT(*) FROM S3Object' "$C/csv_header_only.csv"
err "header-only file: unknown name is MissingHeaders" 3 MissingHeaders \
    "$PLUCK" -H 'SELECT s.zzz FROM S3Object s' "$C/csv_header_only.csv"

# ---- ragged records ------------------------------------------------------------------------------
w '1,2,3\n4,5\n6\n7,8,9,10\n,\n'
ok "ragged: SELECT * writes each record's own fields" 0 "$WANT" "$PLUCK" -H "$SEL" "$C/csv_ragged.csv"
w '1,2,3,\n4,5,,\n6,,,\n7,8,9,10\n,,,\n'
ok "ragged: missing columns print empty" 0 "$WANT" "$PLUCK" -H 'SELECT s.a, s.b, s.c, s._4 FROM S3Object s' "$C/csv_ragged.csv"
w '{"a":"1","b":"2","c":"3"}\n{"a":"4","b":"5"}\n{"a":"6"}\n{"a":"7","b":"8","c":"9","_4":"10"}\n{"a":"","b":""}\n'
ok "ragged: JSON leaves MISSING members out" 0 "$WANT" "$PLUCK" -H --json 'SELECT s.a, s.b, s.c, s._4 FROM S3Object s' "$C/csv_ragged.csv"
ok "ragged: JSON SELECT * names extra fields _N" 0 "$WANT" "$PLUCK" -H --json "$SEL" "$C/csv_ragged.csv"
w '4\n6\n\n'
ok "ragged: IS MISSING" 0 "$WANT" "$PLUCK" -H 'SELECT s.a FROM S3Object s WHERE s.c IS MISSING' "$C/csv_ragged.csv"
w '\n'
ok "ragged: '' is not MISSING (= '' only where the field exists)" 0 "$WANT" \
    "$PLUCK" -H "SELECT s.a FROM S3Object s WHERE s.b = ''" "$C/csv_ragged.csv"
w '5,2,1\n'
ok "ragged: COUNT skips MISSING" 0 "$WANT" "$PLUCK" -H 'SELECT COUNT(*), COUNT(s.c), COUNT(s._4) FROM S3Object s' "$C/csv_ragged.csv"
w '3\n\n\n9\n\n'
ok "ragged: IGNORE header, positional" 0 "$WANT" "$PLUCK" --file-header-info IGNORE 'SELECT _3 FROM S3Object' "$C/csv_ragged.csv"

# ---- header names ----------------------------------------------------------------------------------
H="$C/csv_headers.csv"
w 'Ada,Ada,Ada,London,Paris,Ada L,1,s\n'
ok "headers: quoted exact, unquoted case-insensitive" 0 "$WANT" \
    "$PLUCK" -H 'SELECT s."Name", s.name, s.NAME, s."CITY", s."city", s."first name", s."a,b", s."select" FROM S3Object s' "$H"
ok "headers: --file-header-info use (lower case value)" 0 "$WANT" \
    "$PLUCK" --file-header-info use 'SELECT s."Name", s.name, s.NAME, s."CITY", s."city", s."first name", s."a,b", s."select" FROM S3Object s' "$H"
err "headers: quoted name is case-sensitive (MissingHeaders)" 3 MissingHeaders "$PLUCK" -H 'SELECT s."name" FROM S3Object s' "$H"
err "headers: unquoted name matching two headers is AmbiguousFieldName" 3 AmbiguousFieldName \
    "$PLUCK" -H 'SELECT s.city FROM S3Object s' "$H"
err "headers: unknown name is MissingHeaders" 3 MissingHeaders "$PLUCK" -H 'SELECT s.nosuch FROM S3Object s' "$H"
err "headers: unknown name in WHERE is MissingHeaders" 3 MissingHeaders \
    "$PLUCK" -H "SELECT * FROM S3Object s WHERE s.nosuch = 'x'" "$H"
ok "headers: reserved word unquoted is a parse error (no output)" 3 "" "$PLUCK" -H 'SELECT s.select FROM S3Object s' "$H"
w '{"Name":"Ada","first name":"Ada L","c":"London"}\n'
ok "headers: JSON keys are the header's spelling, or the alias" 0 "$WANT" \
    "$PLUCK" -H --json 'SELECT s.name, s."first name", s."CITY" AS c FROM S3Object s' "$H"
w '{"Name":"Ada","CITY":"London","city":"Paris","first name":"Ada L","a,b":"1","select":"s"}\n'
ok "headers: JSON SELECT * keys are the header names" 0 "$WANT" "$PLUCK" -H --json "$SEL" "$H"
err "headers: name with FileHeaderInfo NONE is InvalidColumnIndex" 3 InvalidColumnIndex \
    "$PLUCK" 'SELECT s.name FROM S3Object s' "$H"
err "headers: name with FileHeaderInfo IGNORE is InvalidColumnIndex" 3 InvalidColumnIndex \
    "$PLUCK" --file-header-info IGNORE 'SELECT s.name FROM S3Object s' "$H"
w 'Ada,London,Paris,Ada L,1,s\n'
ok "headers: IGNORE skips the first record" 0 "$WANT" "$PLUCK" --file-header-info IGNORE "$SEL" "$H"

# ---- --max-record-size ------------------------------------------------------------------------------
L="$C/csv_long.csv"   # record 2 is 100 bytes
w '1\n2\n3\n'
ok "max-record-size 100: a 100-byte record fits" 0 "$WANT" "$PLUCK" --max-record-size 100 'SELECT _2 FROM S3Object' "$L"
ok "max-record-size 1K" 0 "$WANT" "$PLUCK" --max-record-size 1K 'SELECT _2 FROM S3Object' "$L"
w '1\n'
ok "max-record-size 99: records before the long one, exit 1" 1 "$WANT" "$PLUCK" --max-record-size 99 'SELECT _2 FROM S3Object' "$L"
err "max-record-size 99: OverMaxRecordSize" 1 OverMaxRecordSize "$PLUCK" --max-record-size 99 'SELECT _2 FROM S3Object' "$L"
err "max-record-size 99: also when only _1 is read" 1 OverMaxRecordSize "$PLUCK" --max-record-size 99 'SELECT _1 FROM S3Object' "$L"
# default 1 MiB: a record of exactly 1048576 bytes passes, one byte more fails
{ printf 'a,'; head -c 1048574 /dev/zero | tr '\0' y; printf '\nb,z\n'; } >"$E2E_TMP/mib.csv"
{ printf 'a,'; head -c 1048575 /dev/zero | tr '\0' y; printf '\nb,z\n'; } >"$E2E_TMP/mib1.csv"
w 'a\nb\n'
ok "default max record size: exactly 1 MiB fits" 0 "$WANT" "$PLUCK" 'SELECT _1 FROM S3Object' "$E2E_TMP/mib.csv"
err "default max record size: 1 MiB + 1 is OverMaxRecordSize" 1 OverMaxRecordSize "$PLUCK" 'SELECT _1 FROM S3Object' "$E2E_TMP/mib1.csv"
w 'b\n'
ok "max-record-size 2M lifts the limit" 0 "$WANT" "$PLUCK" --max-record-size 2M "SELECT _1 FROM S3Object WHERE _2 = 'z'" "$E2E_TMP/mib1.csv"

# ---- WHERE on a string literal: the raw bytes of a record need not contain the literal --------
# (unquoting, escapes, multi-line records, BOM and comments all sit between the bytes and the
# value; an optimisation that looks for the literal in the raw line must still find these)
w 'x\n'
ok "literal matches a value written with doubled quotes" 0 "$WANT" \
    "$PLUCK" "SELECT _2 FROM S3Object WHERE _1 = 'he said \"hi\"'" "$C/csv_quotes.csv"
w 'd\n'
ok "literal matches a value with a quote mid-field" 0 "$WANT" "$PLUCK" "SELECT _2 FROM S3Object WHERE _1 = 'ab\"c'" "$C/csv_quotes.csv"
w 'z\n'
ok "literal matches a value written with backslash escapes" 0 "$WANT" \
    "$PLUCK" --quote-escape-character '\\' "SELECT _2 FROM S3Object WHERE _1 = 'x,\"y\"'" "$C/csv_backslash.csv"
w '1\n'
ok "literal on the second line of a multi-line record" 0 "$WANT" \
    "$PLUCK" --allow-quoted-record-delimiter TRUE "SELECT _1 FROM S3Object WHERE _2 LIKE '%two'" "$C/csv_multiline.csv"
w '3\n'
ok "literal after a quoted CRLF of a multi-line record" 0 "$WANT" \
    "$PLUCK" --allow-quoted-record-delimiter TRUE "SELECT _1 FROM S3Object WHERE _3 = 'z'" "$C/csv_multiline.csv"
w 'qty\n'
ok "literal right after the BOM" 0 "$WANT" "$PLUCK" "SELECT _2 FROM S3Object WHERE _1 = 'name'" "$C/csv_bom.csv"
ok "literal on a comment line: still a comment" 0 "" "$PLUCK" "SELECT _2 FROM S3Object WHERE _1 = '#c2'" "$C/csv_comments.csv"
w 'e|f\n'
ok "literal with a custom record delimiter" 0 "$WANT" \
    "$PLUCK" --record-delimiter '||' --allow-quoted-record-delimiter TRUE "SELECT _1 FROM S3Object WHERE _2 = 'g'" "$C/csv_bars.txt"
err "a malformed record without the literal is still an error" 1 CSVUnescapedQuote \
    "$PLUCK" -H "SELECT * FROM S3Object s WHERE s.v = 'zzz'" "$C/csv_unescaped_quote.csv"
