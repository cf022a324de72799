# Turn docs/dal.1.md, the one source of dal(1), into a man(7) page at
# build time:
#
#   awk -v version=0.1.0 -v date='November 30, 2026' -f md2man.awk dal.1.md
#
# It knows the Markdown that page is written in (pandoc's dialect) and no
# more: a "% NAME(SECTION) ..." title line, "# SECTION" headings, paragraphs,
# definition lists ("**term**" then ":   text", later paragraphs of the
# definition indented by four spaces), code blocks indented by four spaces
# (eight inside a definition), **bold**, *italic* and backslash escapes.
# tests/man-lint.sh checks the result with mandoc -T lint. POSIX awk only.

function roff_line(s) {
	if (s ~ /^[.']/) s = "\\&" s
	return s
}

# Inline Markdown to roff: escapes, then **bold** and *italic*.
function inline(s,    out, i, c, n, bold, ital) {
	out = ""
	n = length(s)
	bold = ital = 0
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c == "\\" && i < n) {
			c = substr(s, ++i, 1)
			out = out (c == "\\" ? "\\e" : c == "-" ? "\\-" : c)
			continue
		}
		if (c == "*" && substr(s, i + 1, 1) == "*") {
			bold = !bold
			out = out (bold ? "\\fB" : "\\fR")
			i++
			continue
		}
		if (c == "*" && (ital || substr(s, i + 1, 1) !~ /[ *]/)) {
			ital = !ital
			out = out (ital ? "\\fI" : "\\fR")
			continue
		}
		if (c == "`") {
			out = out ((code = !code) ? "\\fB" : "\\fR")
			continue
		}
		out = out c
	}
	return out
}

function flush(    i, first, second, ind) {
	if (nb == 0) return
	first = blk[1]
	if (first ~ /^# /) {
		section = substr(first, 3)
		print ".SH " section
		after_sh = 1; in_def = 0
	} else if (first ~ /^\*\*/ && nb > 1 && blk[2] ~ /^:   /) {
		# A definition list item: the term, then its first paragraph.
		print ".TP"
		print roff_line(inline(first))
		for (i = 2; i <= nb; i++) {
			ind = blk[i]
			sub(/^(:   |    )/, "", ind)
			print roff_line(inline(ind))
		}
		in_def = 1; after_sh = 0
	} else if (in_def && first ~ /^        /) {
		print ".IP"
		print ".nf"
		for (i = 1; i <= nb; i++) { ind = blk[i]; sub(/^        /, "", ind); print roff_line(esc_code(ind)) }
		print ".fi"
	} else if (in_def && first ~ /^    /) {
		print ".IP"
		for (i = 1; i <= nb; i++) { ind = blk[i]; sub(/^    /, "", ind); print roff_line(inline(ind)) }
	} else if (first ~ /^    /) {
		if (!after_sh) print ".PP"
		print ".RS 4"
		print ".nf"
		for (i = 1; i <= nb; i++) { ind = blk[i]; sub(/^    /, "", ind); print roff_line(esc_code(ind)) }
		print ".fi"
		print ".RE"
		after_sh = 0
	} else {
		if (!after_sh) print ".PP"
		for (i = 1; i <= nb; i++) {
			s = blk[i]
			# NAME: "dal - what it does" needs roff's \- there.
			if (section == "NAME") sub(/ - /, " \\- ", s)
			print roff_line(inline(s))
		}
		in_def = 0; after_sh = 0
	}
	nb = 0
}

# Code is verbatim: only backslashes need escaping.
function esc_code(s) {
	gsub(/\\/, "\\e", s)
	return s
}

NR == 1 && /^% / {
	name = $2
	sec = name
	sub(/\(.*/, "", name)
	sub(/.*\(/, "", sec)
	sub(/\).*/, "", sec)
	print ".\\\" Generated from docs/dal.1.md by docs/man/md2man.awk: edit the Markdown."
	print ".TH " toupper(name) " " sec " \"" date "\" \"libdal " version "\" \"libdal manual\""
	next
}

/^[ \t]*$/ { flush(); next }

{ blk[++nb] = $0 }

END { flush() }
