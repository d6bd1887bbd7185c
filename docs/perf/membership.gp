# membership.gp -- Fig. 16 on this machine: gnuplot -e "dat='membership.dat'" membership.gp > membership.svg
# membership.dat: system n server_ms xmucd_ms side_ms stanzas kb (per cycle), from the table of
# `orbweb bench membership` (see docs/performance.md, "Membership (Fig. 16)").
if (!exists("dat")) dat = 'membership.dat'
set terminal svg size 960,420 dynamic font "sans,11"
set multiplot layout 1,2
set logscale xy
set grid
set key top left
set xlabel "members in the room (N)"
set ylabel "server-side CPU per join+leave cycle (ms)"
set title "CPU: XMPP server + xmucd"
plot dat using ($1==1?$2:1/0):5 with linespoints pt 7 title "Prosody's own MUC", \
     dat using ($1==2?$2:1/0):5 with linespoints pt 5 title "xmucd complete", \
     dat using ($1==3?$2:1/0):5 with linespoints pt 9 title "xmucd rbt (s = 3)"
set ylabel "KB delivered to clients per cycle"
set title "Traffic delivered"
plot dat using ($1==1?$2:1/0):7 with linespoints pt 7 title "Prosody's own MUC", \
     dat using ($1==2?$2:1/0):7 with linespoints pt 5 title "xmucd complete", \
     dat using ($1==3?$2:1/0):7 with linespoints pt 9 title "xmucd rbt (s = 3)"
unset multiplot
