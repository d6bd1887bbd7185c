# tests/hostile/direct.mk -- direct streams: who may open one, listener floods.
