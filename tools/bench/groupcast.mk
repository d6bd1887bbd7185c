# tools/bench/groupcast.mk -- orbweb bench groupcast (Fig. 18).
