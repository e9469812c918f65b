# plot.gp - bench/run's bar chart: packets/s per tool, log-scale y axis, each bar labelled.
# Usage: gnuplot -e "dat='results.dat'; png='throughput.png'; subtitle='...'" bench/plot.gp
# The .dat file: one line per tool, "tool name" packets/s "label" (quoted strings; '#' comments).
if (!exists("dat")) dat = 'bench/out/throughput.dat'
if (!exists("png")) png = 'bench/out/throughput.png'
if (!exists("subtitle")) subtitle = ''

stats dat using 2 nooutput
set terminal pngcairo size 1000,600 font 'sans,10'
set output png
set title "Packets per second, same capture (higher is better)\n{/*0.8 ".subtitle."}"
set logscale y
set format y '10^{%L}'
set ylabel 'packets/s (log scale)'
# below the smallest bar (else it has no height on a log axis), room above the largest's label
set yrange [10 ** floor(log10(STATS_min) - 0.3) : STATS_max * 4]
set offsets 0.5, 0.5, 0, 0
set style fill solid 0.7 border -1
set boxwidth 0.6
set grid ytics mytics
set xtics nomirror noenhanced
unset key
# the label sits just above its bar, on the log axis: 1.4 times the value
plot dat using 0:2:xtic(1) with boxes lc rgb '#3b6ea8', \
     '' using 0:($2 * 1.4):3 with labels noenhanced font 'sans,10'
