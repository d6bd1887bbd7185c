# groupcast.gp -- Fig. 18 on this machine: gnuplot -e "dat='groupcast.dat'" groupcast.gp > groupcast.svg
# groupcast.dat: system n side_ms server_ms xmucd_ms kb stanzas p50_ms p99_ms delivery (per groupcast,
# static points) from the table of `orbweb bench groupcast` (docs/performance.md, "Groupcast (Fig. 18)");
# systems: 1 the server's own MUC, 2 xmucd relay, 3 xmucd tree, 4 xmucd pbcast, 5 xmucd tapbcast.
if (!exists("dat")) dat = 'groupcast.dat'
set terminal svg size 960,420 dynamic font "sans,11"
set multiplot layout 1,2
set logscale xy
set grid
set key top left
set xlabel "members in the room (N)"
set ylabel "server-side CPU per groupcast (ms)"
set title "CPU: XMPP server + xmucd, 5 groupcasts/s"
plot dat using ($1==1?$2:1/0):3 with linespoints pt 7 title "Prosody's own MUC", \
     dat using ($1==2?$2:1/0):3 with linespoints pt 5 title "xmucd relay", \
     dat using ($1==3?$2:1/0):3 with linespoints pt 9 title "xmucd tree", \
     dat using ($1==4?$2:1/0):3 with linespoints pt 11 title "xmucd pbcast", \
     dat using ($1==5?$2:1/0):3 with linespoints pt 13 title "xmucd ta-pbcast"
set yrange [0.5:2000]
set ylabel "stanzas the server delivered per groupcast"
set title "Server traffic"
plot dat using ($1==1?$2:1/0):7 with linespoints pt 7 title "Prosody's own MUC", \
     dat using ($1==2?$2:1/0):7 with linespoints pt 5 title "xmucd relay", \
     dat using ($1==3?$2:1/0):7 with linespoints pt 9 title "xmucd tree", \
     dat using ($1==4?$2:1/0):7 with linespoints pt 11 title "xmucd pbcast", \
     dat using ($1==5?$2:1/0):7 with linespoints pt 13 title "xmucd ta-pbcast"
unset multiplot
