# src/e2e/jingle.mk -- Jingle negotiation of direct streams (prefix e2e_jingle_, sans-I/O).
