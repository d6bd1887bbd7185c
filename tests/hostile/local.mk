# tests/hostile/local.mk -- the hostile-input catalogue (docs/security.md).
#
# Each attack from the catalogue is a test here, run against real Prosody
# and ejabberd where it needs a server.  One fragment per area, so the
# areas grow independently.
include tests/hostile/gcauth.mk
include tests/hostile/link.mk
include tests/hostile/flood.mk
include tests/hostile/recovery.mk
include tests/hostile/direct.mk
