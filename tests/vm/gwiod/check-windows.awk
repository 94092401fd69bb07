# check-windows.awk -v topic=T -v expect=N: window messages of a counter
# channel on topic T (mosquitto_sub -v lines, in arrival order).
# Every window must hold consecutive values (count = last - first + 1,
# min = first, max = last), each window must start where the previous one
# ended, the first must start at sample 0 (gwiod started acquisition), and
# every window but the first and the last (which a start or a stop cuts
# short) must hold expect +- 1 samples. Prints "ok ..." or "bad ...".
# busybox awk: numbers are doubles, exact for counters, not for epoch ns.

function num(key,   s) {
	if (!match($0, "\"" key "\":-?[0-9.eE+-]+"))
		return "none"
	s = substr($0, RSTART, RLENGTH)
	sub(/^"[a-z]+":/, "", s)
	return s + 0
}
# value of "first":[ts,v] or "last":[ts,v]
function pairval(key,   s) {
	if (!match($0, "\"" key "\":\\[[0-9]+,-?[0-9.eE+-]+\\]"))
		return "none"
	s = substr($0, RSTART, RLENGTH)
	sub(/^.*,/, "", s)
	sub(/\]$/, "", s)
	return s + 0
}
function bad(msg) {
	if (!err)
		err = "window " n ": " msg
}

$1 == topic {
	n++
	c[n] = num("count")
	fv[n] = pairval("first")
	lv[n] = pairval("last")
	if (c[n] == "none" || fv[n] == "none" || lv[n] == "none")
		bad("unparsable: " substr($0, 1, 200))
	if (c[n] != lv[n] - fv[n] + 1)
		bad("count " c[n] " for values " fv[n] ".." lv[n])
	if (num("min") != fv[n] || num("max") != lv[n])
		bad("min/max " num("min") "/" num("max") " for values " fv[n] ".." lv[n])
	d = num("mean") - (fv[n] + lv[n]) / 2
	if (d > 1e-9 * (lv[n] + 1) || -d > 1e-9 * (lv[n] + 1))
		bad("mean " num("mean") " for values " fv[n] ".." lv[n])
	if (n == 1 && fv[n] != 0)
		bad("first value " fv[n] ", want 0")
	if (n > 1 && fv[n] != lv[n - 1] + 1)
		bad("starts at " fv[n] " after " lv[n - 1])
	total += c[n]
}

END {
	if (n < 3 && !err)
		err = "only " n " windows"
	for (i = 2; i < n && !err; i++)
		if (c[i] < expect - 1 || c[i] > expect + 1)
			err = "window " i ": count " c[i] ", want " expect " +- 1"
	counts = ""
	for (i = 1; i <= n; i++)
		counts = counts (i > 1 ? "," : "") c[i]
	if (err)
		print "bad " err " (counts " counts ")"
	else
		print "ok " n " windows, " total " samples, counts " counts
}
