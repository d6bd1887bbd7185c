# src/substrate/local.mk -- liborbweb proper (prefix ob_).
