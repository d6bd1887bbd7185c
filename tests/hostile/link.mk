# tests/hostile/link.mk -- the component link and room ownership: nested stanzas, link loss, JIDs.
