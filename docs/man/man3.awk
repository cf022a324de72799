# Generate the section 3 manual (mdoc) from the public headers: one page
# per DAL_API function, named after it, from the comment that documents it
# in the header (the headers are the one source of the API's documentation;
# style.md), plus libdal.3, the index of all of them.
#
#   awk -v outdir=DIR -v version=0.1.0 -v date='November 30, 2026' \
#       -v examples=docs/man/examples -f man3.awk include/dal/dal.h ...
#
# A function's description is the comment block before its declaration;
# functions declared one after another under one comment share it (and
# name each other under SEE ALSO). A comment stays attached across type
# definitions between it and the declarations. Lines of a comment indented
# by four or more spaces are code: a literal display. If examples/NAME.c
# exists (or the file examples/pages names for NAME, or the example of a
# function documented by the same comment), it is the
# page's EXAMPLES section (make check compiles every such file and runs the
# programs: tests/man-examples.sh).
#
# POSIX awk only: it runs at build time wherever libdal builds.

function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }

# Escape text for roff: backslashes, and a leading dot or quote.
function esc(s) {
	gsub(/\\/, "\\e", s)
	if (s ~ /^[.']/) s = "\\&" s
	return s
}

# The short description for NAME: the comment's first sentence.
function first_sentence(text,    s, i, c, n) {
	s = text
	gsub(/\n/, " ", s)
	s = trim(s)
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c == "." && (i == n || substr(s, i + 1, 1) == " ")) {
			# e.g. / i.e. do not end a sentence.
			if (i >= 4 && substr(s, i - 3, 4) ~ /^(e\.g\.|i\.e\.)$/)
				continue
			return substr(s, 1, i - 1)
		}
	}
	return s
}

# Split an argument list at the commas outside parentheses into args[].
function split_args(list, args,    n, depth, i, c, cur) {
	n = 0; depth = 0; cur = ""
	for (i = 1; i <= length(list); i++) {
		c = substr(list, i, 1)
		if (c == "(") depth++
		if (c == ")") depth--
		if (c == "," && depth == 0) { args[++n] = trim(cur); cur = ""; continue }
		cur = cur c
	}
	if (trim(cur) != "") args[++n] = trim(cur)
	return n
}

function flush_decl(decl,    open, cl, depth, i, c, head, name, ret, alist) {
	gsub(/[ \t\n]+/, " ", decl)
	sub(/^DAL_API /, "", decl)
	open = index(decl, "(")
	head = trim(substr(decl, 1, open - 1))
	# The parameter list ends at the matching parenthesis; attributes
	# and preprocessor lines after it are not part of the prototype.
	depth = 0
	for (i = open; i <= length(decl); i++) {
		c = substr(decl, i, 1)
		if (c == "(") depth++
		if (c == ")" && --depth == 0) { cl = i; break }
	}
	alist = substr(decl, open + 1, cl - open - 1)
	name = head
	sub(/.*[ *]/, "", name)
	ret = trim(substr(head, 1, length(head) - length(name)))
	nfn++
	fn_name[nfn] = name
	fn_ret[nfn] = ret
	fn_args[nfn] = alist
	fn_header[nfn] = header
	fn_comment[nfn] = comment
	fn_group[nfn] = group
}

FNR == 1 {
	header = FILENAME
	sub(/^(.*\/)?include\//, "", header)
	in_comment = 0; comment = ""; used = 0; in_decl = 0
}

in_decl {
	decl = decl "\n" $0
	if ($0 ~ /;[ \t]*$/) { flush_decl(decl); in_decl = 0 }
	next
}

in_comment {
	line = $0
	if (line ~ /\*\//) {
		sub(/\*\/.*/, "", line)
		in_comment = 0
	}
	sub(/^[ \t]*\* ?/, "", line)
	sub(/^[ \t]*\*$/, "", line)
	buf = buf "\n" line
	if (!in_comment)
		end_comment()
	next
}

function end_comment() {
	sub(/^\n+/, "", buf)
	sub(/\n+$/, "", buf)
	# Section rulers ("---- Logging ----") document nothing.
	if (buf ~ /^-+$/ || buf ~ /^[A-Za-z ,\/-]+$/ && buf !~ /[a-z] [a-z]/) return
	comment = buf; used = 0; group++
}

/^[ \t]*\/\*/ {
	line = $0
	sub(/^[ \t]*\/\*+ ?/, "", line)
	if (line ~ /\*\//) {
		sub(/[ \t]*\*\/.*/, "", line)
		buf = line
		end_comment()
	} else {
		buf = line
		in_comment = 1
	}
	next
}

/^DAL_API / {
	if (used == 2) { comment = ""; group++ }  # that comment was consumed
	used = 1
	decl = $0
	if ($0 ~ /;[ \t]*$/) flush_decl(decl)
	else in_decl = 1
	next
}

/^[ \t]*$/ { next }

{
	if (used == 1) used = 2  # the group that used the comment has ended
}

# Write the description: paragraphs, and indented lines as literal displays.
function write_text(out, text,    n, lines, i, l, lit) {
	n = split(text, lines, "\n")
	lit = 0
	for (i = 1; i <= n; i++) {
		l = lines[i]
		if (l ~ /^    / || (lit && l ~ /^[ \t]*$/ && i < n && lines[i + 1] ~ /^    /)) {
			if (!lit) { print ".Bd -literal -offset indent" > out; lit = 1 }
			sub(/^    /, "", l)
			print (l == "" ? "" : esc(l)) > out
			continue
		}
		if (lit) { print ".Ed" > out; lit = 0 }
		if (trim(l) == "") {
			if (i > 1 && i < n) print ".Pp" > out
			continue
		}
		print sentences(esc(trim(l))) > out
	}
	if (lit) print ".Ed" > out
}

# One sentence per line (roff spaces sentences by line ends): break after
# ". " (and ? !), also after "e.g." and "i.e.", which is harmless.
function sentences(s,    out, i, c, n) {
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		out = out c
		if ((c == "." || c == "?" || c == "!") && i < n && substr(s, i + 1, 1) == " " &&
		    i > 1 && substr(s, i - 1, 1) != ".") {
			while (i < n && substr(s, i + 1, 1) == " ") i++
			if (i < n) out = out "\n"
		}
	}
	return out
}

# The example of function k: examples/NAME.c, else the file that
# examples/pages names for it, else that of a function documented by the
# same comment; "" if none.
function example_for(k,    j, f, line) {
	f = examples "/" fn_name[k] ".c"
	if ((getline line < f) > 0) { close(f); return f }
	close(f)
	if (fn_name[k] in page_example) return examples "/" page_example[fn_name[k]]
	if (fn_comment[k] == "") return ""
	for (j = 1; j <= nfn; j++) {
		if (j == k || fn_group[j] != fn_group[k]) continue
		f = examples "/" fn_name[j] ".c"
		if ((getline line < f) > 0) { close(f); return f }
		close(f)
	}
	return ""
}

function synopsis(out, k,    n, args, i, line) {
	print ".In " fn_header[k] > out
	print ".Ft \"" fn_ret[k] "\"" > out
	n = split_args(fn_args[k], args)
	line = ".Fn " fn_name[k]
	for (i = 1; i <= n; i++) line = line " \"" args[i] "\""
	print line > out
}

END {
	f = examples "/pages"
	while ((getline line < f) > 0)
		if (line !~ /^#/ && split(line, w, " ") == 2)
			page_example[w[1]] = w[2]
	close(f)
	for (k = 1; k <= nfn; k++) {
		out = outdir "/" fn_name[k] ".3"
		upper = toupper(fn_name[k])
		print ".\\\" Generated from " fn_header[k] " by docs/man/man3.awk: edit the header." > out
		print ".Dd " date > out
		print ".Dt " upper " 3" > out
		print ".Os libdal " version > out
		print ".Sh NAME" > out
		print ".Nm " fn_name[k] > out
		desc = first_sentence(fn_comment[k])
		if (desc == "") desc = "libdal function"
		print ".Nd " esc(desc) > out
		print ".Sh LIBRARY" > out
		print "libdal" > out
		print ".Pq Fl ldal , Ql pkg-config --cflags --libs libdal" > out
		print ".Sh SYNOPSIS" > out
		synopsis(out, k)
		print ".Sh DESCRIPTION" > out
		if (fn_comment[k] == "") {
			print "See" > out
			print ".In " fn_header[k] " ." > out
		} else {
			write_text(out, fn_comment[k])
		}
		# The conventions of the header's opening comment.
		if (fn_header[k] == "dal/dal.h") {
			print ".Pp" > out
			print "The conventions of" > out
			print ".Xr libdal 3" > out
			print "apply: a failure is a negative" > out
			print ".Vt dal_code ," > out
			print "strings returned are owned by libdal, and no message contains a password." > out
		}
		ex = example_for(k)
		if (ex != "" && (getline exline < ex) > 0) {
			print ".Sh EXAMPLES" > out
			print ".Bd -literal" > out
			do { print (exline == "" ? "" : esc(exline)) > out } while ((getline exline < ex) > 0)
			print ".Ed" > out
			close(ex)
		}
		print ".Sh SEE ALSO" > out
		# The functions sharing the comment, in alphabetical order.
		ns = 0
		for (j = 1; j <= nfn; j++)
			if (j != k && fn_group[j] == fn_group[k] && fn_comment[k] != "") {
				for (m = ++ns; m > 1 && see[m - 1] > fn_name[j]; m--)
					see[m] = see[m - 1]
				see[m] = fn_name[j]
			}
		for (m = 1; m <= ns; m++)
			print ".Xr " see[m] " 3 ," > out
		print ".Xr libdal 3" > out
		close(out)
	}

	# The index: every function with its one-line description.
	out = outdir "/libdal.3"
	print ".\\\" Generated from the public headers by docs/man/man3.awk." > out
	print ".Dd " date > out
	print ".Dt LIBDAL 3" > out
	print ".Os libdal " version > out
	print ".Sh NAME" > out
	print ".Nm libdal" > out
	print ".Nd one C API over SQLite, MySQL/MariaDB and PostgreSQL" > out
	print ".Sh LIBRARY" > out
	print "libdal" > out
	print ".Pq Fl ldal , Ql pkg-config --cflags --libs libdal" > out
	print ".Sh SYNOPSIS" > out
	print ".In dal/dal.h" > out
	print ".In dal/plugin.h" > out
	print ".Sh DESCRIPTION" > out
	print "libdal gives applications one API over several databases, each reached" > out
	print "through a backend plugin that the core loads at run time." > out
	print "Applications include" > out
	print ".In dal/dal.h ;" > out
	print "backend authors" > out
	print ".In dal/plugin.h" > out
	print "and build with" > out
	print ".Ql pkg-config libdal-plugin ." > out
	print "Each header's opening comment states the thread model and the conventions" > out
	print "that every function follows: functions that can fail return" > out
	print ".Dv DAL_OK" > out
	print "or a negative" > out
	print ".Vt dal_code ;" > out
	print "the details of the last failure on a connection or statement are in" > out
	print ".Xr dal_conn_error 3" > out
	print "and" > out
	print ".Xr dal_stmt_error 3 ;" > out
	print "strings returned are owned by libdal for as long as each page says." > out
	prev = ""
	for (k = 1; k <= nfn; k++) {
		if (fn_header[k] != prev) {
			if (prev != "") print ".El" > out
			print ".Ss In dal/" substr(fn_header[k], 5) > out
			print ".Bl -tag -width Ds" > out
			prev = fn_header[k]
		}
		print ".It Xr " fn_name[k] " 3" > out
		desc = first_sentence(fn_comment[k])
		print (desc == "" ? "libdal function" : esc(desc)) > out
	}
	if (prev != "") print ".El" > out
	ex = examples "/libdal.c"
	if ((getline exline < ex) > 0) {
		print ".Sh EXAMPLES" > out
		print ".Bd -literal" > out
		do { print (exline == "" ? "" : esc(exline)) > out } while ((getline exline < ex) > 0)
		print ".Ed" > out
		close(ex)
	}
	print ".Sh SEE ALSO" > out
	print ".Xr dal 1 ," > out
	print ".Xr dal-conformance 1 ," > out
	print ".Xr dal.ini 5" > out
	close(out)
}
