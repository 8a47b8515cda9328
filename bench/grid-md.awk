# bench/grid-md.awk - bench/results/grid.csv as Markdown for RESULTS.md
# (bench/grid.sh writes results/grid.md with it and bench/run.sh puts that
# into RESULTS.md): first one row per cell and scanner - runs, median wall
# time and median wall / ideal, wrong answers of the worst run and how many
# runs were exact - then one row per run.  CSV fields are those of
# grid.sh's header line; quoted fields (the command) are not used here.
BEGIN {
	FS = ","
}

# The median of the n space-separated numbers in list ("-" if none).
function median(list,    v, n, i, j, t) {
	n = split(list, v, " ")
	if (n == 0)
		return "-"
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : sprintf("%.2f", (v[n / 2] + v[n / 2 + 1]) / 2)
}

NR == 1 {
	for (i = 1; i <= NF; i++)
		col[$i] = i
	next
}
{
	k = $col["cell"] " | " $col["scanner"]
	if (!(k in runs))
		order[++nk] = k
	runs[k]++
	wall[k] = wall[k] " " $col["wall_s"]
	if ($col["wall_over_ideal"] != "")
		ratio[k] = ratio[k] " " $col["wall_over_ideal"]
	if (("wall_over_floor" in col) && $col["wall_over_floor"] != "")
		fratio[k] = fratio[k] " " $col["wall_over_floor"]
	if (runs[k] == 1 || $col["wrong"] + 0 > worst[k] + 0)
		worst[k] = $col["wrong"]
	if ($col["wrong"] + 0 == 0 && $col["exit_code"] == 0)
		exact[k]++
	if (("spurious" in col) && $col["spurious"] != "" && $col["probes"] > 0) {
		sp = 100 * $col["spurious"] / $col["probes"]
		if (!(k in spur) || sp > spur[k])
			spur[k] = sp
	}
	row[NR] = sprintf("| %s | %s | %s | %s | %s | %s | **%s** | %s | %s | %s | %s | %s | %s |",
		$col["cell"], $col["scanner"], $col["wall_s"],
		$col["ideal_s"] == "" ? "-" : $col["ideal_s"],
		$col["wall_over_ideal"] == "" ? "-" : $col["wall_over_ideal"],
		!("wall_over_floor" in col) || $col["wall_over_floor"] == "" ? "-" : $col["wall_over_floor"],
		$col["wrong"], $col["attempts"] == "" ? "-" : $col["attempts"],
		$col["retries"] == "" ? "-" : $col["retries"],
		$col["wanem_tail_drops"] == "" ? "-" : $col["wanem_tail_drops"],
		!("spurious" in col) || $col["spurious"] == "" ? "-" : $col["spurious"],
		!("withdrawn" in col) || $col["withdrawn"] == "" ? "-" : $col["withdrawn"],
		!("kernel_drops" in col) || $col["kernel_drops"] == "" ? "-" : $col["kernel_drops"])
	last = NR
}
END {
	print "| cell (bed/capacity fps/queue/RTT ms/loss %/answer limit/target) | scanner | runs | median wall s | median × ideal | median × frame floor | wrong (worst run) | exact runs | spurious retries, % of probes (worst run) |"
	print "|---|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= nk; i++) {
		k = order[i]
		printf "| %s | %d | %s | %s | %s | **%s** | %d of %d | %s |\n", k, runs[k],
			median(wall[k]), median(ratio[k]), median(fratio[k]), worst[k], exact[k], runs[k],
			k in spur ? sprintf("%.2f", spur[k]) : "-"
	}
	print ""
	print "Every run:"
	print ""
	print "| cell (bed/capacity fps/queue/RTT ms/loss %/answer limit/target) | scanner | wall s | ideal s | × ideal | × frame floor | wrong answers | attempts | retries | tail drops | spurious retries | withdrawn retries | kernel drops (-sS) |"
	print "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for (i = 2; i <= last; i++)
		if (i in row)
			print row[i]
}
