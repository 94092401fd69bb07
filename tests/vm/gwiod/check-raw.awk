# check-raw.awk -v topic=T -v period=NS -v max=N: raw batches of a counter
# channel on topic T (mosquitto_sub -v lines, in arrival order). The
# values must run 0, 1, 2, ... across all batches without a gap or a
# repeat, timestamps must step by the channel's period (within 2 us:
# epoch nanoseconds lose their last bits in awk's doubles), batches must
# hold 1..max samples and "ts" must be the first sample's.
# Prints "ok ..." or "bad ...".

function bad(msg) {
	if (!err)
		err = "batch " n ": " msg
}

BEGIN {
	want = 0
}

$1 == topic {
	n++
	s = $0
	if (!match(s, /"ts":[0-9]+/)) {
		bad("no ts: " substr($0, 1, 200))
		next
	}
	bts = substr(s, RSTART + 5, RLENGTH - 5) + 0
	if (!sub(/.*"samples":\[\[/, "", s) || !sub(/\]\]\}$/, "", s)) {
		bad("no samples: " substr($0, 1, 200))
		next
	}
	k = split(s, pairs, /\],\[/)
	if (k < 1 || k > max)
		bad(k " samples in a batch (max " max ")")
	for (j = 1; j <= k; j++) {
		if (split(pairs[j], tv, ",") != 2) {
			bad("bad pair '" pairs[j] "'")
			break
		}
		ts = tv[1] + 0
		v = tv[2] + 0
		if (j == 1 && ts != bts)
			bad("ts " bts " is not the first sample's " ts)
		if (want != v)
			bad("value " v ", want " want)
		if (total > 0 && (ts - pts < period - 2000 || ts - pts > period + 2000))
			bad("timestamp step " ts - pts " ns at value " v ", want " period)
		want = v + 1
		pts = ts
		total++
	}
}

END {
	if (!n && !err)
		err = "no batches on " topic
	if (err)
		print "bad " err
	else
		print "ok " n " batches, " total " samples, values 0.." want - 1
}
