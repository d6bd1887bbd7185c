# src/e2e/policy.mk -- the direct-session policy (prefix e2e_policy_, sans-I/O).
