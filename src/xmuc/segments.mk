# src/xmuc/segments.mk -- segment detection and ta-pbcast rooms in xmucd.
