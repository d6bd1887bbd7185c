# src/substrate/groupcast.mk -- groupcast engines: tree cast, pbcast, ta-pbcast (prefix gc_, sans-I/O).
