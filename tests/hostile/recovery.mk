# tests/hostile/recovery.mk -- recovery: peers rejoin after xmucd loses its state.
