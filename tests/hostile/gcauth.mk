# tests/hostile/gcauth.mk -- authenticated groupcast: forged, silencing and reading records.
