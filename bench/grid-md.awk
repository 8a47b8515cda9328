# bench/grid-md.awk - bench/results/grid.csv as a Markdown table, one row
# per run, for RESULTS.md (bench/grid.sh writes results/grid.md with it and
# bench/run.sh puts that into RESULTS.md).  CSV fields are those of
# grid.sh's header line; quoted fields (the command) are not used here.
BEGIN {
	FS = ","
	print "| cell (bed/capacity fps/queue/RTT ms/loss %/answer limit/target) | scanner | wall s | ideal s | × ideal | wrong answers | attempts | retries | tail drops |"
	print "|---|---|---|---|---|---|---|---|---|"
}
NR == 1 {
	for (i = 1; i <= NF; i++)
		col[$i] = i
	next
}
{
	printf "| %s | %s | %s | %s | %s | **%s** | %s | %s | %s |\n",
		$col["cell"], $col["scanner"], $col["wall_s"],
		$col["ideal_s"] == "" ? "-" : $col["ideal_s"],
		$col["wall_over_ideal"] == "" ? "-" : $col["wall_over_ideal"],
		$col["wrong"], $col["attempts"] == "" ? "-" : $col["attempts"],
		$col["retries"] == "" ? "-" : $col["retries"],
		$col["wanem_tail_drops"] == "" ? "-" : $col["wanem_tail_drops"]
}
