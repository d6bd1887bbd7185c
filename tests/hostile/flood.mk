# tests/hostile/flood.mk -- bounded resources: output queue, bytes x recipients, room creation, memory.
