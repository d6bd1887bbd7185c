# src/substrate/alloc.mk -- liborbweb under failing allocations.
